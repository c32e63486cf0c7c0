"""kefu's shared kernel: domain types, storage, configuration, coordination, outbox, app and CLI."""
