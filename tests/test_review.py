"""The post-implementation review in the store: findings, verdicts, transfer to business as
usual, leadership actions, monthly follow-up audits and the guard against closing too early."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from store.infra.db import session_scope
from store.infra.errors import DomainError, PermissionDenied, ValidationError
from store.records import audit, issues, phases, review, risks
from store.records.enums import (
    Impact,
    IssueCategory,
    IssueSource,
    Phase,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
    Urgency,
    Workaround,
)
from store.records.models import ControlVerdict, Effectiveness, OutboxMessage, Risk, RiskAssessment
from tests.world import build_world

FINDINGS = review.Findings(
    data_quality="Allergy flags complete for 98% of residents after the migration audit",
    staff_confidence="Night staff confident; bank staff need refreshers",
    record_completion="Daily notes completed on 96% of shifts",
    workflow_stability="Handover workflow stable since week 2",
)


@pytest.fixture
def world(engine, clock):
    return build_world(engine, now=clock.now())


def add_risk(engine, world, clock, *, title, service=None, score=(3, 4), owner=True):
    with session_scope(engine) as session:
        risk = risks.create_risk(
            session,
            actor=world.project_lead,
            now=clock.now(),
            data=risks.NewRisk(
                title=title,
                category=RiskCategory.DATA_MIGRATION,
                scope=RiskScope.SERVICE if service else RiskScope.ORGANISATION,
                service_id=service.id if service else None,
                owner_id=world.manager.id if owner else None,
            ),
        )
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=risk.ref,
            likelihood=score[0],
            impact=score[1],
            reason="Initial assessment",
            now=clock.now(),
        )
        return risk.ref


def go_live(engine, world, clock):
    clock.advance(timedelta(days=1))
    with session_scope(engine) as session:
        phases.set_phase(session, actor=world.project_lead, phase=Phase.GO_LIVE, now=clock.now())
    clock.advance(timedelta(days=1))


def start(engine, world, clock, actor=None):
    with session_scope(engine) as session:
        return review.start_review(
            session, actor=actor or world.quality_lead, findings=FINDINGS, now=clock.now()
        ).ref


def report(engine, world, clock, *, impact=Impact.SAFE_CARE):
    with session_scope(engine) as session:
        issue, _ = issues.report_issue(
            session,
            reporter=world.staff,
            now=clock.now(),
            report=issues.IssueReport(
                service_id=world.oakwood.id,
                category=IssueCategory.MEDICATION,
                description="eMAR shows PRN given when it was not",
                impact=impact,
                urgency=Urgency.URGENT,
                workaround=Workaround.NONE,
                source=IssueSource.SLASH_COMMAND,
            ),
        )
        return issue.ref


def test_quality_lead_starts_review_and_managers_are_asked_about_their_services_risks(
    engine, world, clock
):
    add_risk(engine, world, clock, title="Oakwood MAR migration", service=world.oakwood)
    add_risk(engine, world, clock, title="Agency access", service=None)
    go_live(engine, world, clock)
    add_risk(engine, world, clock, title="Found after go-live", service=world.riverside)
    ref = start(engine, world, clock)
    with session_scope(engine) as session:
        current = review.current_review(session)
        assert current is not None and current.ref == ref
        assert current.data_quality == FINDINGS.data_quality
        asks = session.exec(
            select(OutboxMessage).where(OutboxMessage.notice == "review_verdict_request")
        ).all()
        assert sorted((m.user, m.subject) for m in asks) == sorted(
            [
                (world.manager.slack_user_id, f"{current.id}:{world.oakwood.id}"),
                (world.quality_lead.slack_user_id, f"{current.id}:organisation"),
            ]
        )
        assert [e.field for e in audit.trail(session, entity_ref=ref)].count("data_quality") == 1


def test_only_the_quality_lead_starts_the_review_and_each_finding_is_required(engine, world, clock):
    with pytest.raises(PermissionDenied, match="Quality lead"):
        start(engine, world, clock, actor=world.manager)
    with session_scope(engine) as session, pytest.raises(ValidationError) as caught:
        review.start_review(
            session,
            actor=world.quality_lead,
            findings=review.Findings("ok", " ", "ok", "ok"),
            now=clock.now(),
        )
    assert caught.value.field == "staff_confidence"
    start(engine, world, clock)
    with pytest.raises(DomainError, match="already under way"):
        start(engine, world, clock)


def test_manager_records_whether_original_controls_worked_with_evidence(engine, world, clock):
    ref = add_risk(engine, world, clock, title="Oakwood MAR migration", service=world.oakwood)
    go_live(engine, world, clock)
    later = add_risk(engine, world, clock, title="Found later", service=world.oakwood)
    start(engine, world, clock)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            review.record_verdict(
                session,
                actor=world.other_manager,
                ref=ref,
                verdict="yes",
                evidence="x",
                now=clock.now(),
            )
        with pytest.raises(ValidationError, match="yes, partly or no"):
            review.record_verdict(
                session,
                actor=world.manager,
                ref=ref,
                verdict="maybe",
                evidence="x",
                now=clock.now(),
            )
        with pytest.raises(ValidationError, match="evidence"):
            review.record_verdict(
                session, actor=world.manager, ref=ref, verdict="yes", evidence=" ", now=clock.now()
            )
        with pytest.raises(DomainError, match="before go-live"):
            review.record_verdict(
                session,
                actor=world.manager,
                ref=later,
                verdict="yes",
                evidence="x",
                now=clock.now(),
            )
        review.record_verdict(
            session,
            actor=world.manager,
            ref=ref,
            verdict="partly",
            evidence="Pharmacist reconciliation found 3 errors",
            now=clock.now(),
        )
    with session_scope(engine) as session:
        review.record_verdict(
            session,
            actor=world.manager,
            ref=ref,
            verdict=Effectiveness.NO,
            evidence="Errors kept appearing",
            now=clock.now(),
        )
    with session_scope(engine) as session:
        rows = session.exec(select(ControlVerdict)).all()
        assert [(r.verdict, r.evidence) for r in rows] == [
            (Effectiveness.NO, "Errors kept appearing")
        ]
        revised = [e for e in audit.trail(session) if e.action == "verdict revised"]
        assert {(e.field, e.old_value, e.new_value) for e in revised} >= {
            ("verdict", "partly", "no")
        }


def test_project_lead_transfers_unresolved_risk_to_business_as_usual(engine, world, clock):
    ref = add_risk(engine, world, clock, title="Agency access", score=(4, 4))
    start(engine, world, clock)
    review_day = clock.now().date() + timedelta(days=90)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            review.transfer_to_bau(
                session,
                actor=world.quality_lead,
                ref=ref,
                owner=world.manager,
                review_date=review_day,
                now=clock.now(),
            )
        with pytest.raises(ValidationError, match="after today"):
            review.transfer_to_bau(
                session,
                actor=world.project_lead,
                ref=ref,
                owner=world.manager,
                review_date=clock.now().date(),
                now=clock.now(),
            )
    with session_scope(engine) as session:
        successor = review.transfer_to_bau(
            session,
            actor=world.project_lead,
            ref=ref,
            owner=world.other_manager,
            review_date=review_day,
            note="Agency accounts still created by hand",
            now=clock.now(),
        )
        new_ref = successor.ref
    with session_scope(engine) as session:
        original = risks.get_risk(session, ref)
        bau = risks.get_risk(session, new_ref)
        assert original.status == RiskStatus.TRANSFERRED
        assert bau.risk_register == Register.BUSINESS_AS_USUAL
        assert bau.transferred_from_id == original.id
        assert (bau.owner_id, bau.review_date, bau.score) == (
            world.other_manager.id,
            review_day,
            16,
        )
        history = session.exec(select(RiskAssessment).where(RiskAssessment.risk_id == bau.id)).all()
        assert len(history) == 1 and ref in history[0].reason
        actions = [e.action for e in audit.trail(session, entity_ref=ref)]
        assert "transferred" in actions and "transferred to business as usual" in actions
        with pytest.raises(DomainError, match="only unresolved risks transfer"):
            review.transfer_to_bau(
                session,
                actor=world.project_lead,
                ref=ref,
                owner=world.manager,
                review_date=review_day,
                now=clock.now(),
            )


def test_leadership_action_needs_an_owner_and_the_board(engine, world, clock):
    start(engine, world, clock)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            review.record_leadership_action(
                session,
                actor=world.manager,
                description="Fund a second trainer",
                owner=world.project_lead,
                now=clock.now(),
            )
        action = review.record_leadership_action(
            session,
            actor=world.board_member,
            description="Fund a second trainer for bank staff",
            owner=world.project_lead,
            due_date=date(2027, 3, 31),
            now=clock.now(),
        )
        assert action.ref == "LA-1"
        current = review.current_review(session)
        assert current is not None
        assert [a.description for a in review.leadership_actions(session, current)] == [
            "Fund a second trainer for bank staff"
        ]


def test_follow_up_audits_are_scheduled_monthly_and_results_show_residual_risk_falling(
    engine, world, clock
):
    ref = add_risk(engine, world, clock, title="Agency access", score=(4, 4))
    start(engine, world, clock)
    with session_scope(engine) as session:
        scheduled = review.schedule_audits(
            session,
            actor=world.quality_lead,
            topic="Record completion",
            first_due=date(2027, 1, 31),
            months=3,
            now=clock.now(),
        )
        assert [a.due_date for a in scheduled] == [
            date(2027, 1, 31),
            date(2027, 2, 28),
            date(2027, 3, 31),
        ]
        refs = [a.ref for a in scheduled]
        with pytest.raises(DomainError, match="already scheduled"):
            review.schedule_audits(
                session,
                actor=world.quality_lead,
                topic="Record completion",
                first_due=date(2027, 1, 31),
                months=3,
                now=clock.now(),
            )
    clock.advance(timedelta(days=30))
    with session_scope(engine) as session:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=2,
            impact=4,
            reason="Fewer",
            now=clock.now(),
        )
        first = review.record_audit_result(
            session, actor=world.quality_lead, ref=refs[0], result="96% complete", now=clock.now()
        )
        assert (first.residual_score, first.high_risks, first.risks_reducing) == (8, 1, True)
        with pytest.raises(DomainError, match="already has its result"):
            review.record_audit_result(
                session, actor=world.quality_lead, ref=refs[0], result="again", now=clock.now()
            )
    clock.advance(timedelta(days=30))
    with session_scope(engine) as session:
        risks.score_risk(
            session,
            actor=world.quality_lead,
            ref=ref,
            likelihood=3,
            impact=4,
            reason="Worse",
            now=clock.now(),
        )
        second = review.record_audit_result(
            session, actor=world.quality_lead, ref=refs[1], result="91% complete", now=clock.now()
        )
        assert (second.residual_score, second.risks_reducing) == (12, False)


def close(engine, world, clock):
    with session_scope(engine) as session:
        return review.close_project(
            session, actor=world.project_lead, note="Handed to BAU", now=clock.now()
        )


def test_project_cannot_close_before_a_review_is_started(engine, world, clock):
    with pytest.raises(review.ClosingBlocked, match="no post-implementation review"):
        close(engine, world, clock)


def test_project_cannot_close_while_high_residual_risk_has_no_owner(engine, world, clock):
    ref = add_risk(engine, world, clock, title="Agency access", score=(4, 4), owner=False)
    add_risk(engine, world, clock, title="Printer", score=(2, 2), owner=False)
    start(engine, world, clock)
    with pytest.raises(review.ClosingBlocked) as caught:
        close(engine, world, clock)
    assert [b.ref for b in caught.value.blockers] == [ref]
    assert f"{ref} Agency access is an extreme residual risk (score 16) with no owner" in str(
        caught.value
    )
    with session_scope(engine) as session:
        risks.update_details(
            session, actor=world.project_lead, ref=ref, owner=world.manager, now=clock.now()
        )
    assert close(engine, world, clock).closed_at == clock.now()


def test_project_cannot_close_while_an_issue_affecting_safe_care_is_open(engine, world, clock):
    ref = report(engine, world, clock)
    report(engine, world, clock, impact=Impact.SOME)
    start(engine, world, clock)
    with pytest.raises(review.ClosingBlocked) as caught:
        close(engine, world, clock)
    assert [b.ref for b in caught.value.blockers] == [ref]
    assert f"{ref} affects safe care and is still new" in str(caught.value)


def test_project_cannot_close_while_a_follow_up_audit_is_outstanding(engine, world, clock):
    start(engine, world, clock)
    with session_scope(engine) as session:
        [item] = review.schedule_audits(
            session,
            actor=world.quality_lead,
            topic="Record completion",
            first_due=clock.now().date(),
            months=1,
            now=clock.now(),
        )
        audit_ref = item.ref
    with pytest.raises(review.ClosingBlocked, match=f"{audit_ref} .* has no result yet"):
        close(engine, world, clock)
    with session_scope(engine) as session:
        review.record_audit_result(
            session, actor=world.quality_lead, ref=audit_ref, result="All fine", now=clock.now()
        )
    closed = close(engine, world, clock)
    with session_scope(engine) as session:
        post = session.exec(
            select(OutboxMessage).where(OutboxMessage.notice == "review_project_closed")
        ).one()
        assert post.subject == str(closed.id)
    with pytest.raises(DomainError, match="already closed"):
        close(engine, world, clock)


def test_closing_refusal_lists_every_reason_and_only_project_lead_may_close(engine, world, clock):
    risk_ref = add_risk(engine, world, clock, title="Agency access", score=(5, 5), owner=False)
    issue_ref = report(engine, world, clock)
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        review.close_project(session, actor=world.quality_lead, now=clock.now())
    with pytest.raises(review.ClosingBlocked) as caught:
        close(engine, world, clock)
    kinds = [b.kind for b in caught.value.blockers]
    assert kinds == ["review", "unowned_risk", "safe_care_issue"]
    message = str(caught.value)
    assert risk_ref in message and issue_ref in message
    with session_scope(engine) as session:
        assert session.exec(select(Risk).where(Risk.status == RiskStatus.OPEN)).all()
        assert review.current_review(session) is None
