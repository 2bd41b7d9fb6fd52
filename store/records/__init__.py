"""golive's records and the rules that govern them: issues, risks, controls, decisions,
people and roles, the audit trail and the outbox."""
