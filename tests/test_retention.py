"""After GOLIVE_RETENTION_DAYS from closure, an issue's free text is removed and the governance
skeleton stays: the issue, its dates and status, and an audit trail that says what went and
shows the removed text as removed (the trail itself stays append-only)."""

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from schedules.jobs import run_job
from store import exports, issues
from store.db import session_scope
from store.enums import Impact, IssueCategory, IssueStatus, Urgency, Workaround
from store.models import AuditEvent, Control, Issue
from store.retention import PURGED_TEXT, purge
from store.schema import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import START
from tests.reliability import tally
from tests.schedules_world import settings
from tests.world import World, build_world

SUITE = "retention"
DAY = timedelta(days=1)
WHAT = "eMAR froze during the lunchtime round in the Willow unit"


def closed_issue(engine, world: World, *, closed_at) -> str:
    """An issue reported, corrected, resolved and closed with evidence, all at ``closed_at``."""
    with session_scope(engine) as session:
        report = issues.IssueReport(
            service_id=world.oakwood.id,
            category=IssueCategory.MEDICATION,
            description=WHAT,
            impact=Impact.SOME,
            urgency=Urgency.MEDIUM,
            workaround=Workaround.SAFE,
            workaround_detail="Paper MAR for the round",
        )
        staff = session.merge(world.staff)
        issue, _ = issues.report_issue(session, reporter=staff, report=report, now=closed_at)
        ref = issue.ref
        manager = session.merge(world.manager)
        issues.add_immediate_control(
            session, actor=manager, ref=ref, description="Second carer checks", now=closed_at
        )
        issues.set_correction(
            session, actor=manager, ref=ref, action="Supplier patch 4.2", due=None, now=closed_at
        )
        issues.resolve(session, actor=manager, ref=ref, now=closed_at)
        issues.close(session, actor=manager, ref=ref, evidence="Three rounds clean", now=closed_at)
    return ref


@pytest.fixture
def world(engine) -> World:
    return build_world(engine, now=START - 30 * DAY)


def test_closed_issue_past_the_period_loses_its_text_and_keeps_its_skeleton(engine, world):
    old = closed_issue(engine, world, closed_at=START - 40 * DAY)
    recent = closed_issue(engine, world, closed_at=START - 5 * DAY)
    with session_scope(engine) as session:
        assert purge(session, now=START, days=30) == 1
    with session_scope(engine) as session:
        by_ref = {i.ref: i for i in session.exec(select(Issue))}
        gone, kept = by_ref[old], by_ref[recent]
        assert gone.status == IssueStatus.CLOSED and gone.closed_at is not None
        assert gone.category == IssueCategory.MEDICATION
        for field in ("description", "workaround_detail", "correction_action", "closure_evidence"):
            assert getattr(gone, field) == PURGED_TEXT
        assert kept.description == WHAT
        [control] = session.exec(select(Control).where(Control.issue_id == gone.id)).all()
        assert control.description == PURGED_TEXT
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.entity_ref == old, AuditEvent.action == "purged")
        ).all()
        assert "description" in (event.new_value or "")
        trail = exports.audit_trail(session)
    shown = [row for row in trail if row["Record"] == old]
    assert shown and all(WHAT not in str(row.values()) for row in shown)
    assert any(row["New value"] == PURGED_TEXT for row in shown)
    assert any(WHAT in str(row.values()) for row in trail if row["Record"] == recent)
    tally(SUITE, cases=2)


def test_purge_is_done_once_and_zero_days_keeps_everything(engine, world):
    closed_issue(engine, world, closed_at=START - 400 * DAY)
    with session_scope(engine) as session:
        assert purge(session, now=START, days=0) == 0
        assert session.exec(select(Issue)).one().description == WHAT
    with session_scope(engine) as session:
        assert purge(session, now=START, days=365) == 1
    with session_scope(engine) as session:
        assert purge(session, now=START + DAY, days=365) == 0
        purged = session.exec(select(AuditEvent).where(AuditEvent.action == "purged")).all()
    assert len(purged) == 2  # the issue and its immediate control, once each
    tally(SUITE, cases=3)


def test_retention_job_runs_nightly_and_reports_what_it_removed(engine, world):
    closed_issue(engine, world, closed_at=START - 3000 * DAY)
    summary = run_job("retention", engine=engine, settings=settings(), at=START)
    assert "free text removed from 1 closed issue older than 2555 days" in summary
    again = run_job("retention", engine=engine, settings=settings(), at=START + timedelta(hours=1))
    assert again.endswith("already done")
    off = run_job("retention", engine=engine, settings=settings(retention_days=0), at=START + DAY)
    assert "retention is off" in off
    tally(SUITE, cases=3)


