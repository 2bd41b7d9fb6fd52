"""After GOLIVE_RETENTION_DAYS from closure, an issue's free text is removed and the governance
skeleton stays: the issue, its dates and status, and an audit trail that says what went and
shows the removed text as removed (the trail itself stays append-only). Board decisions and
stored messages that quoted the text keep everything but the quote."""

import json
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bot.views.digests import word
from schedules.jobs import run_job
from store.infra.db import session_scope
from store.infra.schema import alembic_config, current_revision, head_revision, upgrade
from store.records import decisions, issues, phases, reminders
from store.records.decisions import NewDecision
from store.records.enums import (
    DecisionKind,
    Impact,
    IssueCategory,
    IssueStatus,
    Phase,
    Urgency,
    Workaround,
)
from store.records.models import AuditEvent, Control, Decision, Issue, ReminderResponse, ident
from store.records.retention import PURGED_TEXT, QUOTES_PER_SCAN, RETENTION, purge
from store.reports import exports
from tests.conftest import START
from tests.reliability import tally
from tests.schedules_world import settings
from tests.world import PROJECT_CHANNEL, World, build_world

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
        assert purge(session, now=START, days=30).issues == 1
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


def test_an_owners_note_on_a_reminder_goes_with_the_issue_text(engine, world):
    note = "Waiting on the supplier; Mrs Ada in room 4 has paper MAR meanwhile"
    at = START - 45 * DAY
    with session_scope(engine) as session:
        report = issues.IssueReport(
            service_id=world.oakwood.id,
            category=IssueCategory.MEDICATION,
            description=WHAT,
            impact=Impact.SOME,
            urgency=Urgency.MEDIUM,
            workaround=Workaround.SAFE,
        )
        issue, _ = issues.report_issue(
            session, reporter=session.merge(world.staff), report=report, now=at
        )
        manager = session.merge(world.manager)
        ref = issue.ref
        issues.assign_owner(session, actor=manager, ref=ref, owner=manager, now=at)
        issues.set_correction(
            session, actor=manager, ref=ref, action="Supplier patch 4.2", due=at.date(), now=at
        )
        reminders.respond(
            session,
            person=manager,
            kind=reminders.ItemKind.CORRECTION,
            item_id=ident(issue),
            response=reminders.Response.DELAYED,
            note=note,
            new_date=at.date() + DAY,
            now=at + DAY,
            today=at.date() + DAY,
        )
        issues.resolve(session, actor=manager, ref=ref, now=at + DAY)
        issues.close(session, actor=manager, ref=ref, evidence="Three rounds clean", now=at + DAY)
    with session_scope(engine) as session:
        assert purge(session, now=START, days=30).issues == 1
    with session_scope(engine) as session:
        [answer] = session.exec(select(ReminderResponse)).all()
        assert (answer.item_ref, answer.response, answer.note) == (ref, "delayed", PURGED_TEXT)
    assert all(note not in str(row.values()) for row in rows(engine, "audit_event"))
    tally(SUITE, cases=1)


def test_purge_is_done_once_and_zero_days_keeps_everything(engine, world):
    closed_issue(engine, world, closed_at=START - 400 * DAY)
    with session_scope(engine) as session:
        assert purge(session, now=START, days=0).issues == 0
        assert session.exec(select(Issue)).one().description == WHAT
    with session_scope(engine) as session:
        assert purge(session, now=START, days=365).issues == 1
    with session_scope(engine) as session:
        assert purge(session, now=START + DAY, days=365).issues == 0
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


# Longer than the digest shows (so it is clipped there), with an "&" the digest escapes.
QUOTED = (
    "Rowan wing eMAR tablet logged out mid-round & would not accept the PIN again, "
    "so the 12:00 medicines for three residents were signed on paper an hour late"
)
CHECK = "Second nurse countersigns every paper entry"
KEPT_CHECK = "Fluid charts kept on paper by the nurse in charge"
KEPT = "Chart templates missing the fluid balance section in Birch wing"
DECISION_ON_GONE = f'Accept the supplier fix. The report said "{QUOTED}". All clean now.'
DECISION_ON_KEPT = f"Escalate to the supplier: {KEPT}; board to review on Friday"
SHARED = "Paper MAR until the tablet is replaced"  # both issues' workaround, word for word
DECISION_CROSS = f"Same root cause as before ({QUOTED}); {SHARED}"
FRAGMENTS = ("Rowan wing", "logged out mid-round", "signed on paper an hour late", CHECK)


