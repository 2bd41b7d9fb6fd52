"""golive over Socket Mode, for providers with no public URL: the same app, reached over a
websocket that slack_sdk reconnects when it drops."""

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import create_app, make_client
from bot.sender import LANES_AT_ONCE, OutboxSender
from bot.settings import README_HINT, Settings, SettingsError
from schedules.scheduler import start_scheduler
from store.infra.clock import Clock

PING_INTERVAL = 10.0
"""Seconds between pings to Slack (Bolt's default); a silent drop is noticed within a few."""


def run_socket_mode(
    settings: Settings, *, engine: Engine, clock: Clock, scheduler: bool = False
) -> None:
    """Serve until interrupted, with the outbox sender (and, if asked, the scheduler)."""
    if settings.slack_app_token is None:
        raise SettingsError(f"SLACK_APP_TOKEN is not set; {README_HINT}")
    settings.require_shared_database()
    client = make_client(settings)
    sender = OutboxSender(engine, client, clock, parallel=LANES_AT_ONCE)
    app = create_app(settings, engine=engine, clock=clock, client=client, nudge=sender.nudge)
    # One process, never forked: the scheduler can share its engine as a thread.
    jobs = (
        start_scheduler(engine=engine, settings=settings, clock=clock, on_enqueued=sender.nudge)
        if scheduler
        else None
    )
    handler = socket_handler(app, settings.slack_app_token.get_secret_value(), client)
    sender.start()
    try:
        handler.start()
    finally:
        sender.stop()
        if jobs is not None:
            jobs.shutdown(wait=False)


def socket_handler(
    app: App, app_token: str, client: WebClient, *, ping_interval: float = PING_INTERVAL
) -> SocketModeHandler:
    """The websocket between Slack and ``app``: slack_sdk's built-in client with reconnecting
    on, so when the connection closes, resets or stops answering pings it asks
    apps.connections.open for a new URL and carries on, rather than leaving a golive that
    still runs but hears nothing."""
    return SocketModeHandler(
        app,
        app_token=app_token,
        web_client=client,
        auto_reconnect_enabled=True,
        ping_interval=ping_interval,
    )