def test_the_audit_trail_stays_append_only_through_a_purge(engine, world):
    ref = closed_issue(engine, world, closed_at=START - 40 * DAY)
    with session_scope(engine) as session:
        purge(session, now=START, days=30)
    with pytest.raises(DBAPIError, match="append-only"), session_scope(engine) as session:
        session.execute(
            text("UPDATE audit_event SET new_value = 'x' WHERE entity_ref = :r"), {"r": ref}
        )
    tally(SUITE, cases=1)


FREE_TEXT = (WHAT, "Paper MAR for the round", "Supplier patch 4.2", "Second carer checks")
FREE_TEXT += ("Three rounds clean",)
TEXT_FIELDS = {"description", "workaround_detail", "correction_action", "closure_evidence"}


def rows(engine, table: str) -> list[dict]:
    with engine.connect() as connection:
        found = connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        return [dict(row._mapping) for row in found]


def test_purge_removes_the_text_from_the_audit_trail_and_the_thread_lines(engine, world):
    ref = closed_issue(engine, world, closed_at=START - 40 * DAY)
    before = rows(engine, "audit_event")
    thread = [r for r in rows(engine, "outbox") if r["notice"] == "issue_change"]
    assert any("Three rounds clean" in (r["payload"] or "") for r in thread)
    assert any(t in str(r.values()) for r in before for t in FREE_TEXT)
    summary = run_job("retention", engine=engine, settings=settings(retention_days=30), at=START)
    assert "free text removed from 1 closed issue" in summary
    after = rows(engine, "audit_event")
    outbox = rows(engine, "outbox")
    for row in [*after, *outbox]:
        for value in row.values():
            assert not any(t in str(value) for t in FREE_TEXT), row
    assert len(after) > len(before)
    by_id = {row["id"]: row for row in after}
    for old in before:
        new = by_id[old["id"]]
        if old["field"] in TEXT_FIELDS:
            assert {k: v for k, v in new.items() if k not in ("old_value", "new_value")} == {
                k: v for k, v in old.items() if k not in ("old_value", "new_value")
            }
            assert new["new_value"] in (None, PURGED_TEXT)
        else:
            assert new == old
    statuses = [
        (r["actor_name"], r["old_value"], r["new_value"])
        for r in after
        if r["entity_ref"] == ref and r["field"] == "status"
    ]
    assert (world.manager.name, "resolved", "closed") in statuses
    tally(SUITE, cases=2)


def test_the_trail_refuses_everything_but_the_retention_marker(engine, world):
    ref = closed_issue(engine, world, closed_at=START - 40 * DAY)
    refused = (
        "DELETE FROM audit_event WHERE entity_ref = :r",
        "UPDATE audit_event SET actor_name = 'someone else' WHERE entity_ref = :r",
        "UPDATE audit_event SET new_value = 'x' WHERE entity_ref = :r AND new_value IS NOT NULL",
        "UPDATE audit_event SET new_value = NULL WHERE entity_ref = :r AND new_value IS NOT NULL",
        "UPDATE audit_event SET old_value = :m, action = 'purged' WHERE entity_ref = :r",
    )
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), session_scope(engine) as session:
            session.execute(text(statement), {"r": ref, "m": PURGED_TEXT})
    with session_scope(engine) as session:
        session.execute(
            text("UPDATE audit_event SET new_value = :m WHERE entity_ref = :r AND field = :f"),
            {"r": ref, "m": PURGED_TEXT, "f": "description"},
        )
    descriptions = [
        r["new_value"] for r in rows(engine, "audit_event") if r["field"] == "description"
    ]
    assert PURGED_TEXT in descriptions
    tally(SUITE, cases=len(refused) + 1)


def test_downgrading_below_0005_restores_the_strict_trail_and_upgrading_relaxes_it(engine, world):
    ref = closed_issue(engine, world, closed_at=START - 40 * DAY)
    redact = text("UPDATE audit_event SET new_value = :m WHERE entity_ref = :r AND field = :f")
    params = {"r": ref, "m": PURGED_TEXT, "f": "description"}
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        with pytest.raises(DBAPIError, match="append-only"), session_scope(engine) as session:
            session.execute(redact, params)
    finally:
        upgrade(engine)
    assert current_revision(engine) == head_revision()
    with session_scope(engine) as session:
        session.execute(redact, params)
    with pytest.raises(DBAPIError, match="append-only"), session_scope(engine) as session:
        session.execute(text("DELETE FROM audit_event WHERE entity_ref = :r"), {"r": ref})
    tally(SUITE, cases=3)
