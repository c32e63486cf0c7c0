"""Shared machinery of ``kefu import``: spreadsheets read row by row, column mapping, batches.

The importers themselves live with the data they bring in (``intake.imports`` for customers
and tickets, ``kb.imports`` for FAQ entries); this package is what they share, so that the
knowledge base does not depend on intake.
"""
