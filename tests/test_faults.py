"""Faults injected into real ``golive serve`` processes and the fake Slack Web API: a retry
storm of one submission to two app instances, ``kill -9`` at each point of a report's life,
the database lost or locked mid-run, SQLite refused with more than one replica, and secrets
kept out of the logs. Each story ends with the same check: every report present once, every
post once (by the key each post carries in its message metadata).

Servers get a clock shifted forward on restart: a message whose sender died holds a two-minute
lease and a back-off, and the restarted process is "later", as it would be in production,
without the test waiting minutes of real time.
"""

import http.client
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.logging_setup import REQUEST_ID, configure_logging
from bot.settings import Settings
from store.infra.db import make_engine, session_scope
from store.records.models import Issue, OutboxMessage
from tests.reliability import tally
from tests.slack_requests import SlackDriver
from tests.slackapp import SECRET, TOKEN, SlackApp, make_settings, report_values
from tests.world import TRIAGE_CHANNEL

SUITE = "faults"
ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import os, sys
from datetime import timedelta
from bot.server import serve
from bot.settings import Settings
from store.infra.clock import SystemClock
from store.infra.db import make_engine

class Later(SystemClock):
    def now(self):
        return super().now() + timedelta(seconds=float(os.environ["GOLIVE_TEST_SHIFT"]))

