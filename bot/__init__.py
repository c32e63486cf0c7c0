"""The conversation router: ordered handlers, dialogue policy, language, answer composition."""
