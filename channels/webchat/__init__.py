"""The web chat channel: signed visitor sessions, a WebSocket protocol, the widget."""
