"""golive's governance clock: digests, reminders and escalation, run on a schedule in the
provider's time zone, each job only owing posts to the outbox."""
