"""Tickets: opening them from escalations, triage, lifecycle."""
