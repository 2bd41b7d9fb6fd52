"""After GOLIVE_RETENTION_DAYS from closure, an issue's free text is removed and the governance
skeleton stays: the issue, its dates and status, and an audit trail that says what went and
shows the removed text as removed (the trail itself stays append-only)."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from schedules.jobs import run_job
from store import exports, issues
from store.db import session_scope
from store.enums import Impact, IssueCategory, IssueStatus, Urgency, Workaround
from store.models import AuditEvent, Control, Issue
from store.retention import PURGED_TEXT, purge
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
