"""The fake Slack refuses what Slack refuses, so a test cannot pass on a call a real workspace
would turn down: a method whose scope manifest.yml does not grant, a trigger id that is stale,
spent or malformed, and Block Kit over Slack's limits. And ``/golive export`` delivers its
files with the scopes golive's manifest asks for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import MANIFEST, UPLOAD_METHOD, FakeSlack, bot_scopes
from tests.slack_requests import new_trigger_id
from tests.slackapp import SlackApp

Json = dict[str, Any]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def client_for(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def manifest_without(scope: str, folder: Path) -> Path:
    """golive's manifest.yml as it would be without ``scope``, written to ``folder``."""
    declared = yaml.safe_load(MANIFEST.read_text())
    bot = declared["oauth_config"]["scopes"]["bot"]
    assert scope in bot
    bot.remove(scope)
    edited = folder / "manifest.yml"
    edited.write_text(yaml.safe_dump(declared))
    return edited


def section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(*blocks: Json) -> Json:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Go-live"}, "blocks": blocks}


def refusal(call: Any) -> Json:
    """What Slack answered a call the client raised on."""
    with pytest.raises(SlackApiError) as refused:
        call()
    return dict(refused.value.response.data)


# ---------------------------------------------------------------------- scopes


def test_the_bot_holds_exactly_the_scopes_the_manifest_declares(fake: FakeSlack) -> None:
    declared = yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]
    assert fake.scopes == tuple(declared)
    assert "files:write" in fake.scopes


def test_an_app_installed_without_files_write_cannot_upload(tmp_path: Path) -> None:
    with FakeSlack(manifest_without("files:write", tmp_path)) as fake:
        answer = refusal(
            lambda: client_for(fake).files_upload_v2(
                content=b"a,b\n", filename="x.csv", channel="C1"
            )
        )
        assert answer["error"] == "missing_scope"
        assert answer["needed"] == "files:write"
        assert answer["provided"].split(",") == list(fake.scopes)
        assert "files:write" not in fake.scopes
        assert [c.method for c in fake.calls()] == ["files.getUploadURLExternal"]
        assert fake.uploaded_files() == []


def test_a_direct_messages_history_needs_im_history_whatever_else_is_granted(
    tmp_path: Path,
) -> None:
    with FakeSlack(manifest_without("im:history", tmp_path)) as fake:
        client = client_for(fake)
        assert client.conversations_history(channel="C1")["ok"] is True
        answer = refusal(lambda: client.conversations_history(channel="DU1"))
        assert (answer["error"], answer["needed"]) == ("missing_scope", "im:history")


def test_a_method_the_fake_does_not_serve_is_unknown_rather_than_accepted(fake: FakeSlack) -> None:
    answer = refusal(lambda: client_for(fake).api_call("reactions.add"))
    assert answer["error"] == "unknown_method"


# ---------------------------------------------------------------------- trigger ids


def test_a_trigger_opens_one_modal_while_it_is_fresh(fake: FakeSlack) -> None:
    trigger = new_trigger_id(issued_at=time.time() - 2)
    client = client_for(fake)
    opened = client.views_open(trigger_id=trigger, view=modal(section("Which home?")))
    assert fake.view(opened["view"]["id"])["blocks"] == [section("Which home?")]
    again = refusal(lambda: client.views_push(trigger_id=trigger, view=modal(section("Next"))))
    assert again["error"] == "exchanged_trigger_id"


def test_a_trigger_older_than_three_seconds_has_expired(fake: FakeSlack) -> None:
    stale = new_trigger_id(issued_at=time.time() - 3.5)
    answer = refusal(
        lambda: client_for(fake).views_open(trigger_id=stale, view=modal(section("x")))
    )
    assert answer["error"] == "expired_trigger_id"
    assert fake.calls("views.open")[0].accepted is False


def test_a_trigger_slack_never_issued_is_invalid(fake: FakeSlack) -> None:
    answer = refusal(lambda: client_for(fake).views_open(trigger_id="T1", view=modal(section("x"))))
    assert answer["error"] == "invalid_trigger_id"


# ---------------------------------------------------------------------- Block Kit


def test_a_message_with_a_section_over_3000_characters_is_refused(fake: FakeSlack) -> None:
    client = client_for(fake)
    answer = refusal(
        lambda: client.chat_postMessage(channel="C1", text="long", blocks=[section("x" * 3001)])
    )
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == [
        "text attribute cannot exceed 3000 characters [json-pointer:/blocks/0]"
    ]
    assert fake.messages("C1") == []
    client.chat_postMessage(channel="C1", text="long", blocks=[section("x" * 3000)])
    assert len(fake.messages("C1")) == 1


def test_a_message_over_fifty_blocks_is_refused(fake: FakeSlack) -> None:
    client = client_for(fake)
    ts = client.chat_postMessage(channel="C1", text="list", blocks=[section("row")] * 50)["ts"]
    answer = refusal(
        lambda: client.chat_update(channel="C1", ts=ts, text="list", blocks=[section("row")] * 51)
    )
    assert answer["error"] == "invalid_blocks"
    assert len((fake.find_message("C1", ts) or {})["blocks"]) == 50


def test_a_refused_view_leaves_the_trigger_for_a_corrected_one(fake: FakeSlack) -> None:
    trigger = new_trigger_id()
    client = client_for(fake)
    answer = refusal(lambda: client.views_open(trigger_id=trigger, view=modal(section("x" * 3001))))
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] text attribute cannot exceed 3000 characters [json-pointer:/view/blocks/0]"
    ]
    assert client.views_open(trigger_id=trigger, view=modal(section("x" * 3000)))["ok"] is True


def test_a_home_tab_with_a_title_too_long_for_a_modal_is_refused(fake: FakeSlack) -> None:
    answer = refusal(
        lambda: client_for(fake).views_publish(
            user_id="U1",
            view={**modal(section("x")), "title": {"type": "plain_text", "text": "t" * 25}},
        )
    )
    assert answer["error"] == "invalid_arguments"
    assert fake.home("U1") is None


# ---------------------------------------------------------------------- /golive export


def test_export_reaches_the_leads_direct_messages_with_the_manifests_scopes(
    slack: SlackApp,
) -> None:
    lead = slack.world.project_lead.slack_user_id
    slack.command("export csv", user=lead)
    assert slack.fake.uploaded_files("D" + lead)
    assert all(c.accepted for c in slack.fake.calls() if c.method != UPLOAD_METHOD)
    assert "Export ready in your direct messages" in slack.last_reply()


def test_export_fails_with_missing_scope_if_the_manifest_drops_files_write(
    slack: SlackApp, tmp_path: Path
) -> None:
    slack.fake.scopes = bot_scopes(manifest_without("files:write", tmp_path))
    lead = slack.world.project_lead.slack_user_id
    slack.command("export csv", user=lead)
    assert slack.fake.uploaded_files() == []
    assert slack.fake.last("files.getUploadURLExternal").answered["error"] == "missing_scope"
    assert "missing_scope" in slack.last_reply()
