"""Socket Mode keeps golive listening: when the websocket drops, golive asks Slack for a new
one (apps.connections.open), reconnects and goes on handling what Slack sends, and a report
Slack redelivers on the new connection is recorded once.

A websocket server here plays Slack's end of Socket Mode: it greets each connection with
``hello``, sends envelopes shaped as Slack sends them and reads golive's acks. The fake Web API
hands out its ws:// URL. golive is the real app from create_app on the connection built by
bot.socket_mode.socket_handler, as ``golive socket`` builds it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.app import create_app, make_client
from bot.socket_mode import socket_handler
from store.infra.clock import FixedClock
from store.infra.db import session_scope
from store.records.models import Issue
from tests.fakeslack import APP_ID, FakeSlack
from tests.reliability import tally
from tests.slack_requests import slash_command, view_submission
from tests.slackapp import TrackingExecutor, make_settings, report_values
from tests.world import World, build_world

APP_TOKEN = "xapp-1-A0001-1-test"
WAIT = 10.0
"""Seconds to wait for golive to ack or reconnect; it needs a few at most when it works."""

PING_INTERVAL = 0.5
"""golive's pings: a connection that died without a close frame is noticed in a few seconds."""

Json = dict[str, Any]


class SlackSocket:
    """One websocket Slack holds open to golive: envelopes out, acks back."""

    def __init__(self, websocket: ServerConnection) -> None:
        self._websocket = websocket
        self._acks: queue.Queue[Json] = queue.Queue()

    def send(self, envelope: Json) -> None:
        self._websocket.send(json.dumps(envelope))

    def ack_for(self, envelope: Json) -> Json:
        """golive's ack of ``envelope`` on this connection; fails the test if none comes."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                ack = self._acks.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(
                    f"no ack for envelope {envelope['envelope_id']} within {WAIT}s"
                ) from None
            if ack.get("envelope_id") == envelope["envelope_id"]:
                return ack

    def lose(self) -> None:
        """The TCP connection ends with no websocket goodbye, as when a proxy cuts it."""
        self._websocket.socket.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Slack closes the websocket properly (going away), as when its server restarts."""
        self._websocket.close(1001, "going away")

    def read_acks(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for message in self._websocket:
                self._acks.put(json.loads(message))


class SlackSocketServer:
    """Slack's end of Socket Mode on 127.0.0.1: each connection golive opens is greeted with
    ``hello`` and handed to the test."""

    def __init__(self) -> None:
        self._connections: queue.Queue[SlackSocket] = queue.Queue()
        # Slack pings its clients too; pinging often keeps golive's receive loop from idling
        # in its three-second socket timeout, so closing the client at teardown is quick.
        self._server = serve(self._serve, "127.0.0.1", 0, ping_interval=0.2, ping_timeout=WAIT)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-socket-mode", daemon=True
        )

    def __enter__(self) -> SlackSocketServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(timeout=WAIT)

    @property
    def url(self) -> str:
        """A URL like those apps.connections.open gives, but plain ws:// on a loopback port."""
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

    def next_connection(self) -> SlackSocket:
        """The next connection golive opens; fails the test if it opens none in time."""
        try:
            return self._connections.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"golive opened no Socket Mode connection in {WAIT}s") from None

    def _serve(self, websocket: ServerConnection) -> None:
        connection = SlackSocket(websocket)
        websocket.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self._connections.put(connection)
        connection.read_acks()


def envelope(kind: str, payload: Json) -> Json:
    """A Socket Mode envelope as Slack sends it (``slash_commands`` or ``interactive``)."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "accepts_response_payload": True,
    }


def redelivery(sent: Json) -> Json:
    """The same envelope again, as Slack resends one whose ack it never got."""
    return {**sent, "retry_attempt": 1, "retry_reason": "timeout"}


@dataclass
class SocketGolive:
    fake: FakeSlack
    slack: SlackSocketServer
    engine: Engine
    world: World

    def report(self, connection: SlackSocket, description: str) -> Json:
        """Over ``connection``: /golive opens the report modal, and submitting it is acked with
        no errors (the modal closes). Returns the submission's envelope."""
        user = self.world.staff.slack_user_id
        opened = len(self.fake.calls("views.open"))
        command = envelope(
            "slash_commands", slash_command("", user_id=user, hooks_url=self.fake.hooks_url)
        )
        connection.send(command)
        assert connection.ack_for(command) == {"envelope_id": command["envelope_id"]}
        call = self.fake.wait_for("views.open", count=opened + 1, timeout=WAIT)[-1]
        modal = self.fake.view(call.answered["view"]["id"])
        values = report_values(service_id=self.world.oakwood.id, description=description)
        submission = envelope(
            "interactive", view_submission(view=modal, values=values, user_id=user)
        )
        connection.send(submission)
        assert connection.ack_for(submission) == {"envelope_id": submission["envelope_id"]}
        return submission

    def issue_descriptions(self) -> list[str]:
        with session_scope(self.engine) as session:
            return [i.description for i in session.exec(select(Issue).order_by(col(Issue.number)))]


@pytest.fixture
def golive(engine: Engine, clock: FixedClock) -> Iterator[SocketGolive]:
    world = build_world(engine, now=clock.now())
    with FakeSlack() as fake, SlackSocketServer() as slack:
        fake.socket_mode_url = slack.url
        settings = make_settings(fake, slack_app_token=APP_TOKEN)
        client = make_client(settings)
        executor = TrackingExecutor()
        app = create_app(
            settings, engine=engine, clock=clock, client=client, listener_executor=executor
        )
        handler = socket_handler(app, APP_TOKEN, client, ping_interval=PING_INTERVAL)
        handler.connect()
        try:
            yield SocketGolive(fake=fake, slack=slack, engine=engine, world=world)
        finally:
            handler.close()
            executor.shutdown(wait=True)


@pytest.mark.parametrize(
    "drop", [SlackSocket.lose, SlackSocket.close], ids=["connection-lost", "closed-by-slack"]
)
def test_golive_reconnects_after_the_websocket_drops_and_records_a_redelivered_report_once(
    golive: SocketGolive, drop: Callable[[SlackSocket], None]
) -> None:
    first = golive.slack.next_connection()
    first_report = golive.report(first, "eMAR froze during the 8am medication round")
    drop(first)

    second = golive.slack.next_connection()
    again = redelivery(first_report)
    second.send(again)
    assert second.ack_for(again) == {"envelope_id": again["envelope_id"]}
    golive.report(second, "Handover notes missing after the 2pm shift change")

    opens = golive.fake.calls("apps.connections.open")
    assert len(opens) >= 2
    assert {c.headers["authorization"] for c in opens} == {f"Bearer {APP_TOKEN}"}
    sent = [
        "eMAR froze during the 8am medication round",
        "Handover notes missing after the 2pm shift change",
    ]
    recorded = golive.issue_descriptions()
    # Faults: the dropped connection and the redelivered envelope.
    tally(
        "socket mode",
        cases=1,
        faults=2,
        lost=len(set(sent) - set(recorded)),
        duplicates=len(recorded) - len(set(recorded)),
    )
    assert recorded == sent
