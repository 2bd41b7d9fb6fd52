"""A burst of reports during go-live: the triage channel shows them all within seconds, as
roll-up posts with a line and a triage button each, while Slack's pace of about one post a
second per channel holds; each issue still gets its own post and thread, later or as soon as
someone triages it, and nothing is posted twice or lost."""

import re
from datetime import timedelta
from itertools import pairwise
from typing import Any

from sqlmodel import select

from bot.ids import Queries, Triage
from bot.sender import OutboxSender
from store.infra.db import session_scope
from store.records import rollups
from store.records.models import OutboxMessage
from tests.slack_requests import users_select
from tests.slackapp import SlackApp, report_values
from tests.world import TRIAGE_CHANNEL

Json = dict[str, Any]
SECOND = timedelta(seconds=1)


def paced(slack: SlackApp) -> OutboxSender:
    """The sender as golive serve runs it: about one post a second per channel."""
    return OutboxSender(slack.engine, slack.sender.client, slack.clock, min_interval=1.0)


def run(sender: OutboxSender) -> int:
    """Passes until nothing more goes now, as the sender's loop makes them."""
    total = 0
    while (sent := sender.run_once()) > 0:
        total += sent
    return total


def reports_from_everyone(slack: SlackApp) -> list[str]:
    """Five people report at once, each through /golive and the modal."""
    world = slack.world
    people = (world.staff, world.team_leader, world.manager, world.other_manager, world.admin)
    for n, person in enumerate(people):
        slack.report(
            user=person.slack_user_id,
            service_id=world.oakwood.id,
            description=f"eMAR froze on round {n}",
        )
    return [f"GL-{n:04d}" for n in range(1, len(people) + 1)]


def burst(slack: SlackApp) -> tuple[list[str], OutboxSender]:
    """Five reports at once, and the paced sender's passes right after: their refs, and the
    sender to run again."""
    refs = reports_from_everyone(slack)
    sender = paced(slack)
    run(sender)
    return refs, sender


def triage_posts(slack: SlackApp) -> list[Json]:
    return slack.fake.messages(TRIAGE_CHANNEL)


def key_of(post: Json) -> str:
    return str(post["metadata"]["event_payload"]["key"])


def lines_of(post: Json) -> list[Json]:
    return [block for block in post["blocks"] if "accessory" in block]


def own_post(slack: SlackApp, ref: str) -> Json:
    [post] = [p for p in triage_posts(slack) if key_of(p) == f"issue:{ref}:triage"]
    return post


def rollup_rows(slack: SlackApp) -> list[OutboxMessage]:
    with session_scope(slack.engine, write=False) as session:
        query = select(OutboxMessage).where(OutboxMessage.notice == rollups.ROLLUP_NOTICE)
        return list(session.exec(query))


