"""The Slack test harness, checked against the real slack_sdk WebClient and a real Bolt app.

Each test is a short story: Slack (SlackDriver) sends a signed request to a Bolt app served
over HTTP, the app calls the Web API, and the fake Slack (FakeSlack) records and answers it.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from tests.fakeslack import RESPONSE_URL_METHOD, UPLOAD_METHOD, FakeSlack
from tests.slack_requests import (
    SlackDriver,
    app_home_opened,
    block_actions,
    datepicker,
    new_trigger_id,
    plain_text_input,
    serve_wsgi,
    sign,
    static_select,
    users_select,
)

SECRET = "test-signing-secret"
MODAL = {
    "type": "modal",
    "callback_id": "golive_modal",
    "title": {"type": "plain_text", "text": "Go-live"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Which home?"}}],
}
HOME = {"type": "home", "blocks": MODAL["blocks"]}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def client_for(fake: FakeSlack, **kw: Any) -> WebClient:
    """The bot's WebClient, aimed at the fake Slack."""
    return WebClient(token="xoxb-test", base_url=fake.base_url, **kw)


@dataclass
class Bot:
    app: App
    slack: SlackDriver
    seen: list[dict[str, Any]]


@pytest.fixture
def bot(fake: FakeSlack) -> Iterator[Bot]:
    """A bare Bolt app behind the WSGI adapter, as the real bot will be served."""
    app = App(signing_secret=SECRET, client=client_for(fake))
    seen: list[dict[str, Any]] = []

    @app.command("/golive")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postMessage(
            channel=body["channel"]["id"], text=f"Approved {body['actions'][0]['value']}"
        )

    @app.event("app_home_opened")
    def home(body: dict[str, Any]) -> None:
        seen.append(body)

    base_url, stop = serve_wsgi(SlackRequestHandler(app))
    fake.clear()  # App() called auth.test to check its token; the stories start after that
    yield Bot(app, SlackDriver(base_url, SECRET, hooks_url=fake.hooks_url), seen)
    stop()


# ---------------------------------------------------------------------- signing


