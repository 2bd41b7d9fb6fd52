"""The one factory that builds golive's Bolt app from settings (no global app).

Requests are verified (signature and a five-minute timestamp, else 401), refused when they
come from another workspace than SLACK_TEAM_ID, and acknowledged within Slack's three
seconds: listeners ack first and do slow work in lazy listeners. Every Web API call goes
to SLACK_API_URL.
"""

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.error_replies import handle_listener_error
from bot.settings import README_HINT, Settings, SettingsError
from bot.views.care import use_fallback_dir
from commands import register_listeners
from commands.context import Deps
from commands.slash import SlashRouter
from store.infra.clock import Clock

log = logging.getLogger("golive.app")

AUTHORIZE_FAILED = (
    "golive could not check its Slack token just now, so nothing was saved. Please try "
    "again in a minute; if it keeps happening, tell your golive admin."
)


def make_client(settings: Settings) -> WebClient:
    """The bot's Web API client, aimed at SLACK_API_URL (GovSlack workspaces differ)."""
    if settings.slack_bot_token is None:
        raise SettingsError(f"SLACK_BOT_TOKEN is not set; {README_HINT}")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    clock: Clock,
    client: WebClient | None = None,
    nudge: Callable[[], None] | None = None,
    listener_executor: Executor | None = None,
) -> App:
    """Build the app; ``nudge`` wakes the outbox sender after each commit."""
    client = client or make_client(settings)
    secret = settings.slack_signing_secret
    app = App(
        client=client,
        signing_secret=secret.get_secret_value() if secret is not None else "",
        process_before_response=True,
        request_verification_enabled=True,
        token_verification_enabled=False,
        ignoring_self_events_enabled=True,
        listener_executor=listener_executor,
        user_facing_authorize_error_message=AUTHORIZE_FAILED,
        logger=logging.getLogger("golive.bolt"),
    )
    if settings.slack_team_id:
        app.middleware(_only_team(settings.slack_team_id))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> BoltResponse:
        return handle_listener_error(error, body, client)

    use_fallback_dir(settings.fallback_dir)
    deps = Deps(engine=engine, clock=clock, settings=settings, router=SlashRouter())
    if nudge is not None:
        deps.nudge = nudge
    register_listeners(app, deps)
    return app


def _only_team(team_id: str) -> Callable[..., BoltResponse | None]:
    def only_our_workspace(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], None]
    ) -> BoltResponse | None:
        """A request from another workspace is refused before any listener sees it."""
        if req.context.team_id not in (None, team_id) or (
            req.context.team_id is None and req.context.enterprise_id is not None
        ):
            log.warning("refused a request from workspace %s", req.context.team_id)
            return BoltResponse(status=403, body="This golive app serves another workspace.")
        next()
        return None

    return only_our_workspace
