"""Outcome measures from the records: unresolved issues over time, repeat themes, the share
closed with evidence, time to triage and resolve, and how controls ended up."""

from datetime import date, timedelta

import pytest

from store.infra.db import session_scope
from store.records import controls, issues, review, risks
from store.records.enums import (
    ControlStatus,
    Impact,
    IssueCategory,
    IssueSource,
    RiskCategory,
    RiskScope,
    Urgency,
    Workaround,
)
from store.reports import outcomes
from tests.world import build_world


@pytest.fixture
def world(engine, clock):
    return build_world(engine, now=clock.now())


def report(engine, world, clock, *, category=IssueCategory.RECORDS, service=None):
    with session_scope(engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=world.staff,
            now=clock.now(),
            report=issues.IssueReport(
                service_id=(service or world.oakwood).id,
                category=category,
                description="Fluid chart missing",
                impact=Impact.SOME,
                urgency=Urgency.MEDIUM,
                workaround=Workaround.SAFE,
                source=IssueSource.SLASH_COMMAND,
            ),
        )
        return issue.ref


def triage(engine, world, clock, ref):
    with session_scope(engine) as session:
        issues.assign_owner(
            session, actor=world.team_leader, ref=ref, owner=world.team_leader, now=clock.now()
        )


def resolve(engine, world, clock, ref, *, close=False):
    with session_scope(engine) as session:
        issues.set_correction(
            session, actor=world.team_leader, ref=ref, action="Fixed", due=None, now=clock.now()
        )
        issues.resolve(session, actor=world.team_leader, ref=ref, now=clock.now())
        if close:
            issues.close(session, actor=world.manager, ref=ref, evidence="Checked", now=clock.now())


def test_outcomes_follow_issues_from_report_to_closure(engine, world, clock):
    day0 = clock.now().date()
    a = report(engine, world, clock)
    b = report(engine, world, clock)
    c = report(engine, world, clock, category=IssueCategory.DEVICES, service=world.riverside)
    clock.advance(timedelta(hours=2))
    triage(engine, world, clock, a)
    clock.advance(timedelta(hours=2))
    triage(engine, world, clock, b)
    clock.advance(timedelta(days=1))  # day 1, 13:00
    resolve(engine, world, clock, a, close=True)
    clock.advance(timedelta(days=1))  # day 2
    resolve(engine, world, clock, b)
    report(engine, world, clock)
    with session_scope(engine) as session:
        measures = outcomes.outcome_measures(
            session, start=day0, end=day0 + timedelta(days=3), theme_min=3
        )
    assert [d.count for d in measures.unresolved] == [3, 2, 2, 2]
    assert measures.evidence.closed_with_evidence == 1
    assert measures.evidence.put_right == 2
    assert measures.evidence.percent == 50
    # a took 28 hours to resolve, b 52 hours
    assert measures.median_resolve_hours == 40.0
    by_category = {t.group: t for t in measures.by_category}
    records = by_category[IssueCategory.RECORDS.label]
    assert (records.issues, records.triaged, records.resolved) == (3, 2, 2)
    assert records.median_triage_hours == 3.0
    devices = by_category[IssueCategory.DEVICES.label]
    assert (devices.triaged, devices.median_triage_hours, devices.median_resolve_hours) == (
        0,
        None,
        None,
    )
    by_service = {t.group: t.issues for t in measures.by_service}
    assert by_service == {"Oakwood House": 3, "Riverside Lodge": 1}
    [theme] = measures.themes
    assert (theme.category, theme.service, theme.count) == (
        IssueCategory.RECORDS.label,
        "Oakwood House",
        3,
    )
    assert theme.refs[:2] == [a, b]
    assert sum(w.total for w in measures.weekly) == 4
    assert c not in theme.refs


def test_controls_are_counted_complete_delayed_and_ineffective(engine, world, clock):
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=clock.now(),
            data=risks.NewRisk(
                title="Night staff not trained",
                category=RiskCategory.TRAINING,
                scope=RiskScope.ORGANISATION,
                owner_id=world.manager.id,
                first_controls=["Night sessions", "Super-users", "Paper fallback"],
            ),
        )
        done, late, failed = risks.controls_of(session, risk)
        controls.update_status(
            session,
            actor=world.project_lead,
            control=done,
            status=ControlStatus.COMPLETE,
            note=None,
            now=clock.now(),
        )
        controls.update_status(
            session,
            actor=world.project_lead,
            control=late,
            status=ControlStatus.DELAYED,
            note="Trainer ill",
            new_due_date=clock.now().date() + timedelta(days=7),
            now=clock.now(),
        )
        controls.update_status(
            session,
            actor=world.project_lead,
            control=failed,
            status=ControlStatus.INEFFECTIVE,
            note="Staff still on paper",
            now=clock.now(),
        )
    ref = report(engine, world, clock)
    with session_scope(engine) as session:
        issues.add_immediate_control(
            session, actor=world.team_leader, ref=ref, description="Manual check", now=clock.now()
        )
        on_risks, on_issues = outcomes.control_tallies(session)
    assert (on_risks.complete, on_risks.delayed, on_risks.ineffective, on_risks.total) == (
        1,
        1,
        1,
        3,
    )
    assert (on_issues.in_progress, on_issues.total) == (1, 1)


def test_monthly_outcomes_show_whether_residual_risk_is_falling(engine, world, clock):
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=clock.now(),
            data=risks.NewRisk(
                title="Agency access",
                category=RiskCategory.ACCESS,
                scope=RiskScope.ORGANISATION,
                owner_id=world.manager.id,
            ),
        )
        ref = risk.ref
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=4,
            impact=4,
            reason="Start",
            now=clock.now(),
        )
        review.start_review(
            session,
            actor=world.quality_lead,
            findings=review.Findings("a", "b", "c", "d"),
            now=clock.now(),
        )
        first, second = review.schedule_audits(
            session,
            actor=world.quality_lead,
            topic="Access audit",
            first_due=date(2026, 12, 23),
            months=2,
            now=clock.now(),
        )
        refs = (first.ref, second.ref)
    issue_ref = report(engine, world, clock)
    start = clock.now().date()
    with session_scope(engine) as session:
        early = outcomes.monthly_outcomes(session, start=start, end=start)
    assert early.residual_falling is None and early.audits == []
    assert (early.unresolved_at_start, early.unresolved_at_end) == (0, 1)
    for likelihood, audit_ref in ((3, refs[0]), (2, refs[1])):
        clock.advance(timedelta(days=30))
        with session_scope(engine) as session:
            risks.score_risk(
                session,
                actor=world.quality_lead,
                ref=ref,
                likelihood=likelihood,
                impact=4,
                reason="Audit",
                now=clock.now(),
            )
            review.record_audit_result(
                session, actor=world.quality_lead, ref=audit_ref, result="Better", now=clock.now()
            )
    resolve(engine, world, clock, issue_ref, close=True)
    with session_scope(engine) as session:
        later = outcomes.monthly_outcomes(
            session, start=clock.now().date() - timedelta(days=29), end=clock.now().date()
        )
    assert [(a.ref, a.residual, a.high) for a in later.audits] == [
        (refs[0], 12, 1),
        (refs[1], 8, 1),
    ]
    assert later.residual_falling is True
    assert (later.unresolved_at_start, later.unresolved_at_end) == (1, 0)
    assert later.evidence.percent == 100
