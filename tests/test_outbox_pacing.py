"""golive serve runs a sender in each worker and one in the scheduler: together they post at
most about once a second into any one channel, as Slack asks, and a channel held to that pace
holds back no other channel or anyone's direct messages."""

import threading
from datetime import timedelta

from sqlalchemy import Engine

from bot.sender import OutboxSender
from store.infra.db import make_engine, session_scope
from store.records import lanes, outbox
from store.records.outbox import Method, Notice
from tests.slackapp import SlackApp
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL

SECOND = timedelta(seconds=1)


def owe(slack: SlackApp, key: str, *, channel: str | None = None, user: str | None = None) -> None:
    """A message written already (its key as its text), to a channel or as a direct message."""
    with session_scope(slack.engine) as session:
        outbox.enqueue(
            session,
            key=key,
            method=Method.DM if user else Method.POST,
            notice=Notice.DIGEST,
            channel=channel,
            user=user,
            payload={"text": key, "blocks": []},
            now=slack.clock.now(),
        )


def own_engine(slack: SlackApp) -> Engine:
    """An engine of its own, as each gunicorn worker and the scheduler have."""
    return make_engine(slack.engine.url.render_as_string(hide_password=False))


def texts(slack: SlackApp, channel: str) -> list[str]:
    return [m["text"] for m in slack.fake.messages(channel)]


def run_together(senders: list[OutboxSender]) -> None:
    def loop(sender: OutboxSender) -> None:
        while sender.run_once() > 0:
            pass

    threads = [threading.Thread(target=loop, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_three_processes_senders_post_once_a_second_into_a_channel_between_them(
    slack: SlackApp,
) -> None:
    for n in range(6):
        owe(slack, f"digest:{n}", channel=PROJECT_CHANNEL)
    owe(slack, "board:1", channel=BOARD_CHANNEL)
    owe(slack, "board:2", channel=BOARD_CHANNEL)
    engines = [own_engine(slack) for _ in range(3)]
    senders = [
        OutboxSender(engine, slack.sender.client, slack.clock, min_interval=1.0)
        for engine in engines
    ]
    try:
        run_together(senders)
        assert texts(slack, PROJECT_CHANNEL) == ["digest:0"]
        assert texts(slack, BOARD_CHANNEL) == ["board:1"]

        run_together(senders)
        assert len(texts(slack, PROJECT_CHANNEL)) == 1, "the pace held across processes"

        for second in range(2, 7):
            slack.clock.advance(SECOND)
            run_together(senders)
            assert len(texts(slack, PROJECT_CHANNEL)) == second
        assert texts(slack, PROJECT_CHANNEL) == [f"digest:{n}" for n in range(6)]
        assert texts(slack, BOARD_CHANNEL) == ["board:1", "board:2"]
        assert len(slack.fake.calls("chat.postMessage")) == 8
    finally:
        for engine in engines:
            engine.dispose()


def test_a_channel_with_a_long_queue_holds_back_no_other_channel_or_direct_message(
    slack: SlackApp,
) -> None:
    for n in range(60):
        owe(slack, f"digest:{n}", channel=PROJECT_CHANNEL)
    owe(slack, "board:1", channel=BOARD_CHANNEL)
    manager = slack.world.manager.slack_user_id
    owe(slack, "dm:1", user=manager)
    owe(slack, "dm:2", user=manager)
    sender = OutboxSender(slack.engine, slack.sender.client, slack.clock, min_interval=1.0)

    while sender.run_once() > 0:
        pass

    assert texts(slack, PROJECT_CHANNEL) == ["digest:0"]
    assert texts(slack, BOARD_CHANNEL) == ["board:1"]
    assert texts(slack, "D" + manager) == ["dm:1"], "one a second into a DM too"
    with session_scope(slack.engine, write=False) as session:
        busy = lanes.busy(session, now=slack.clock.now())
    assert busy == {PROJECT_CHANNEL, BOARD_CHANNEL, f"dm:{manager}"}

    slack.clock.advance(SECOND)
    while sender.run_once() > 0:
        pass
    assert texts(slack, PROJECT_CHANNEL) == ["digest:0", "digest:1"]
    assert texts(slack, "D" + manager) == ["dm:1", "dm:2"]


def test_a_lane_slot_no_post_used_is_given_back_unless_claimed_again(slack: SlackApp) -> None:
    now = slack.clock.now()
    with session_scope(slack.engine) as session:
        slot = lanes.claim(session, lane=PROJECT_CHANNEL, now=now, interval=SECOND)
        assert slot is not None
        assert lanes.claim(session, lane=PROJECT_CHANNEL, now=now, interval=SECOND) is None
        assert lanes.busy(session, now=now) == {PROJECT_CHANNEL}
        lanes.release(session, slot)
        assert lanes.busy(session, now=now) == set()
        later = now + timedelta(milliseconds=300)
        again = lanes.claim(session, lane=PROJECT_CHANNEL, now=later, interval=SECOND)
        assert again is not None
        lanes.release(session, slot)
        assert lanes.busy(session, now=later) == {PROJECT_CHANNEL}, "a stale slot freed nothing"
        assert lanes.next_free(session, lanes={PROJECT_CHANNEL}, now=later) == later + SECOND


def test_a_channel_slack_asks_to_wait_rests_for_every_sender(slack: SlackApp) -> None:
    owe(slack, "digest:0", channel=PROJECT_CHANNEL)
    owe(slack, "digest:1", channel=PROJECT_CHANNEL)
    owe(slack, "board:1", channel=BOARD_CHANNEL)
    worker = OutboxSender(slack.engine, slack.sender.client, slack.clock, min_interval=1.0)
    scheduler = OutboxSender(slack.engine, slack.sender.client, slack.clock, min_interval=1.0)
    slack.fake.rate_limit("chat.postMessage", retry_after=30)

    run_together([worker])
    assert texts(slack, PROJECT_CHANNEL) == []
    assert texts(slack, BOARD_CHANNEL) == ["board:1"]

    slack.clock.advance(timedelta(seconds=29))
    run_together([scheduler])
    assert texts(slack, PROJECT_CHANNEL) == [], "Retry-After holds the other sender too"
    slack.clock.advance(SECOND)
    run_together([scheduler])
    assert texts(slack, PROJECT_CHANNEL) == ["digest:0"]
    assert len(slack.fake.calls("chat.postMessage")) == 3