def test_signing_matches_slacks_documented_example() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign(body, "8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


# ---------------------------------------------------------------------- the app over HTTP


def test_a_command_opens_a_modal_and_a_button_posts_a_message(bot: Bot, fake: FakeSlack) -> None:
    sent = bot.slack.command("", user_id="U1", channel_id="C1")
    assert sent.status == 200

    opened = fake.wait_for("views.open")[0]
    assert opened.args["view"] == MODAL
    assert opened.headers["authorization"] == "Bearer xoxb-test"
    assert opened.headers["content-type"].startswith("application/json")
    modal = fake.view(opened.answered["view"]["id"])
    assert modal["callback_id"] == "golive_modal"

    clicked = bot.slack.action("approve", "42", channel_id="C1")
    assert clicked.status == 200

    posted = fake.wait_for("chat.postMessage")[0]
    # Bolt's per-request client adds the team_id of the request to every call.
    assert posted.args == {"channel": "C1", "text": "Approved 42", "team_id": "T0001"}
    assert [c.method for c in fake.calls()] == ["views.open", "chat.postMessage"]
    assert [m["text"] for m in fake.messages("C1")] == ["Approved 42"]


def test_the_trigger_id_slack_sent_is_the_one_used_to_open_the_modal(
    bot: Bot, fake: FakeSlack
) -> None:
    trigger = new_trigger_id()
    bot.slack.command("go", trigger_id=trigger)
    opened = fake.wait_for("views.open")[0]
    assert (opened.args["trigger_id"], opened.accepted) == (trigger, True)


def test_a_forged_signature_is_refused(bot: Bot, fake: FakeSlack) -> None:
    body = b"command=%2Fgolive&text=&trigger_id=1.2.3&user_id=U1&team_id=T0001"
    headers = sign(body, "not-the-secret")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert bot.slack.post_raw(body, headers).status == 401
    assert fake.calls() == []


def test_a_request_older_than_five_minutes_is_refused(bot: Bot, fake: FakeSlack) -> None:
    body = b"command=%2Fgolive&text=&trigger_id=1.2.3&user_id=U1&team_id=T0001"
    headers = sign(body, SECRET, timestamp=int(time.time()) - 6 * 60)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert bot.slack.post_raw(body, headers).status == 401
    assert fake.calls() == []


def test_url_verification_is_answered_with_the_challenge(bot: Bot) -> None:
    answer = bot.slack.post_json({"type": "url_verification", "challenge": "c-123", "token": "x"})
    assert (answer.status, answer.json()) == (200, {"challenge": "c-123"})


def test_bolt_delivers_slacks_retries_again_so_handlers_must_be_idempotent(bot: Bot) -> None:
    event = app_home_opened("U1")
    assert bot.slack.event(event, event_id="Ev1").status == 200
    assert bot.slack.event(event, event_id="Ev1", retry_num=1).status == 200
    deadline = time.monotonic() + 5
    while len(bot.seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [b["event_id"] for b in bot.seen] == ["Ev1", "Ev1"]


def test_respond_posts_to_the_response_url_served_by_the_fake(bot: Bot, fake: FakeSlack) -> None:
    @bot.app.command("/status")
    def status(ack: Ack, respond: Respond) -> None:
        ack()
        respond("All homes live")

    assert bot.slack.command("", command="/status").status == 200
    replied = fake.wait_for(RESPONSE_URL_METHOD)[0]
    assert replied.args["text"] == "All homes live"
    assert replied.args["url_path"].startswith("/hooks/commands/T0001/")


def test_a_message_shortcut_carries_the_message_it_was_used_on(bot: Bot, fake: FakeSlack) -> None:
    got: list[dict[str, Any]] = []

    @bot.app.shortcut("flag_issue")
    def flag(ack: Ack, shortcut: dict[str, Any]) -> None:
        got.append(shortcut)
        ack()

    written = fake.add_message("C1", "Oakwood: MAR chart missing", user="USTAFF01")
    assert bot.slack.shortcut("flag_issue", message=written, channel_id="C1").status == 200
    assert got[0]["message"] == written
    assert (got[0]["message_ts"], got[0]["channel"]["id"]) == (written["ts"], "C1")


def test_an_action_nobody_listens_to_gets_404(bot: Bot) -> None:
    assert bot.slack.action("no_such_action").status == 404


# ---------------------------------------------------------------------- payload shapes


def test_element_states_have_slacks_shapes() -> None:
    payload = block_actions("pick", action=static_select("oak", "Oakwood"), channel_id="C9")
    assert payload["actions"][0] == {
        "action_id": "pick",
        "block_id": payload["actions"][0]["block_id"],
        "action_ts": payload["actions"][0]["action_ts"],
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": "Oakwood", "emoji": True},
            "value": "oak",
        },
    }
    assert payload["container"]["channel_id"] == "C9"
    assert users_select("U2") == {"type": "users_select", "selected_user": "U2"}
    assert datepicker("2026-11-23") == {"type": "datepicker", "selected_date": "2026-11-23"}
    assert plain_text_input("x") == {"type": "plain_text_input", "value": "x"}


def test_a_submission_reaches_the_view_listener_with_its_values(bot: Bot, fake: FakeSlack) -> None:
    got: list[dict[str, Any]] = []

    @bot.app.view("golive_modal")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        got.append(view)
        ack(response_action="errors", errors={"when": "Pick a weekday"})

    bot.slack.command("")
    modal = fake.view(fake.wait_for("views.open")[0].answered["view"]["id"])
    answer = bot.slack.submit(view=modal, values={"when": {"date": datepicker("2026-11-22")}})
    assert answer.json() == {"response_action": "errors", "errors": {"when": "Pick a weekday"}}
    assert got[0]["id"] == modal["id"]
    assert got[0]["state"]["values"]["when"]["date"]["selected_date"] == "2026-11-22"


# ---------------------------------------------------------------------- injected failures


def test_fail_gives_the_client_a_slack_error_once(fake: FakeSlack) -> None:
    client = client_for(fake)
    fake.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C404", text="hello")
    assert failed.value.response["error"] == "channel_not_found"
    assert fake.last("chat.postMessage").accepted is False
    assert fake.messages("C404") == []

    client.chat_postMessage(channel="C404", text="hello")
    assert [c.accepted for c in fake.calls("chat.postMessage")] == [False, True]


def test_fail_http_gives_the_client_the_status(fake: FakeSlack) -> None:
    fake.fail_http("chat.update", status=503)
    with pytest.raises(SlackApiError) as failed:
        client_for(fake).chat_update(channel="C1", ts="1.2", text="x")
    assert failed.value.response.status_code == 503
    assert fake.last("chat.update").status == 503


def test_rate_limit_gives_429_with_retry_after(fake: FakeSlack) -> None:
    fake.rate_limit("views.publish", retry_after=7, times=None)
    client = client_for(fake)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            client.views_publish(user_id="U1", view=HOME)
        assert failed.value.response.status_code == 429
        assert failed.value.response.headers["Retry-After"] == "7"
        assert failed.value.response["error"] == "ratelimited"
    fake.clear_failures()
    client.views_publish(user_id="U1", view=HOME)
    assert fake.home("U1") is not None


def test_a_drop_after_accepting_leaves_the_message_posted(fake: FakeSlack) -> None:
    client = client_for(fake, retry_handlers=[])
    fake.drop("chat.postMessage")
    with pytest.raises(http.client.RemoteDisconnected):
        client.chat_postMessage(channel="C1", text="did it post?")
    assert fake.last("chat.postMessage").status is None
    assert [m["text"] for m in fake.messages("C1")] == ["did it post?"]


def test_a_drop_before_accepting_leaves_no_trace(fake: FakeSlack) -> None:
    client = client_for(fake, retry_handlers=[])
    fake.drop("chat.postMessage", after_accept=False)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="C1", text="lost")
    assert fake.calls() == []
    assert fake.messages("C1") == []