def reported(engine, world: World, *, description: str, control: str, at) -> str:
    """An urgent medication issue at Oakwood, so daily digests quote it while it is open."""
    with session_scope(engine) as session:
        report = issues.IssueReport(
            service_id=world.oakwood.id,
            category=IssueCategory.MEDICATION,
            description=description,
            impact=Impact.SOME,
            urgency=Urgency.URGENT,
            workaround=Workaround.SAFE,
            workaround_detail=SHARED,
        )
        issue, _ = issues.report_issue(
            session, reporter=session.merge(world.staff), report=report, now=at
        )
        issues.add_immediate_control(
            session,
            actor=session.merge(world.manager),
            ref=issue.ref,
            description=control,
            now=at,
        )
        return issue.ref


def decide(engine, world: World, ref: str, summary: str, *, at) -> int:
    with session_scope(engine) as session:
        decision = decisions.record_decision(
            session,
            actor=session.merge(world.board_member),
            data=NewDecision(kind=DecisionKind.ACCEPT, summary=summary),
            issue=issues.get_issue(session, ref),
            now=at,
        )
        session.flush()
        assert decision.id is not None
        return decision.id


def readable(row: dict[str, Any]) -> str:
    """A stored scheduled post (its facts, valid JSON) as the text people would read, worded
    by the Slack face."""
    rendered = word(row["notice"], json.loads(row["payload"]))
    return json.dumps(rendered.payload(), ensure_ascii=False)


def quotes_gone(value: object) -> bool:
    text = str(value)
    return not any(f in text or f.replace("&", "&amp;") in text for f in FRAGMENTS)


def test_quotes_in_decisions_and_digests_go_and_the_records_stay(engine, world):
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.GO_LIVE, now=START - 45 * DAY
        )
    gone = reported(engine, world, description=QUOTED, control=CHECK, at=START - 42 * DAY)
    kept = reported(engine, world, description=KEPT, control=KEPT_CHECK, at=START - 42 * DAY)
    recent = closed_issue(engine, world, closed_at=START - 5 * DAY)
    summary = run_job("daily_digest", engine=engine, settings=settings(), at=START - 41 * DAY)
    assert "daily_digest" in summary and "not run" not in summary
    on_gone = decide(engine, world, gone, DECISION_ON_GONE, at=START - 41 * DAY)
    on_kept = decide(engine, world, kept, DECISION_ON_KEPT, at=START - 41 * DAY)
    cross = decide(engine, world, kept, DECISION_CROSS, at=START - 41 * DAY)
    with session_scope(engine) as session:
        manager = session.merge(world.manager)
        day = START - 40 * DAY
        issues.set_correction(
            session,
            actor=manager,
            ref=gone,
            action="Supplier re-enrolled the tablets",
            due=None,
            now=day,
        )
        issues.resolve(session, actor=manager, ref=gone, now=day)
        issues.close(session, actor=manager, ref=gone, evidence="Five rounds on eMAR", now=day)
    [digest] = [r for r in rows(engine, "outbox") if r["channel"] == PROJECT_CHANNEL]
    assert digest["notice"] == "issue_digest" and str(digest["subject"]).startswith("daily_digest")
    posted = readable(digest)
    assert not quotes_gone(posted), "the digest must quote the issue to begin with"
    assert f"{gone}* Oakwood House · Medication or eMAR: Rowan wing eMAR tablet" in posted
    assert "&amp; would not accept" in posted  # escaped for mrkdwn
    assert "signed on paper an hour late" not in posted  # clipped
    assert f"Immediate control: {CHECK} (in progress)" in posted
    outbox_before = {r["id"]: r for r in rows(engine, "outbox")}
    events_before = {r["id"]: r for r in rows(engine, "audit_event")}

    summary = run_job("retention", engine=engine, settings=settings(retention_days=30), at=START)
    assert "free text removed from 1 closed issue older than 30 days" in summary
    assert "quotes of it removed from 2 decisions and 1 stored message" in summary

    by_id = {r["id"]: r for r in rows(engine, "decision")}
    assert by_id[on_gone]["summary"] == (
        f'Accept the supplier fix. The report said "{PURGED_TEXT}". All clean now.'
    )
    # the shared workaround is still the kept issue's text: its copy stays
    assert by_id[cross]["summary"] == f"Same root cause as before ({PURGED_TEXT}); {SHARED}"
    assert by_id[on_kept]["summary"] == DECISION_ON_KEPT
    outbox_after = {r["id"]: r for r in rows(engine, "outbox")}
    text = readable(outbox_after[digest["id"]])
    assert f"{gone}* Oakwood House · Medication or eMAR: {PURGED_TEXT}" in text
    assert f"{kept}* Oakwood House · Medication or eMAR: {KEPT}" in text
    assert f"Immediate control: {PURGED_TEXT} (in progress)" in text
    assert f"Immediate control: {KEPT_CHECK} (in progress)" in text
    changed = {i for i, row in outbox_after.items() if row != outbox_before[i]}
    thread = {i for i, row in outbox_before.items() if row["notice"] == "issue_change"}
    gone_thread = {i for i in thread if outbox_before[i]["subject"] == gone}
    assert changed == {digest["id"], *gone_thread}
    assert any(
        "Three rounds clean" in str(outbox_after[i]["payload"]) for i in thread - gone_thread
    )
    with session_scope(engine) as session:
        by_ref = {i.ref: i for i in session.exec(select(Issue))}
        assert by_ref[kept].description == KEPT and by_ref[recent].description == WHAT
        assert by_ref[gone].description == PURGED_TEXT
        trail = exports.audit_trail(session)
    for table in ("decision", "outbox", "audit_event", "issue", "control", "verification"):
        for row in rows(engine, table):
            assert quotes_gone(row.values()), (table, row)
    assert all(quotes_gone(row.values()) for row in trail)

    events = rows(engine, "audit_event")
    purged = [e for e in events if e["action"] == "purged" and e["id"] not in events_before]
    decision_events = {e["entity_ref"]: e for e in purged if e["entity"] == "decision"}
    assert set(decision_events) == {f"decision#{on_gone}", f"decision#{cross}"}
    assert decision_events[f"decision#{on_gone}"]["field"] == "summary"
    assert decision_events[f"decision#{on_gone}"]["new_value"] == by_id[on_gone]["summary"]
    assert decision_events[f"decision#{on_gone}"]["actor_name"] == RETENTION.name
    [message_event] = [e for e in purged if e["entity"] == "outbox"]
    assert message_event["entity_ref"] == f"outbox#{digest['id']}"
    assert message_event["new_value"] == "payload"
    created = {
        e["entity_id"]: e["new_value"]
        for e in events
        if e["entity"] == "decision" and e["field"] == "summary" and e["action"] == "created"
    }
    assert created == {on_gone: PURGED_TEXT, on_kept: DECISION_ON_KEPT, cross: PURGED_TEXT}
    shown = [r for r in trail if r["Record"] == f"decision#{on_gone}" and r["Field"] == "summary"]
    assert [r["New value"] for r in shown] == [PURGED_TEXT, by_id[on_gone]["summary"]]
    tally(SUITE, cases=4)


