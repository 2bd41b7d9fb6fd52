"""golive's domain: the records, the rules that govern them and the audit trail.

Nothing here imports Slack or anything above it, so the CLI, the scheduler and the tests
can use the store on its own.
"""
