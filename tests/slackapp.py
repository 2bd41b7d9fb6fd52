"""A pytest plugin: the real golive app, served over HTTP on loopback, talking to a fake Slack.

``slack`` gives a test everything it needs to tell a user's story: sign and send requests as
Slack does (``slack.command``, ``slack.action``, ``slack.submit``, ``slack.shortcut``,
``slack.event``; each waits for the app's after-ack work), read what the bot sent
(``slack.fake``), deliver the outbox with the real sender (``slack.deliver``), and look at the
records (``slack.engine``). Built on the ``engine`` and ``clock`` fixtures, so every Slack
test also runs on PostgreSQL when GOLIVE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import create_app
from bot.ids import Report
from bot.sender import OutboxSender
from bot.server import make_wsgi
from bot.settings import Settings
from store.infra.clock import FixedClock
from tests.fakeslack import FakeSlack
from tests.slack_requests import (
    Response,
    SlackDriver,
    app_home_opened,
    plain_text_input,
    radio_buttons,
    serve_wsgi,
    static_select,
)
from tests.world import World, build_world

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
Json = dict[str, Any]


class TrackingExecutor(ThreadPoolExecutor):
    """Runs the app's lazy listeners and lets a test wait until they have all finished."""

    WORKERS = 4

    def __init__(self) -> None:
        super().__init__(max_workers=self.WORKERS, thread_name_prefix="lazy")
        self._lock = threading.Lock()
        self._futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def settle(self, timeout: float = 15.0) -> None:
        with self._lock:
            pending = [f for f in self._futures if not f.done()]
        _done, not_done = wait(pending, timeout=timeout)
        if not_done:
            raise AssertionError(f"{len(not_done)} lazy listener(s) still running after {timeout}s")


@dataclass
class SlackApp:
    fake: FakeSlack
    driver: SlackDriver
    engine: Engine
    clock: FixedClock
    world: World
    settings: Settings
    sender: OutboxSender
    executor: TrackingExecutor

    # ---------------------------------------------------------------- requests, settled

    def settle(self) -> None:
        """Wait for the work the app does after acking (views.open, replies, Home)."""
        self.executor.settle()

    def command(self, text: str = "", *, user: str, **kw: Any) -> Response:
        response = self.driver.command(text, user_id=user, **kw)
        self.settle()
        return response

    def action(self, action_id: str, value: str | None = None, *, user: str, **kw: Any) -> Response:
        response = self.driver.action(action_id, value, user_id=user, **kw)
        self.settle()
        return response

    def submit(self, view: Json, values: Json, *, user: str, **kw: Any) -> Response:
        response = self.driver.submit(values=values, view=view, user_id=user, **kw)
        self.settle()
        return response

    def shortcut(self, callback_id: str, text: str = "", *, user: str, **kw: Any) -> Response:
        response = self.driver.shortcut(callback_id, text, user_id=user, **kw)
        self.settle()
        return response

    def open_home(self, user: str) -> Response:
        response = self.driver.event(app_home_opened(user))
        self.settle()
        return response

    # ---------------------------------------------------------------- what Slack holds

    def opened_view(self) -> Json:
        """The modal the bot opened last, as Slack holds it now (ready to submit)."""
        call = self.fake.last("views.open")
        return self.fake.view(call.answered["view"]["id"])

    def replies(self) -> list[Json]:
        """Ephemeral replies sent through response_urls, oldest first."""
        return [c.args for c in self.fake.calls("response_url")]

    def last_reply(self) -> str:
        """The text of the last private reply, whichever way it was sent."""
        sent = self.replies()
        if not sent:
            raise AssertionError(f"no reply; calls: {[c.method for c in self.fake.calls()]}")
        return str(sent[-1].get("text", ""))

    def deliver(self) -> int:
        """Run the real outbox sender until nothing more is due now; returns how many sent."""
        self.settle()
        total = 0
        while (sent := self.sender.run_once()) > 0:
            total += sent
        return total

    # ---------------------------------------------------------------- the report form

    def report(self, *, user: str, **answers: Any) -> Response:
        """Open the report modal with /golive and submit it with ``answers``."""
        self.command("", user=user)
        return self.submit(self.opened_view(), report_values(**answers), user=user)


def report_values(
    *,
    service_id: int | None,
    category: str | None = "medication",
    description: str | None = "eMAR would not load for the 8am round",
    impact: str | None = "some",
    urgency: str | None = "medium",
    workaround: str | None = "safe",
    workaround_detail: str | None = None,
) -> Json:
    """The report modal's state as Slack sends it on submit."""
    return {
        Report.SERVICE: {
            Report.SERVICE: static_select(None if service_id is None else str(service_id))
        },
        Report.CATEGORY: {Report.CATEGORY: static_select(category)},
        Report.DESCRIPTION: {Report.DESCRIPTION: plain_text_input(description)},
        Report.IMPACT: {Report.IMPACT: radio_buttons(impact)},
        Report.URGENCY: {Report.URGENCY: radio_buttons(urgency)},
        Report.WORKAROUND: {Report.WORKAROUND: radio_buttons(workaround)},
        Report.WORKAROUND_DETAIL: {Report.WORKAROUND_DETAIL: plain_text_input(workaround_detail)},
    }


def make_settings(fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.base_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def slack(engine: Engine, clock: FixedClock) -> Iterator[SlackApp]:
    world = build_world(engine, now=clock.now())
    with FakeSlack() as fake:
        settings = make_settings(fake)
        client = WebClient(token=TOKEN, base_url=settings.slack_api_url)
        executor = TrackingExecutor()
        app = create_app(
            settings, engine=engine, clock=clock, client=client, listener_executor=executor
        )
        url, stop = serve_wsgi(make_wsgi(app, engine))
        try:
            yield SlackApp(
                fake=fake,
                driver=SlackDriver(url, SECRET, hooks_url=fake.hooks_url),
                engine=engine,
                clock=clock,
                world=world,
                settings=settings,
                sender=OutboxSender(engine, client, clock, min_interval=0.0),
                executor=executor,
            )
        finally:
            stop()
            executor.shutdown(wait=True)
