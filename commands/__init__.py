"""Slack listeners by feature; each module exposes ``register(app, deps)``."""

from slack_bolt import App

from commands import (
    checkpoints,
    controls,
    decisions,
    export,
    handover,
    home,
    phase,
    queries,
    quiet,
    reminders,
    report,
    review,
    risks,
    roles,
    scoring,
    slash,
    themes,
    triage,
    verify,
    waves,
)
from commands.context import Deps


def register_listeners(app: App, deps: Deps) -> None:
    """Wire every feature into the app; a new feature appends one line."""
    slash.register(app, deps)
    report.register(app, deps)
    triage.register(app, deps)
    queries.register(app, deps)
    home.register(app, deps)
    risks.register(app, deps)
    scoring.register(app, deps)
    controls.register(app, deps)
    checkpoints.register(app, deps)
    decisions.register(app, deps)
    roles.register(app, deps)
    phase.register(app, deps)
    reminders.register(app, deps)
    review.register(app, deps)
    export.register(app, deps)
    verify.register(app, deps)
    quiet.register(app, deps)
    handover.register(app, deps)
    waves.register(app, deps)
    themes.register(app, deps)
