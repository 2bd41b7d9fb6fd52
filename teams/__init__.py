"""golive's Microsoft Teams face: the Bot Framework messaging endpoint, Adaptive Cards, and
the outbox delivered as Teams activities. It shares store/ (and schedules/) with the Slack
face in bot/ and never imports it; bot/cli.py is the one place that wires it in."""
