"""golive's Slack side: settings, the Bolt app factory, the server and the outbox sender."""
