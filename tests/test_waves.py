"""Rollout waves: each home has its own go-live date and wave status beside the project phase,
and /golive status, /golive waves and the digests compare services side by side."""

import json
from datetime import date, timedelta

from sqlmodel import col, select

from schedules.jobs import run_job
from store.infra.db import session_scope
from store.records import issues
from store.records.enums import Impact, IssueCategory, Urgency
from store.records.issues import IssueReport
from store.records.models import AuditEvent, OutboxMessage, Service
from tests.posted import posted_json
from tests.schedules_world import settings
from tests.slackapp import SlackApp


def report_at(
    slack: SlackApp,
    *,
    days_ago: int,
    urgent: bool = False,
    category: IssueCategory = IssueCategory.MEDICATION,
) -> None:
    world = slack.world
    with session_scope(slack.engine) as session:
        issues.report_issue(
            session,
            reporter=world.staff,
            report=IssueReport(
                service_id=world.oakwood.id,  # type: ignore[arg-type]
                category=category,
                description="Doses missing from the eMAR view",
                impact=Impact.SAFE_CARE if urgent else Impact.SOME,
                urgency=Urgency.URGENT if urgent else Urgency.MEDIUM,
            ),
            now=slack.clock.now() - timedelta(days=days_ago),
        )


def test_project_lead_puts_a_home_in_wave_three_and_the_board_compares_services(
    slack: SlackApp,
) -> None:
    world = slack.world
    lead = world.project_lead.slack_user_id
    slack.command("wave oakwood-house status=live wave=3", user=world.staff.slack_user_id)
    assert "You can't plan services' rollout waves" in slack.last_reply()
    slack.command("wave oakwood-house status=flying", user=lead)
    assert "'flying' is not a wave status" in slack.last_reply()
    slack.command("wave oakwood-house date=soon", user=lead)
    assert "'soon' is not a date like 2026-12-01" in slack.last_reply()

    slack.command("wave oakwood-house status=live wave=3 date=2026-11-20", user=lead)
    assert "*Oakwood House*: wave 3, live, 2026-11-20." in slack.last_reply()
    with session_scope(slack.engine) as session:
        oakwood = session.get(Service, world.oakwood.id)
        assert oakwood is not None and oakwood.golive_date == date(2026, 11, 20)
        fields = {
            e.field
            for e in session.exec(
                select(AuditEvent).where(AuditEvent.actor_id == world.project_lead.id)
            )
        }
        assert {"golive_date", "status", "wave"} <= fields

    report_at(slack, days_ago=5)  # before go-live: not counted
    report_at(slack, days_ago=2)
    report_at(slack, days_ago=1, urgent=True)
    report_at(slack, days_ago=0)

    slack.command("waves", user=world.board_member.slack_user_id)
    reply = slack.last_reply()
    oak = next(line for line in reply.splitlines() if "Oakwood" in line)
    assert oak.startswith("• *Wave 3* *Oakwood House* · Live")
    assert "live Fri 20 Nov (day 4)" in oak
    assert "3 issues, 0.8/day" in oak
    assert "1 urgent open" in oak
    assert "theme: Medication or eMAR (4)" in oak
    riverside = next(line for line in reply.splitlines() if "Riverside" in line)
    assert "Not started" in riverside and "0 urgent open" in riverside
    assert reply.index("Oakwood") < reply.index("Riverside")

    slack.command("status", user=world.manager.slack_user_id)
    call = slack.replies()[-1]
    assert "Services side by side" in json.dumps(call["blocks"])
    assert "Wave 3" in json.dumps(call["blocks"])

    run_job("board_review", engine=slack.engine, settings=settings(), at=slack.clock.now())
    with session_scope(slack.engine) as session:
        review = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("board_review:"))
        ).one()
        posted = posted_json(session, review)
    assert "Services side by side" in posted
    assert "3 issues, 0.8/day" in posted


def test_setting_a_wave_needs_something_to_set(slack: SlackApp) -> None:
    slack.command("wave oakwood-house", user=slack.world.project_lead.slack_user_id)
    assert "Set a service's rollout" in slack.last_reply()
    slack.command("wave oakwood-house colour=red", user=slack.world.project_lead.slack_user_id)
    assert "'colour' is not something a wave has" in slack.last_reply()
    slack.command("wave nowhere status=live", user=slack.world.project_lead.slack_user_id)
    assert "No service called 'nowhere'" in slack.last_reply()


def test_a_tie_for_a_homes_theme_goes_the_same_way_every_time(slack: SlackApp) -> None:
    """Two kinds reported equally often: the comparison names the first by its stored value,
    not whichever the database happened to return first."""
    for days_ago in (3, 2):
        report_at(slack, days_ago=days_ago, category=IssueCategory.RECORDS)
    for days_ago in (1, 0):
        report_at(slack, days_ago=days_ago, category=IssueCategory.MEDICATION)
    slack.command("waves", user=slack.world.board_member.slack_user_id)
    oak = next(line for line in slack.last_reply().splitlines() if "Oakwood" in line)
    assert "theme: Medication or eMAR (2)" in oak
