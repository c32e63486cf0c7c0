"""Bringing existing customers and tickets in from spreadsheets (``kefu import``), and out
again (``kefu export``): cleaning, deduplication, dry runs, batches and rollback."""