settings = Settings(_env_file=None)
serve(settings, engine=make_engine(settings.database_url), clock=Later(), port=int(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GoliveServer:
    """One ``golive serve`` (gunicorn master and worker) in its own process group."""

    def __init__(self, slack: SlackApp, database_url: str, log: Path, shift: float = 0) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.fake.base_url,
            "GOLIVE_WORKERS": "1",
            "GOLIVE_THREADS": "4",
            "GOLIVE_TEST_SHIFT": str(shift),
        }
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("a"),
            start_new_session=True,
        )
        self.driver = SlackDriver(
            f"http://127.0.0.1:{self.port}", SECRET, hooks_url=slack.fake.hooks_url, timeout=30
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"golive serve did not start: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        """``kill -9`` of the master and its worker: no shutdown code runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def servers(slack: SlackApp, database_url: str, tmp_path: Path) -> Iterator[Any]:
    started: list[GoliveServer] = []

    def start(shift: float = 0) -> GoliveServer:
        server = GoliveServer(slack, database_url, tmp_path / "serve.log", shift)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.kill9()  # the story is over; a graceful stop would only cost time


def open_report(slack: SlackApp, server: GoliveServer) -> dict[str, Any]:
    """The report modal as the bot opened it (through ``server``), ready to submit."""
    before = len(slack.fake.calls("views.open"))
    assert server.driver.command("", user_id=slack.world.staff.slack_user_id).status == 200
    call = slack.fake.wait_for("views.open", count=before + 1, timeout=15)[-1]
    return slack.fake.view(call.answered["view"]["id"])


def submit(server: GoliveServer, slack: SlackApp, view: dict[str, Any], what: str) -> int:
    values = report_values(service_id=slack.world.oakwood.id, description=what)
    try:
        answer = server.driver.submit(values=values, view=view, user_id="USTAFF01")
    except OSError:
        return 0  # the process died under it: Slack shows the user an error and they retry
    return answer.status


def posts_by_key(slack: SlackApp) -> Counter[str]:
    """How many messages Slack holds for each outbox key."""
    seen: Counter[str] = Counter()
    for call in slack.fake.calls("chat.postMessage"):
        if not call.accepted:
            continue
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        key = ((metadata or {}).get("event_payload") or {}).get("key")
        if key:
            seen[key] += 1
    return seen


def wait_until(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def every_report_once_every_post_once(slack: SlackApp, descriptions: list[str]) -> None:
    """The closing check: each report recorded once; each owed post in Slack exactly once."""
    with session_scope(slack.engine) as session:
        recorded = Counter(i.description for i in session.exec(select(Issue)))
        owed = [m.key for m in session.exec(select(OutboxMessage))]
    lost = sum(1 for d in descriptions if recorded[d] == 0)
    doubled = sum(count - 1 for count in recorded.values() if count > 1)

    def all_posted() -> bool:
        posted = posts_by_key(slack)
        return all(posted[key] >= 1 for key in owed)

    wait_until(all_posted)
    time.sleep(0.3)  # long enough for a wrongful second post to show up
    posted = posts_by_key(slack)
    doubled += sum(count - 1 for count in posted.values() if count > 1)
    tally(SUITE, lost=lost, duplicates=doubled)
    assert lost == 0 and doubled == 0, (recorded, posted)
    assert set(recorded) == set(descriptions)
    assert sorted(posted) == sorted(owed)
    triage = [m for m in slack.fake.messages(TRIAGE_CHANNEL)]
    assert len(triage) == len(descriptions)


def test_retry_storm_of_one_submission_to_two_servers_records_and_posts_once(
    slack: SlackApp, servers: Any
) -> None:
    """Slack retries, a double-clicked submit and a load balancer spraying both replicas:
    twelve deliveries of one submission, at once, to two processes on one database."""
    first, second = servers(), servers()
    view = open_report(slack, first)
    what = "Handover notes vanish after saving"
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def deliver(server: GoliveServer) -> None:
        barrier.wait()
        statuses.append(submit(server, slack, view, what))

    threads = [threading.Thread(target=deliver, args=(s,)) for s in [first, second] * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 12
    tally(SUITE, cases=1, faults=11)
    every_report_once_every_post_once(slack, [what])


@contextmanager
def database_held(slack: SlackApp, database_url: str) -> Iterator[None]:
    """Another connection holds the write lock, so a server's save waits before committing."""
    engine = make_engine(database_url)
    connection = engine.connect()
    try:
        connection.begin()  # on SQLite golive's engine begins IMMEDIATE: the write lock
        if engine.dialect.name == "sqlite":
            connection.execute(text("UPDATE counter SET value = value WHERE 0"))
        else:
            connection.execute(text("LOCK TABLE issue IN ACCESS EXCLUSIVE MODE"))
        yield
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def _kill_before_commit(slack: SlackApp, servers: Any, database_url: str, what: str) -> None:
    server = servers()
    view = open_report(slack, server)
    with database_held(slack, database_url):
        sending = threading.Thread(target=submit, args=(server, slack, view, what))
        sending.start()
        time.sleep(1.0)  # the server is inside its transaction, waiting for the lock
        server.kill9()
        sending.join(30)
    with session_scope(slack.engine) as session:
        assert session.exec(select(Issue)).all() == []
    # The reporter sees Slack's error and submits the same modal again.
    assert submit(servers(shift=300), slack, view, what) == 200


def _kill_after_commit_before_post(
    slack: SlackApp, servers: Any, database_url: str, what: str
) -> None:
    server = servers()
    view = open_report(slack, server)
    slack.fake.fail_http("chat.postMessage", status=503, times=None)
    assert submit(server, slack, view, what) == 200
    slack.fake.wait_for("chat.postMessage", timeout=15)  # tried, refused: nothing posted
    server.kill9()
    assert posts_by_key(slack) == Counter()
    slack.fake.clear_failures()
    servers(shift=3600)


def _kill_after_post_before_ts_saved(
    slack: SlackApp, servers: Any, database_url: str, what: str
) -> None:
    server = servers()
    view = open_report(slack, server)
    # Slack takes each post, then the answer never arrives: the ts cannot be saved.
    slack.fake.drop("chat.postMessage", times=None, after_accept=True)
    assert submit(server, slack, view, what) == 200
    wait_until(lambda: len(posts_by_key(slack)) >= 1)
    server.kill9()
    with session_scope(slack.engine) as session:
        assert all(m.message_ts is None for m in session.exec(select(OutboxMessage)))
    slack.fake.clear_failures()
    servers(shift=3600)


KILL_POINTS = {
    "before-commit": _kill_before_commit,
    "after-commit-before-post": _kill_after_commit_before_post,
    "after-post-before-ts-saved": _kill_after_post_before_ts_saved,
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_at_any_point_then_restart_gives_one_record_and_one_post(
    slack: SlackApp, servers: Any, database_url: str, point: str
) -> None:
    what = f"Care plans will not print ({point})"
    KILL_POINTS[point](slack, servers, database_url, what)
    tally(SUITE, cases=1, faults=1)
    every_report_once_every_post_once(slack, [what])


def test_database_lost_mid_run_tells_the_user_to_retry_and_loses_nothing(
    slack: SlackApp, database_url: str
) -> None:
    """PostgreSQL: every connection killed (as a restart does) between two reports. SQLite:
    another writer holds the database past the moment. Either way the report is recorded
    once, or the reporter is told plainly to try again and their retry is."""
    said = []
    first = "Body map will not save"
    slack.report(
        user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id, description=first
    )
    if slack.engine.dialect.name == "postgresql":
        admin = make_engine(database_url)
        with admin.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        admin.dispose()
        faults = 1
    else:
        faults = 0  # SQLite has no server to lose; its lock is the next test's fault
    second = "Fluid chart totals are wrong"
    slack.command("", user=slack.world.staff.slack_user_id)
    view = slack.opened_view()
    values = report_values(service_id=slack.world.oakwood.id, description=second)
    for _attempt in range(3):
        answer = slack.submit(view, values, user=slack.world.staff.slack_user_id)
        assert answer.status == 200 and "Traceback" not in answer.body
        body = answer.json() if answer.body.strip() else {}
        if body.get("response_action") not in ("push", "errors"):
            break
        said.append(body)
    slack.deliver()
    tally(SUITE, cases=2, faults=faults)
    every_report_once_every_post_once(slack, [first, second])


def test_database_locked_for_a_moment_waits_and_records_once(
    slack: SlackApp, database_url: str
) -> None:
    what = "MAR chart shows yesterday's round"
    slack.command("", user=slack.world.staff.slack_user_id)
    view = slack.opened_view()
    values = report_values(service_id=slack.world.oakwood.id, description=what)
    with database_held(slack, database_url):
        sending = threading.Thread(
            target=slack.driver.submit,
            kwargs={"values": values, "view": view, "user_id": slack.world.staff.slack_user_id},
        )
        sending.start()
        time.sleep(1.0)
    sending.join(30)
    slack.settle()
    slack.deliver()
    tally(SUITE, cases=1, faults=1)
    every_report_once_every_post_once(slack, [what])


def test_sqlite_with_more_than_one_replica_refuses_to_start_and_says_use_postgresql(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'golive.db'}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "GOLIVE_REPLICAS": "2",
    }
    script = (
        "from bot.server import serve\nfrom bot.settings import Settings\n"
        "serve(Settings(_env_file=None), engine=None, clock=None, port=1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "GOLIVE_REPLICAS is 2" in done.stderr and "Use PostgreSQL" in done.stderr
    with_postgres = Settings(_env_file=None, database_url="postgresql://db/golive", replicas=3)
    with_postgres.require_shared_database()
    tally(SUITE, cases=2)


def test_logs_are_json_with_request_ids_and_never_hold_secrets_or_personal_data(
    slack: SlackApp,
) -> None:
    stream = io.StringIO()
    settings = make_settings(slack.fake, database_url="postgresql://golive:pa55word@db/golive")
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(settings, stream=stream)
    try:
        token = REQUEST_ID.set("req123")
        log = logging.getLogger("golive.test")
        log.warning("posting with %s and %s", TOKEN, SECRET)
        log.warning("app token xapp-1-A0-123456-abcdef, db pa55word")
        try:
            raise ValueError(
                "(psycopg.errors.X) boom [SQL: INSERT INTO issue ...] "
                "[parameters: {'description': 'NHS 943 476 5919 fell'}]"
            )
        except ValueError:
            log.exception("save failed")
        REQUEST_ID.reset(token)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3 and all(line["request_id"] == "req123" for line in lines)
    written = stream.getvalue()
    for secret in (TOKEN, SECRET, "xapp-1-A0-123456-abcdef", "pa55word", "943 476 5919"):
        assert secret not in written
    assert lines[2]["error"] == "ValueError" and lines[2]["where"]
    response = slack.driver.command("help", user_id=slack.world.staff.slack_user_id)
    assert len(response.headers.get("x-request-id", "")) == 12
    tally(SUITE, cases=4)
