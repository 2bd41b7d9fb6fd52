"""golive as users run it: the installed ``golive`` command in real processes, against the
fake Slack Web API on loopback, with signed requests and default flags."""
