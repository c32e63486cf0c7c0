"""The email channel: IMAP and SMTP intake, threading, charsets, no loops (docs/email.md)."""
