"""The escalation ladder: quiet owners go to their manager, unresolved high-rated and urgent
items go to the board, once each, and the board's post follows the item as it changes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.ids import DecisionIds
from schedules.cadence import Job
from schedules.escalation_sweep import run_escalation
from schedules.jobs import run_job, window_for
from store.infra.db import session_scope
from store.records import controls, issues, phases, reminders
from store.records.enums import ControlStatus, Impact, IssueCategory, Phase, Urgency
from store.records.models import OutboxMessage
from store.records.reminders import ItemKind, Response
from tests.conftest import START
from tests.posted import as_posted
from tests.schedules_world import report, seed, settings
from tests.world import BOARD_CHANNEL, build_world

DAY = timedelta(days=1)


@pytest.fixture
def world(engine):
    return build_world(engine, now=START - timedelta(days=30))


@pytest.fixture
def seeded(engine, world):
    return seed(engine, world, start=START)


def owed(engine, prefix):
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.key, as_posted(session, m)) for m in rows if m.key.startswith(prefix)]


def team_leader_control(engine, world, seeded):
    """An immediate control at Oakwood owned by the team leader, overdue since Saturday."""
    with session_scope(engine) as session:
        control = issues.add_immediate_control(
            session,
            actor=world.manager,
            ref=seeded.urgent,
            description="Hourly check of the paper MAR charts",
            owner=world.team_leader,
            due_date=(START - 2 * DAY).date(),
            now=START - 3 * DAY,
        )
        return control.ref


def test_an_owner_silent_after_two_reminders_is_raised_to_their_registered_manager(
    engine, world, seeded
):
    ref = team_leader_control(engine, world, seeded)
    for day in range(2):
        run_job("reminders", engine=engine, settings=settings(), at=START + day * DAY)
        run_job(
            "escalation",
            engine=engine,
            settings=settings(),
            at=START + day * DAY + timedelta(hours=1),
        )
    letters = dict(owed(engine, "escalation:manager:"))
    to_manager = letters["escalation:manager:2026-11-24T10:00Z:UMANAGER1"]
    text = json.dumps(to_manager)
    assert ref in text and "owner Tia Leader" in text and "2 reminders unanswered" in text
    to_lead = json.dumps(letters["escalation:manager:2026-11-24T10:00Z:UPROJECT1"])
    assert "C-1" in to_lead and seeded.overdue_correction in to_lead
    assert not [key for key in letters if key.endswith(":2026-11-23T10:00Z:UMANAGER1")]
    run_job("reminders", engine=engine, settings=settings(), at=START + 2 * DAY)
    run_job(
        "escalation", engine=engine, settings=settings(), at=START + 2 * DAY + timedelta(hours=1)
    )
    assert len(owed(engine, "escalation:manager:")) == len(letters)


def test_an_acknowledged_item_is_not_escalated(engine, world, seeded):
    ref = team_leader_control(engine, world, seeded)
    run_job("reminders", engine=engine, settings=settings(), at=START)
    with session_scope(engine) as session:
        reminders.respond(
            session,
            person=world.team_leader,
            kind=ItemKind.CONTROL,
            item_id=int(ref.removeprefix("C-")),
            response=Response.ACKNOWLEDGED,
            now=START + timedelta(hours=1),
            today=START.date(),
        )
    run_job("reminders", engine=engine, settings=settings(), at=START + DAY)
    run_job("escalation", engine=engine, settings=settings(), at=START + DAY + timedelta(hours=1))
    letters = dict(owed(engine, "escalation:manager:"))
    assert not [key for key in letters if key.endswith("UMANAGER1")]


def test_unresolved_extreme_risk_and_urgent_issue_go_to_the_board_once(engine, world, seeded):
    summary = run_job("escalation", engine=engine, settings=settings(), at=START)
    assert "3 posted to the board" in summary
    posts = dict(owed(engine, "escalation:board:"))
    assert set(posts) == {
        f"escalation:board:{seeded.extreme}",
        f"escalation:board:{seeded.high}",
        f"escalation:board:{seeded.urgent}",
    }
    extreme = posts[f"escalation:board:{seeded.extreme}"]
    text = json.dumps(extreme)
    assert "Extreme risk still unresolved after more than 24 hours" in text
    buttons = next(b for b in extreme["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(DecisionIds.OPEN, seeded.extreme)]
    # The hostile report is urgent too, but only three hours old.
    assert f"escalation:board:{seeded.hostile}" not in posts
    for hours in (1, 2, 30):
        run_job("escalation", engine=engine, settings=settings(), at=START + timedelta(hours=hours))
    posts = [key for key, _ in owed(engine, "escalation:board:") if ":update:" not in key]
    assert posts.count(f"escalation:board:{seeded.extreme}") == 1
    assert f"escalation:board:{seeded.hostile}" in posts


def sweep(engine, at):
    """Run the escalation sweep itself (no job claim) at ``at`` and commit: (summary, reads,
    writes) as statements sent to the database."""
    seen = {"reads": 0, "writes": 0}

    def count(conn, cursor, statement, *args):
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "WITH"):
            seen["reads"] += 1
        elif head not in ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"):
            seen["writes"] += 1

    with Session(engine) as session:
        window = window_for(Job.ESCALATION, settings(), at=at, phase_of=session)
        event.listen(engine, "before_cursor_execute", count)
        try:
            summary = run_escalation(session, window, settings())
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        session.commit()
    return summary, seen["reads"], seen["writes"]


def test_a_steady_sweep_writes_nothing_and_reads_as_much_with_more_on_the_board(
    engine, world, seeded
):
    assert "3 posted to the board" in sweep(engine, START)[0]
    steady = sweep(engine, START + timedelta(minutes=15))
    assert "0 posted to the board, 0 board posts updated" in steady[0] and steady[2] == 0
    for number in range(3):
        report(
            engine,
            world,
            at=START - 2 * DAY,
            service_id=world.riverside.id,
            category=IssueCategory.MEDICATION,
            description=f"eMAR shows the wrong round {number}",
            impact=Impact.SAFE_CARE,
            urgency=Urgency.URGENT,
        )
    assert "3 posted to the board" in sweep(engine, START + timedelta(minutes=30))[0]
    more = sweep(engine, START + timedelta(minutes=45))
    assert "0 posted to the board, 0 board posts updated" in more[0]
    assert more[1:] == steady[1:] == (steady[1], 0)
    posts = [key for key, _ in owed(engine, "escalation:board:")]
    assert len(posts) == 6 == len(set(posts))


def test_the_threshold_is_longer_once_go_live_is_over(engine, world):
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.STABILISATION, now=START - 9 * DAY
        )
    ref = report(
        engine,
        world,
        at=START - timedelta(hours=30),
        service_id=world.oakwood.id,
        category=IssueCategory.MEDICATION,
        description="Controlled drugs register not showing",
        impact=Impact.SAFE_CARE,
        urgency=Urgency.HIGH,
    )
    run_job("escalation", engine=engine, settings=settings(), at=START)
    assert owed(engine, "escalation:board:") == []
    run_job("escalation", engine=engine, settings=settings(), at=START + 2 * DAY)
    assert [key for key, _ in owed(engine, "escalation:board:")] == [f"escalation:board:{ref}"]


def test_the_board_post_is_updated_not_repeated_as_the_item_changes(slack):
    seeded = seed(slack.engine, slack.world, start=START)
    slack.clock.set(START)
    run_job("escalation", engine=slack.engine, settings=slack.settings, at=START)
    slack.deliver()
    board = slack.fake.messages(BOARD_CHANNEL)
    escalated = [m for m in board if "Board escalation" in json.dumps(m.get("blocks", []))]
    assert len(escalated) == 3
    with session_scope(slack.engine) as session:
        controls.update_status(
            session,
            actor=slack.world.manager,
            control=controls.get_control(session, 1),
            status=ControlStatus.COMPLETE,
            note="MAR charts checked for two weeks",
            now=START + timedelta(hours=1),
        )
        controls.confirm_complete(
            session,
            actor=slack.world.quality_lead,
            control=controls.get_control(session, 1),
            evidence="Sampled ten MAR charts against the paper record",
            now=START + timedelta(hours=1),
        )
        issues.set_correction(
            session,
            actor=slack.world.project_lead,
            ref=seeded.urgent,
            action="Night logins reset",
            due=None,
            now=START + timedelta(hours=1),
        )
        issues.resolve(
            session,
            actor=slack.world.project_lead,
            ref=seeded.urgent,
            now=START + timedelta(hours=1),
        )
    slack.clock.set(START + timedelta(hours=2))
    summary = run_job(
        "escalation", engine=slack.engine, settings=slack.settings, at=slack.clock.now()
    )
    assert "2 board posts updated" in summary
    slack.deliver()
    run_job(
        "escalation",
        engine=slack.engine,
        settings=slack.settings,
        at=slack.clock.now() + timedelta(minutes=15),
    )
    slack.deliver()
    board = slack.fake.messages(BOARD_CHANNEL)
    escalated = [m for m in board if m["text"].startswith(("Escalated to the board", "Resolved"))]
    assert len(escalated) == 3 and len(board) == 4  # and the phase announcement
    updates = [c for c in slack.fake.calls("chat.update") if c.args["channel"] == BOARD_CHANNEL]
    assert len(updates) == 2
    resolved = next(m for m in board if m["text"].startswith(f"Resolved: {seeded.urgent}"))
    shown = json.dumps(resolved["blocks"])
    assert "Resolved" in shown and "resolved" in shown
    assert not [b for b in resolved["blocks"] if b["type"] == "actions"]
    extreme = next(
        m for m in board if m["text"].startswith(f"Escalated to the board: {seeded.extreme}")
    )
    assert "two weeks: complete" in json.dumps(extreme["blocks"])