def test_reports_that_come_in_together_show_as_one_post_with_a_triage_button_each(
    slack: SlackApp,
) -> None:
    refs, _sender = burst(slack)

    [rollup] = triage_posts(slack)
    assert key_of(rollup).startswith(f"issue_rollup:{TRIAGE_CHANNEL}:")
    assert rollup["text"] == f"5 new go-live issues: {', '.join(refs)}"
    lines = lines_of(rollup)
    assert [line["accessory"]["value"] for line in lines] == refs
    assert {line["accessory"]["action_id"] for line in lines} == {Queries.ISSUE_DETAILS}
    assert lines[0]["text"]["text"] == (
        ":large_yellow_circle: *GL-0001* · Oakwood House · Medication or eMAR · Medium urgency"
    )
    for person in (slack.world.staff, slack.world.admin):
        [confirmation] = slack.fake.messages("D" + person.slack_user_id)
        assert "your report is in" in confirmation["text"]

    leader = slack.world.team_leader.slack_user_id
    slack.action(
        Queries.ISSUE_DETAILS, refs[2], user=leader, message=rollup, channel_id=TRIAGE_CHANNEL
    )
    reply = slack.replies()[-1]
    assert reply["text"].startswith(
        "GL-0003 Medication or eMAR at Oakwood House: eMAR froze on round 2"
    )
    buttons = [
        element["action_id"]
        for block in reply["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert Triage.ASSIGN in buttons


def test_each_issue_gets_its_own_post_a_second_apart_once_the_channel_is_quiet(
    slack: SlackApp,
) -> None:
    refs, sender = burst(slack)
    assert run(sender) == 0, "a second post within the second"

    for _ in refs:
        slack.clock.advance(SECOND)
        assert run(sender) == 1
    slack.clock.advance(SECOND)
    assert run(sender) == 0

    rollup, *own = triage_posts(slack)
    assert [key_of(post) for post in own] == [f"issue:{ref}:triage" for ref in refs]
    assert own[0]["text"].startswith("GL-0001 Medication or eMAR at Oakwood House")
    with session_scope(slack.engine, write=False) as session:
        [row] = rollup_rows(slack)
        assert row.message_ts == rollup["ts"]
        shown = rollups.shown_in(session, rollup_id=row.id or 0)
        assert [item.issue.ref for item in shown] == refs
        statuses = {m.key: m.status for m in session.exec(select(OutboxMessage))}
    assert set(statuses.values()) == {"sent"}


def test_triaging_a_rolled_up_issue_brings_its_own_post_forward_with_its_thread(
    slack: SlackApp,
) -> None:
    refs, sender = burst(slack)
    [rollup] = triage_posts(slack)
    world = slack.world
    leader = world.team_leader.slack_user_id

    slack.action(Triage.ASSIGN, refs[3], user=leader, message=rollup, channel_id=TRIAGE_CHANNEL)
    modal = slack.opened_view()
    assert modal["private_metadata"] == refs[3]
    owner = {Triage.OWNER: {Triage.OWNER: users_select(world.manager.slack_user_id)}}
    slack.submit(modal, owner, user=leader)

    slack.clock.advance(SECOND)
    run(sender)
    first = triage_posts(slack)[1]
    assert key_of(first) == f"issue:{refs[3]}:triage", "the triaged issue waited its turn"
    assert f"<@{world.manager.slack_user_id}>" in str(first["blocks"])

    slack.clock.advance(timedelta(seconds=5))
    run(sender)
    thread = slack.fake.messages(TRIAGE_CHANNEL, first["ts"])
    assert [m["text"] for m in thread[1:]] == ["Tia Leader assigned the issue to Mo Manager"]
    [update] = slack.fake.calls("chat.update")
    assert update.args["ts"] == first["ts"]
    assert len([p for p in triage_posts(slack) if key_of(p) == f"issue:{refs[3]}:triage"]) == 1


def test_a_rollup_whose_answer_was_lost_is_not_posted_again(slack: SlackApp) -> None:
    refs = reports_from_everyone(slack)
    sender = paced(slack)
    slack.fake.drop("chat.postMessage", after_accept=True)
    run(sender)
    [taken] = triage_posts(slack)
    [unsure] = rollup_rows(slack)
    assert unsure.status == "pending"
    assert (unsure.last_error or "").startswith("ambiguous")

    slack.clock.advance(timedelta(minutes=1))
    run(sender)
    [rollup] = rollup_rows(slack)
    assert rollup.status == "sent"
    assert rollup.message_ts == taken["ts"]
    rollups_in_channel = [p for p in triage_posts(slack) if key_of(p).startswith("issue_rollup")]
    assert rollups_in_channel == [taken]
    with session_scope(slack.engine, write=False) as session:
        shown = rollups.shown_in(session, rollup_id=rollup.id or 0)
    assert [item.issue.ref for item in shown] == refs


def test_a_rollup_owed_by_a_sender_that_died_is_posted_by_the_next_once(slack: SlackApp) -> None:
    refs = reports_from_everyone(slack)
    with session_scope(slack.engine) as session:
        owed = rollups.roll_up(session, channel=TRIAGE_CHANNEL, now=slack.clock.now())
    assert owed is not None

    run(paced(slack))
    [rollup] = rollup_rows(slack)
    assert rollup.id == owed
    [post] = triage_posts(slack)
    assert key_of(post) == rollup.key
    assert [line["accessory"]["value"] for line in lines_of(post)] == refs


def test_a_single_report_gets_its_own_post_straight_away(slack: SlackApp) -> None:
    slack.report(user=slack.world.staff.slack_user_id, service_id=slack.world.oakwood.id)
    run(paced(slack))
    [post] = triage_posts(slack)
    assert key_of(post) == "issue:GL-0001:triage"
    assert rollup_rows(slack) == []


def test_every_report_of_a_300_report_burst_shows_within_a_minute_at_one_post_a_second(
    slack: SlackApp,
) -> None:
    """300 reports in a minute, five a second, each a signed submission of its own modal;
    the sender runs between them as its loop would. Every report must show in the triage
    channel (on a roll-up or its own post) within 60 s, posts to the channel at least a second
    apart, and in the end each issue has exactly one post of its own."""
    world = slack.world
    staff = world.staff.slack_user_id
    slack.command("", user=staff)
    modal = slack.opened_view()
    values = report_values(service_id=world.oakwood.id)
    sender = paced(slack)
    start = slack.clock.now()
    submitted: dict[str, timedelta] = {}
    visible: dict[str, timedelta] = {}
    post_times: list[timedelta] = []
    seen = 0

    def look() -> None:
        nonlocal seen
        posts = triage_posts(slack)
        at = slack.clock.now() - start
        for post in posts[seen:]:
            post_times.append(at)
            for ref in re.findall(r"GL-\d{4}", post["text"]):
                visible.setdefault(ref, at)
        seen = len(posts)

    for n in range(1, 301):
        slack.driver.submit(
            values=values, view=modal, user_id=staff, view_id=f"VBURST{n:04d}", view_hash=f"h{n}"
        )
        submitted[f"GL-{n:04d}"] = slack.clock.now() - start
        slack.settle()
        run(sender)
        look()
        slack.clock.advance(timedelta(milliseconds=200))
    while len(visible) < 300 and slack.clock.now() - start < timedelta(minutes=3):
        slack.clock.advance(timedelta(milliseconds=200))
        run(sender)
        look()

    assert len(submitted) == 300
    never = timedelta(days=1)
    late = {ref: visible.get(ref, never) - at for ref, at in submitted.items()}
    assert max(late.values()) <= timedelta(seconds=60), sorted(late.items(), key=lambda kv: -kv[1])[
        :5
    ]

    for _ in range(400):
        slack.clock.advance(SECOND)
        run(sender)
        look()
    gaps = [b - a for a, b in pairwise(post_times)]
    assert min(gaps) >= SECOND
    own = [key_of(p) for p in triage_posts(slack) if key_of(p).startswith("issue:")]
    assert sorted(own) == sorted(f"issue:{ref}:triage" for ref in submitted)
    assert len(own) == len(set(own))
