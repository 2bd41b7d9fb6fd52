"""golive over Socket Mode, for providers with no public URL: the same app, reached over a
websocket that slack_sdk reconnects when it drops."""

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.app import create_app, make_client
from bot.outbox import OutboxSender
from bot.server import start_jobs
from bot.settings import README_HINT, Settings, SettingsError
from store.clock import Clock

log = logging.getLogger("golive.socket")


def run_socket_mode(
    settings: Settings, *, engine: Engine, clock: Clock, scheduler: bool = False
) -> None:
    """Serve until interrupted, with the outbox sender (and, if asked, the scheduler)."""
    if settings.slack_app_token is None:
        raise SettingsError(f"SLACK_APP_TOKEN is not set; {README_HINT}")
    settings.require_shared_database()
    client = make_client(settings)
    sender = OutboxSender(engine, client, clock)
    app = create_app(settings, engine=engine, clock=clock, client=client, nudge=sender.nudge)
    jobs = (
        start_jobs(settings, engine=engine, clock=clock, nudge=sender.nudge) if scheduler else None
    )
    handler = SocketModeHandler(
        app,
        app_token=settings.slack_app_token.get_secret_value(),
        web_client=client,
    )
    sender.start()
    try:
        handler.start()
    finally:
        sender.stop()
        if jobs is not None:
            jobs.shutdown(wait=False)
