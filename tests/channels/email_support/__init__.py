"""Test helpers for the email channel: a throwaway Dovecot, certificates, mail sinks."""
