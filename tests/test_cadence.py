"""The governance clock follows the project phase, and a simulated go-live fortnight reaches
the channels exactly as the seed's cadence says: every digest once, on time."""

from datetime import timedelta

import pytest
from sqlmodel import select

from schedules.cadence import Job, schedule_for
from schedules.jobs import describe_jobs, run_job
from store.infra.db import session_scope
from store.records import phases
from store.records.enums import Impact, IssueCategory, Phase, Urgency
from store.records.models import OutboxMessage
from tests.conftest import START
from tests.posted import as_posted
from tests.schedules_world import report, seed, settings
from tests.world import BOARD_CHANNEL, PROJECT_CHANNEL, build_world

DAY = timedelta(days=1)

EXPECTED = {
    Phase.PRE_GO_LIVE: {"board_review", "reminders", "escalation", "retention"},
    Phase.GO_LIVE: {"daily_digest", "board_review", "reminders", "escalation", "retention"},
    Phase.STABILISATION: {"weekly_digest", "board_review", "reminders", "escalation", "retention"},
    Phase.POST_IMPLEMENTATION: {"monthly_review", "reminders", "escalation", "retention"},
}


@pytest.fixture
def world(engine):
    return build_world(engine, now=START - timedelta(days=30))


@pytest.mark.parametrize("phase", list(Phase))
def test_the_phase_decides_which_reviews_run(engine, world, phase):
    if phase != Phase.PRE_GO_LIVE:
        with session_scope(engine) as session:
            phases.set_phase(session, actor=world.project_lead, phase=phase, now=START - DAY)
    # Tuesday 1 December 09:30: every job's latest occurrence is after the phase change.
    at = START + 8 * DAY + timedelta(minutes=30)
    ran = set()
    for job in Job:
        summary = run_job(str(job), engine=engine, settings=settings(), at=at)
        if "not run" not in summary:
            ran.add(str(job))
        else:
            assert f"the project is in {phase.label.lower()}" in summary
    assert ran == EXPECTED[phase]


def test_times_and_channels_are_settings(engine, world):
    with session_scope(engine) as session:
        phases.set_phase(session, actor=world.project_lead, phase=Phase.GO_LIVE, now=START - DAY)
    config = settings(daily_digest_time="07:15", daily_digest_channel="CDAILY01")
    rows = {
        name: when for name, when, _ in describe_jobs(engine=engine, settings=config, now=START)
    }
    assert rows["daily_digest"] == "2026-11-24T07:15+00:00"
    summary = run_job("daily_digest", engine=engine, settings=config, at=START)
    assert summary.startswith("daily_digest 2026-11-23: owed to CDAILY01")


def fire_times(job, config, start, end):
    schedule = schedule_for(job, config)
    times, moment = [], start
    while (moment := schedule.next_after(moment)) < end:
        times.append(moment)
    return times


def test_a_go_live_fortnight_posts_every_digest_once_and_on_time(slack):
    """Two weeks of go-live (stabilisation from day 10), two schedulers firing every job, and
    a new urgent issue each morning: the channels get each digest once, at its local time."""
    seeded = seed(slack.engine, slack.world, start=START)
    config = slack.settings.model_copy(update={"escalation_every_minutes": 60})
    end = START + 14 * DAY + timedelta(hours=1)
    ticks = sorted(
        (when, job)
        for job in Job
        for when in fire_times(job, config, START - DAY, end)
        if job != Job.ESCALATION or when.hour % 3 == 0  # every three hours is plenty here
    )
    stabilised = START + 10 * DAY
    reported = set()
    for when, job in ticks:
        slack.clock.set(when)
        if when >= stabilised and Phase.STABILISATION not in reported:
            with session_scope(slack.engine) as session:
                phases.set_phase(
                    session, actor=slack.world.project_lead, phase=Phase.STABILISATION, now=when
                )
            reported.add(Phase.STABILISATION)
        day = when.date()
        if when.hour >= 6 and day not in reported:
            report(
                slack.engine,
                slack.world,
                at=when,
                service_id=slack.world.riverside.id,
                category=IssueCategory.DEVICES,
                description=f"Tablet dead on the {day:%d %b} morning round",
                impact=Impact.SAFE_CARE,
                urgency=Urgency.URGENT,
            )
            reported.add(day)
        for _scheduler in range(2):
            run_job(str(job), engine=slack.engine, settings=config, at=when)
        slack.deliver()
    project = slack.fake.messages(PROJECT_CHANNEL)
    daily = [m["text"] for m in project if m["text"].startswith("Go-live daily digest")]
    go_live_days = [START - timedelta(minutes=30) + n * DAY for n in range(11)]
    assert daily == [
        f"Go-live daily digest for {d:%a %d %b %Y}: " + daily[n].split(": ", 1)[1]
        for n, d in enumerate(go_live_days)
    ]
    assert len(daily) == len(set(daily)) == 11
    weekly = [m["text"] for m in project if m["text"].startswith("Weekly issue digest")]
    assert [t.split(":")[0] for t in weekly] == ["Weekly issue digest for week of Mon 07 Dec 2026"]
    board = slack.fake.messages(BOARD_CHANNEL)
    reviews = [m["text"].split(":")[0] for m in board if m["text"].startswith("Weekly board")]
    assert reviews == [
        "Weekly board review for week of Mon 23 Nov 2026",
        "Weekly board review for week of Mon 30 Nov 2026",
        "Weekly board review for week of Mon 07 Dec 2026",
    ]
    escalations = [m["text"] for m in board if m["text"].startswith("Escalated to the board")]
    refs = [text.split(": ")[1].split(" ")[0] for text in escalations]
    assert len(refs) == len(set(refs))
    assert {seeded.extreme, seeded.high, seeded.urgent, seeded.hostile} <= set(refs)
    with session_scope(slack.engine) as session:
        urgent_refs = {
            as_posted(session, m)["text"].split(": ")[1].split(" ")[0]
            for m in session.exec(select(OutboxMessage))
            if m.key.startswith("escalation:board:") and ":update:" not in m.key
        }
        pending = [m.key for m in session.exec(select(OutboxMessage)) if m.status != "sent"]
    assert urgent_refs == set(refs)
    assert pending == []
