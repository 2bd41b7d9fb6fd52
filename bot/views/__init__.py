"""Block Kit builders: pure functions from records to dicts, tested as data."""
