"""Benchmarks: ``python -m bench NAME``; each prints human lines, then one JSON object."""