def test_slack_sdks_default_retry_posts_twice_after_an_ambiguous_drop(fake: FakeSlack) -> None:
    # WebClient retries connection errors once by default: here with no wait between tries.
    retry = ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0))
    client = client_for(fake, retry_handlers=[retry])
    fake.drop("chat.postMessage")
    client.chat_postMessage(channel="C1", text="once?")
    assert [m["text"] for m in fake.messages("C1")] == ["once?", "once?"]


def test_wait_for_says_what_it_saw_when_it_gives_up(fake: FakeSlack) -> None:
    client_for(fake).auth_test()
    with pytest.raises(AssertionError, match=r"views\.open.*auth\.test"):
        fake.wait_for("views.open", timeout=0.05)


# ---------------------------------------------------------------------- Slack-like state


def test_chat_update_changes_what_the_channel_shows(fake: FakeSlack) -> None:
    client = client_for(fake)
    ts = client.chat_postMessage(channel="C1", text="draft", blocks=[])["ts"]
    client.chat_update(channel="C1", ts=ts, text="final")
    updated = fake.find_message("C1", ts)
    assert updated is not None and updated["text"] == "final"
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C1", ts="1.000001", text="nope")


def test_a_stale_view_hash_is_refused(fake: FakeSlack) -> None:
    client = client_for(fake)
    first = client.views_open(trigger_id=new_trigger_id(), view=MODAL)["view"]
    client.views_update(view_id=first["id"], hash=first["hash"], view=MODAL)
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=first["id"], hash=first["hash"], view=MODAL)


def test_form_encoded_methods_are_parsed_and_answered(fake: FakeSlack) -> None:
    client = client_for(fake)
    fake.users["U7"] = {"real_name": "Mo Manager"}
    assert client.users_info(user="U7")["user"]["profile"]["real_name"] == "Mo Manager"
    assert client.conversations_open(users=["U7"])["channel"]["id"] == "DU7"
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")["permalink"]
    assert link == "https://example.slack.com/archives/C1/p1700000000000100"
    assert fake.last("users.info").headers["content-type"] == "application/x-www-form-urlencoded"


def test_a_file_upload_is_recorded_with_its_bytes(fake: FakeSlack) -> None:
    done = client_for(fake).files_upload_v2(
        content=b"home,status\nOakwood,live\n", filename="x.csv", channel="C1"
    )
    assert done["file"]["name"] == "x.csv"
    assert [c.method for c in fake.calls()] == [
        "files.getUploadURLExternal",
        UPLOAD_METHOD,
        "files.completeUploadExternal",
    ]
    assert fake.last(UPLOAD_METHOD).body == b"home,status\nOakwood,live\n"
    (shared,) = fake.uploaded_files("C1")
    assert (shared.filename, shared.content) == ("x.csv", b"home,status\nOakwood,live\n")
