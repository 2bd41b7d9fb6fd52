"""The outbox sender delivers each owed message once: it waits out rate limits, backs off on
outages, gives up (visibly) on what Slack refuses, and never re-posts a message Slack may
already have taken when the connection dropped."""

import threading
import time
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.sender import OutboxSender
from store.infra.db import session_scope
from store.records import outbox
from store.records.models import OutboxMessage
from store.records.outbox import Method, Notice
from tests.slackapp import SlackApp
from tests.world import PROJECT_CHANNEL, TRIAGE_CHANNEL

DIGEST = {"text": "Daily digest: 3 open issues", "blocks": [{"type": "divider"}]}


def owe_digest(slack: SlackApp, key: str = "digest:1", channel: str = PROJECT_CHANNEL) -> None:
    with session_scope(slack.engine) as session:
        outbox.enqueue(
            session,
            key=key,
            method=Method.POST,
            notice=Notice.DIGEST,
            channel=channel,
            payload=DIGEST,
            now=slack.clock.now(),
        )


def row(slack: SlackApp, key: str = "digest:1") -> OutboxMessage:
    with session_scope(slack.engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def posted(slack: SlackApp, channel: str = PROJECT_CHANNEL) -> list[dict[str, Any]]:
    return slack.fake.messages(channel)


def test_digest_is_posted_as_written_and_its_ts_kept(slack: SlackApp) -> None:
    owe_digest(slack)
    assert slack.deliver() == 1
    [message] = posted(slack)
    assert message["text"] == DIGEST["text"]
    assert message["blocks"] == DIGEST["blocks"]
    sent = row(slack)
    assert sent.status == "sent"
    assert (sent.message_channel, sent.message_ts) == (PROJECT_CHANNEL, message["ts"])
    assert slack.deliver() == 0


def test_rate_limited_post_waits_for_retry_after_without_using_an_attempt(
    slack: SlackApp,
) -> None:
    owe_digest(slack)
    slack.fake.rate_limit("chat.postMessage", retry_after=30)
    assert slack.deliver() == 0
    waiting = row(slack)
    assert waiting.status == "pending"
    assert waiting.attempts == 0
    assert waiting.next_attempt_at == slack.clock.now() + timedelta(seconds=30)
    slack.clock.advance(timedelta(seconds=29))
    assert slack.deliver() == 0
    slack.clock.advance(timedelta(seconds=1))
    assert slack.deliver() == 1
    assert len(posted(slack)) == 1


def test_post_slack_took_before_the_connection_dropped_is_not_posted_twice(
    slack: SlackApp,
) -> None:
    owe_digest(slack)
    slack.fake.drop("chat.postMessage", after_accept=True)
    assert slack.deliver() == 0
    assert len(posted(slack)) == 1
    unsure = row(slack)
    assert unsure.status == "pending"
    assert unsure.last_error is not None and unsure.last_error.startswith("ambiguous")
    slack.clock.advance(timedelta(minutes=1))
    assert slack.deliver() == 1
    [message] = posted(slack)
    assert row(slack).message_ts == message["ts"]
    assert len(slack.fake.calls("chat.postMessage")) == 1
    history = slack.fake.last("conversations.history")
    assert history.args["include_all_metadata"] in ("1", "true", True)


def test_post_lost_before_slack_took_it_is_posted_once_after_checking(slack: SlackApp) -> None:
    owe_digest(slack)
    slack.fake.drop("chat.postMessage", after_accept=False)
    assert slack.deliver() == 0
    assert posted(slack) == []
    slack.clock.advance(timedelta(minutes=1))
    assert slack.deliver() == 1
    assert len(posted(slack)) == 1
    assert len(slack.fake.calls("conversations.history")) == 1


def test_slack_outage_is_retried_with_growing_back_off(slack: SlackApp) -> None:
    owe_digest(slack)
    slack.fake.fail_http("chat.postMessage", status=503, times=2)
    start = slack.clock.now()
    assert slack.deliver() == 0
    first = row(slack)
    assert first.attempts == 1
    assert first.next_attempt_at == start + timedelta(seconds=5)
    slack.clock.advance(timedelta(seconds=5))
    assert slack.deliver() == 0
    second = row(slack)
    assert second.attempts == 2
    assert second.next_attempt_at == slack.clock.now() + timedelta(seconds=10)
    slack.clock.advance(timedelta(seconds=10))
    assert slack.deliver() == 1
    assert len(posted(slack)) == 1


def test_refused_post_is_recorded_and_given_up_after_max_attempts(slack: SlackApp) -> None:
    owe_digest(slack, channel="C0GONE")
    slack.fake.fail("chat.postMessage", "channel_not_found", times=None)
    for _ in range(slack.sender.max_attempts):
        slack.deliver()
        slack.clock.advance(timedelta(hours=1))
    dead = row(slack)
    assert dead.status == "dead"
    assert dead.last_error == "channel_not_found"
    assert dead.attempts == slack.sender.max_attempts
    assert slack.deliver() == 0


def test_thread_reply_waits_for_its_parent(slack: SlackApp) -> None:
    with session_scope(slack.engine) as session:
        now = slack.clock.now()
        outbox.enqueue(
            session,
            key="reply",
            method=Method.POST,
            notice=Notice.DIGEST,
            thread_key="parent",
            payload={"text": "reply", "blocks": []},
            now=now,
        )
        outbox.enqueue(
            session,
            key="parent",
            method=Method.POST,
            notice=Notice.DIGEST,
            channel=PROJECT_CHANNEL,
            payload={"text": "parent", "blocks": []},
            now=now,
        )
    assert slack.deliver() == 1
    assert row(slack, "reply").status == "pending"
    assert row(slack, "reply").attempts == 0
    slack.clock.advance(timedelta(seconds=5))
    assert slack.deliver() == 1
    parent = row(slack, "parent")
    thread = slack.fake.messages(PROJECT_CHANNEL, parent.message_ts)
    assert [m["text"] for m in thread] == ["parent", "reply"]


def test_message_no_feature_renders_is_kept_with_its_error(slack: SlackApp) -> None:
    with session_scope(slack.engine) as session:
        outbox.enqueue(
            session,
            key="odd",
            method=Method.POST,
            notice="no_such_notice",
            channel=PROJECT_CHANNEL,
            now=slack.clock.now(),
        )
    assert slack.deliver() == 0
    kept = row(slack, "odd")
    assert kept.status == "pending"
    assert "no renderer" in (kept.last_error or "")
    assert posted(slack) == []


def test_two_senders_never_send_the_same_message(slack: SlackApp) -> None:
    for n in range(6):
        owe_digest(slack, key=f"digest:{n}")
    slack.fake.delay = 0.02
    client = slack.sender.client
    senders = [OutboxSender(slack.engine, client, slack.clock, min_interval=0.0) for _ in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda s=s: counts.append(s.run_once())) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(counts) == 6
    assert len(posted(slack)) == 6
    assert len(slack.fake.calls("chat.postMessage")) == 6


def test_background_sender_delivers_when_nudged(slack: SlackApp) -> None:
    sender = OutboxSender(
        slack.engine, slack.sender.client, slack.clock, min_interval=0.0, poll_seconds=60
    )
    sender.start()
    try:
        owe_digest(slack)
        sender.nudge()
        slack.fake.wait_for("chat.postMessage", timeout=5)
        deadline = time.monotonic() + 5
        while row(slack).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert row(slack).status == "sent"
    finally:
        sender.stop()


def test_unsure_post_waits_when_slack_cannot_show_the_history(slack: SlackApp) -> None:
    owe_digest(slack)
    slack.fake.drop("chat.postMessage", after_accept=True)
    slack.deliver()
    slack.fake.fail("conversations.history", "missing_scope")
    slack.clock.advance(timedelta(minutes=1))
    assert slack.deliver() == 0
    assert len(slack.fake.calls("chat.postMessage")) == 1
    still = row(slack)
    assert still.status == "pending"
    assert still.last_error == "ambiguous: missing_scope"
    slack.clock.advance(timedelta(minutes=5))
    assert slack.deliver() == 1
    assert len(posted(slack)) == 1


def test_a_burst_of_reports_holds_no_alert_behind_the_triage_channels_pace(
    slack: SlackApp,
) -> None:
    """Slack takes about one post a second per channel: the triage posts of a burst wait
    their turn, while the reporters' confirmations and a manager's alert go at once."""
    world = slack.world
    slack.report(user=world.other_manager.slack_user_id, service_id=world.oakwood.id)
    slack.report(
        user=world.staff.slack_user_id,
        service_id=world.oakwood.id,
        description="The medication round shows the wrong resident's photo",
        impact="safe_care",
        urgency="urgent",
        workaround="unsafe",
        workaround_detail="Checking residents by name only",
    )
    slack.settle()
    sender = OutboxSender(slack.engine, slack.sender.client, slack.clock, min_interval=30.0)
    started = time.monotonic()
    assert sender.run_once() == 5
    assert time.monotonic() - started < 10, "the pass slept out the triage channel's pace"
    assert len(slack.fake.messages(TRIAGE_CHANNEL)) == 1
    for who in (world.other_manager, world.staff, world.manager, world.project_lead):
        assert len(slack.fake.messages("D" + who.slack_user_id)) == 1
    assert row(slack, "issue:GL-0002:triage").status == "pending"
    assert sender.run_once() == 0
    assert len(slack.fake.messages(TRIAGE_CHANNEL)) == 1
