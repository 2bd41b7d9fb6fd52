"""Only Slack, signing with the app's secret within five minutes, and only from our own
workspace, gets an answer; nothing else reaches a listener or the database."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlmodel import select

from bot.app import create_app
from bot.server import make_wsgi
from bot.settings import SettingsError
from bot.socket_mode import run_socket_mode
from store.infra.db import session_scope
from store.records.models import Person
from tests.slack_requests import SlackDriver, serve_wsgi, sign, slash_command
from tests.slackapp import SECRET, SlackApp, make_settings


def people_count(slack: SlackApp) -> int:
    with session_scope(slack.engine) as session:
        return len(session.exec(select(Person)).all())


def test_forged_signature_is_rejected_with_401(slack: SlackApp) -> None:
    before = people_count(slack)
    body = urlencode(slash_command("mine", user_id="U0FORGER")).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, "wrong-secret")}
    response = slack.driver.post_raw(body, headers)
    assert response.status == 401
    assert "Traceback" not in response.body
    slack.settle()
    assert slack.fake.calls() == []
    assert people_count(slack) == before


def test_expired_timestamp_is_rejected_with_401(slack: SlackApp) -> None:
    body = urlencode(slash_command("mine", user_id="U0REPLAY")).encode()
    stale = int(time.time()) - 6 * 60
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET, stale)}
    assert slack.driver.post_raw(body, headers).status == 401
    slack.settle()
    assert slack.fake.calls() == []


def test_missing_signature_is_rejected_with_401(slack: SlackApp) -> None:
    body = urlencode(slash_command("help")).encode()
    response = slack.driver.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 401


def test_signed_request_within_five_minutes_is_answered(slack: SlackApp) -> None:
    body = urlencode(slash_command("help", user_id=slack.world.staff.slack_user_id)).encode()
    recent = int(time.time()) - 4 * 60
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET, recent)}
    assert slack.driver.post_raw(body, headers).status == 200


def test_request_from_another_workspace_is_refused(slack: SlackApp) -> None:
    settings = make_settings(slack.fake, slack_team_id="T0THEIRS")
    app = create_app(settings, engine=slack.engine, clock=slack.clock)
    url, stop = serve_wsgi(make_wsgi(app, slack.engine))
    try:
        driver = SlackDriver(url, SECRET, hooks_url=slack.fake.hooks_url)
        response = driver.command("mine", user_id=slack.world.staff.slack_user_id)
        assert response.status == 403
        assert slack.fake.calls("response_url") == []
    finally:
        stop()


def test_health_check_reports_the_database(slack: SlackApp) -> None:
    parts = urlsplit(slack.driver.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == {"ok": True, "database": "reachable"}
    connection.close()


def test_golive_serve_answers_slack_and_health_on_gunicorn(
    slack: SlackApp, database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = (
        "from bot.server import serve\n"
        "from bot.settings import Settings\n"
        "from store.infra.clock import SystemClock\n"
        "from store.infra.db import make_engine\n"
        "settings = Settings(_env_file=None)\n"
        "serve(settings, engine=make_engine(settings.database_url), clock=SystemClock(),"
        f" port={port})\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.fake.base_url,
        "GOLIVE_WORKERS": "1",
        "GOLIVE_THREADS": "2",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 20
        health = None
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                health = connection.getresponse()
                break
            except OSError:
                time.sleep(0.2)
        assert health is not None, (tmp_path / "gunicorn.log").read_text()
        assert health.status == 200
        assert json.loads(health.read())["database"] == "reachable"
        driver = SlackDriver(f"http://127.0.0.1:{port}", SECRET, hooks_url=slack.fake.hooks_url)
        assert driver.command("help", user_id=slack.world.staff.slack_user_id).status == 200
        slack.fake.wait_for("response_url", timeout=10)
        assert "/golive mine" in slack.fake.last("response_url").args["text"]
        forged = driver.post_raw(b"command=%2Fgolive", {"X-Slack-Signature": "v0=forged"})
        assert forged.status == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_missing_tokens_are_named_with_a_pointer_to_the_readme(slack: SlackApp) -> None:
    without_bot_token = make_settings(slack.fake, slack_bot_token=None)
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is not set; see 'Settings'"):
        create_app(without_bot_token, engine=slack.engine, clock=slack.clock)
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN is not set; see 'Settings'"):
        run_socket_mode(slack.settings, engine=slack.engine, clock=slack.clock)


def test_user_told_when_slack_cannot_confirm_the_bot_token(slack: SlackApp) -> None:
    slack.fake.fail("auth.test", "internal_error")
    response = slack.command("mine", user=slack.world.staff.slack_user_id)
    assert response.status == 200
    assert "nothing was saved" in response.body
    assert slack.fake.calls("response_url") == []
    slack.command("mine", user=slack.world.staff.slack_user_id)
    assert "open go-live items" in slack.last_reply()
