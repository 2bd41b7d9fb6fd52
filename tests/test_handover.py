"""Handover summaries: each service's channel hears, at its shift changes (07:30 and 19:30
local by default), which urgent items are open and which immediate controls the incoming
shift must keep up; once per shift, at the right local time across both clock changes."""

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import issues
from store.records.enums import Impact, IssueCategory, Urgency, Workaround
from store.records.issues import IssueReport
from store.records.models import OutboxMessage, Service
from tests.posted import posted_json
from tests.schedules_world import settings
from tests.slackapp import SlackApp

OAKWOOD_CHANNEL = "COAKWOOD1"


def give_oakwood_a_channel(slack: SlackApp) -> None:
    with session_scope(slack.engine) as session:
        service = session.get(Service, slack.world.oakwood.id)
        assert service is not None
        service.channel_id = OAKWOOD_CHANNEL
        session.add(service)


def urgent_issue_with_control(slack: SlackApp, at: datetime) -> str:
    world = slack.world
    with session_scope(slack.engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=world.staff,
            report=IssueReport(
                service_id=world.oakwood.id,  # type: ignore[arg-type]
                category=IssueCategory.MEDICATION,
                description="eMAR shows no doses for Room 4 since midnight",
                impact=Impact.SAFE_CARE,
                urgency=Urgency.URGENT,
                workaround=Workaround.SAFE,
            ),
            now=at,
        )
        issues.add_immediate_control(
            session,
            actor=world.team_leader,
            ref=issue.ref,
            description="Second carer witnesses every dose on the paper MAR",
            owner=world.team_leader,
            now=at,
        )
        issues.report_issue(
            session,
            reporter=world.staff,
            report=IssueReport(
                service_id=world.oakwood.id,  # type: ignore[arg-type]
                category=IssueCategory.REPORTING,
                description="Weekly report font is small",
                impact=Impact.NONE,
                urgency=Urgency.LOW,
            ),
            now=at,
        )
        return issue.ref


def handovers(slack: SlackApp) -> list[OutboxMessage]:
    with session_scope(slack.engine) as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.key).startswith("handover:"))
                .order_by(col(OutboxMessage.id))
            )
        )


def tick(slack: SlackApp, at: datetime) -> str:
    return run_job("escalation", engine=slack.engine, settings=settings(), at=at)


def test_handover_summaries_come_at_local_shift_change_across_the_spring_clock_change(
    slack: SlackApp,
) -> None:
    give_oakwood_a_channel(slack)
    ref = urgent_issue_with_control(slack, datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    # Saturday 27 March: GMT, so 07:30 local is 07:30 UTC.
    assert "0 handover summaries owed" in tick(slack, datetime(2027, 3, 27, 7, 15, tzinfo=UTC))
    assert "1 handover summaries owed" in tick(slack, datetime(2027, 3, 27, 7, 30, tzinfo=UTC))
    assert "0 handover summaries owed" in tick(slack, datetime(2027, 3, 27, 7, 45, tzinfo=UTC))
    # Sunday 28 March: BST from 01:00 UTC, so 07:30 local is 06:30 UTC and 19:30 is 18:30 UTC.
    tick(slack, datetime(2027, 3, 28, 6, 30, tzinfo=UTC))
    tick(slack, datetime(2027, 3, 28, 7, 30, tzinfo=UTC))
    tick(slack, datetime(2027, 3, 28, 18, 30, tzinfo=UTC))
    rows = handovers(slack)
    assert [(row.key, row.created_at) for row in rows] == [
        ("handover:oakwood-house:2027-03-27:07:30", datetime(2027, 3, 27, 7, 30, tzinfo=UTC)),
        ("handover:oakwood-house:2027-03-28:07:30", datetime(2027, 3, 28, 6, 30, tzinfo=UTC)),
        ("handover:oakwood-house:2027-03-28:19:30", datetime(2027, 3, 28, 18, 30, tzinfo=UTC)),
    ]
    assert {row.channel for row in rows} == {OAKWOOD_CHANNEL}

    slack.clock.set(datetime(2027, 3, 28, 19, 0, tzinfo=UTC))
    slack.deliver()
    posts = slack.fake.messages(OAKWOOD_CHANNEL)
    assert len(posts) == 3
    night = json.dumps(posts[-1]["blocks"])
    assert "Shift handover" in night and "night shift" in night
    assert ref in night and "affects safe care" in night
    assert "Second carer witnesses every dose on the paper MAR" in night
    assert "Weekly report font" not in night
    assert "day shift" in json.dumps(posts[0]["blocks"])


def test_autumn_clock_change_keeps_the_local_time(slack: SlackApp) -> None:
    give_oakwood_a_channel(slack)
    # Sunday 31 October 2027: back to GMT at 01:00 UTC, so 07:30 local is 07:30 UTC.
    tick(slack, datetime(2027, 10, 31, 6, 30, tzinfo=UTC))
    assert handovers(slack) == []
    tick(slack, datetime(2027, 10, 31, 7, 30, tzinfo=UTC))
    [row] = handovers(slack)
    assert row.key == "handover:oakwood-house:2027-10-31:07:30"
    # The day before, still BST: 07:30 local was 06:30 UTC.
    tick(slack, datetime(2027, 10, 30, 6, 30, tzinfo=UTC))
    assert [r.key for r in handovers(slack)][-1] == "handover:oakwood-house:2027-10-30:07:30"


def test_a_service_sets_its_own_shift_times_and_a_late_tick_does_not_post_old_news(
    slack: SlackApp,
) -> None:
    give_oakwood_a_channel(slack)
    world = slack.world
    slack.command("handover oakwood-house 08:00,20:00", user=world.staff.slack_user_id)
    assert "You can't set Oakwood House's handover times" in slack.last_reply()
    slack.command("handover oakwood-house 8:00,25:00", user=world.manager.slack_user_id)
    assert "'25:00' is not a time" in slack.last_reply()
    slack.command("handover oakwood-house 20:00,08:00", user=world.manager.slack_user_id)
    assert "*08:00, 20:00*" in slack.last_reply()
    slack.command("handover", user=world.manager.slack_user_id)
    assert f"Oakwood House: 08:00, 20:00 · <#{OAKWOOD_CHANNEL}>" in slack.last_reply()
    assert "Riverside" in slack.last_reply() and "07:30, 19:30" in slack.last_reply()

    tick(slack, datetime(2026, 11, 24, 7, 30, tzinfo=UTC))
    assert handovers(slack) == []
    tick(slack, datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    tick(slack, datetime(2026, 11, 24, 8, 0, tzinfo=UTC) + timedelta(minutes=15))
    assert [r.key for r in handovers(slack)] == ["handover:oakwood-house:2026-11-24:08:00"]
    # golive was down from 19:00 to 23:00: the 20:00 summary is too stale to post.
    tick(slack, datetime(2026, 11, 24, 23, 0, tzinfo=UTC))
    assert len(handovers(slack)) == 1
    with session_scope(slack.engine) as session:
        summary = session.exec(
            select(OutboxMessage).where(OutboxMessage.key.like("handover:%"))
        ).one()  # type: ignore[attr-defined]
        assert "None in force" in posted_json(session, summary)
