"""Channel adapters: one subpackage per channel, one contract (``channels/base.py``)."""
