"""Handoff: the owner state machine, the agent console and its API, agent auth."""
