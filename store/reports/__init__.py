"""Read-only accounts of the records, for a period or for an inspector: digest facts, exports,
outcomes and the commissioner summary."""