def test_short_values_are_not_taken_for_quotes(engine, world):
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.GO_LIVE, now=START - 45 * DAY
        )
    ref = reported(engine, world, description="Tablet hung", control="Paper", at=START - 42 * DAY)
    decision = decide(engine, world, ref, "Tablet hung twice; accept", at=START - 41 * DAY)
    with session_scope(engine) as session:
        manager = session.merge(world.manager)
        day = START - 40 * DAY
        issues.set_correction(session, actor=manager, ref=ref, action="Reset", due=None, now=day)
        issues.resolve(session, actor=manager, ref=ref, now=day)
        issues.close(session, actor=manager, ref=ref, evidence="Fine", now=day)
    with session_scope(engine) as session:
        done = purge(session, now=START, days=30)
        assert (done.issues, done.decisions) == (1, 0)
        assert session.get(Decision, decision).summary == "Tablet hung twice; accept"
    tally(SUITE, cases=1)


def test_a_backlog_of_quotes_is_found_by_reading_each_record_once(engine, world):
    """More removed values than a few LIKE statements hold: the quotes are still all found."""
    with session_scope(engine) as session:
        phases.set_phase(
            session, actor=world.project_lead, phase=Phase.GO_LIVE, now=START - 45 * DAY
        )
    ref = reported(engine, world, description=QUOTED, control=CHECK, at=START - 42 * DAY)
    checks = [f"{n:03d} spot check of paper MAR in Rowan wing" for n in range(QUOTES_PER_SCAN * 5)]
    with session_scope(engine) as session:
        manager = session.merge(world.manager)
        for check in checks:
            issues.add_immediate_control(
                session, actor=manager, ref=ref, description=check, now=START - 42 * DAY
            )
    summary = f"Noted {checks[-1]} and {KEPT}"
    decision = decide(engine, world, ref, summary, at=START - 41 * DAY)
    with session_scope(engine) as session:
        manager = session.merge(world.manager)
        day = START - 40 * DAY
        issues.set_correction(session, actor=manager, ref=ref, action="Reset", due=None, now=day)
        issues.resolve(session, actor=manager, ref=ref, now=day)
        issues.close(session, actor=manager, ref=ref, evidence="Fine", now=day)
    with session_scope(engine) as session:
        done = purge(session, now=START, days=30)
        assert (done.issues, done.decisions) == (1, 1)
        assert session.get(Decision, decision).summary == f"Noted {PURGED_TEXT} and {KEPT}"
    for row in rows(engine, "outbox"):
        assert all(check not in str(row["payload"]) for check in checks), row
    tally(SUITE, cases=1)
