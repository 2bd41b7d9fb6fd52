"""Project board decisions on risks and issues."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from store.infra.errors import NotFound, ValidationError
from store.records import audit, issues, outbox, risks
from store.records.actors import Actor, actor_id
from store.records.channels import channel_for
from store.records.enums import ChannelPurpose, DecisionKind, RiskStatus
from store.records.models import ISSUE_PREFIX, Decision, Issue, Person, Risk
from store.records.outbox import Method, Notice
from store.records.permissions import Action, require
from store.records.text import clean_text, required_text


@dataclass(frozen=True)
class NewDecision:
    kind: DecisionKind
    summary: str
    owner: Person | None = None
    escalation_route: str | None = None
    follow_up_date: date | None = None


def record_decision(
    session: Session,
    *,
    actor: Actor,
    data: NewDecision,
    now: datetime,
    risk: Risk | None = None,
    issue: Issue | None = None,
) -> Decision:
    """A board decision; deciding to close a risk closes it in the same transaction."""
    require(session, actor, Action.RECORD_DECISION)
    if (risk is None) == (issue is None):
        raise ValidationError("A decision is about one risk or one issue")
    summary = required_text(data.summary, field="summary", label="The decision", limit=2000)
    route = clean_text(
        data.escalation_route,
        field="escalation_route",
        label="The escalation route",
        limit=300,
        required=False,
    )
    if data.follow_up_date is not None and data.follow_up_date < now.date():
        raise ValidationError("The follow-up date is in the past", field="follow_up_date")
    decision = Decision(
        risk_id=risk.id if risk else None,
        issue_id=issue.id if issue else None,
        kind=data.kind,
        summary=summary,
        owner_id=data.owner.id if data.owner else None,
        escalation_route=route,
        follow_up_date=data.follow_up_date,
        decided_by_id=actor_id(actor),
        decided_at=now,
    )
    session.add(decision)
    audit.record_created(session, decision, actor=actor, now=now)
    if risk is not None:
        with audit.audited(session, risk, actor=actor, action="board decision", now=now):
            if data.kind == DecisionKind.CLOSE:
                risk.status = RiskStatus.CLOSED
            elif data.kind == DecisionKind.ESCALATE_TO_SUPPLIER:
                risk.status = RiskStatus.ESCALATED
            if route:
                risk.escalation_route = route
    return decision


def decision_by_id(session: Session, *, decision_id: int) -> Decision | None:
    return session.get(Decision, decision_id)


def subject_of(session: Session, *, decision: Decision) -> Risk | Issue:
    """What the board decided about: its risk, or else its issue."""
    if decision.risk_id is not None:
        risk = session.get(Risk, decision.risk_id)
        if risk is not None:
            return risk
    issue = session.get(Issue, decision.issue_id) if decision.issue_id is not None else None
    if issue is None:
        raise NotFound(f"Decision {decision.id} is about nothing golive knows")
    return issue


def decisions_on(
    session: Session, *, risk: Risk | None = None, issue: Issue | None = None
) -> list[Decision]:
    query = select(Decision)
    if risk is not None:
        query = query.where(Decision.risk_id == risk.id)
    if issue is not None:
        query = query.where(Decision.issue_id == issue.id)
    return list(session.exec(query.order_by(col(Decision.decided_at), col(Decision.id))))


def decisions_between(session: Session, *, start: datetime, end: datetime) -> list[Decision]:
    query = select(Decision).where(
        col(Decision.decided_at) >= start, col(Decision.decided_at) < end
    )
    return list(session.exec(query.order_by(col(Decision.decided_at))))


def owe_board_notice(session: Session, *, decision: Decision, now: datetime) -> bool:
    """Post the decision to the board channel, so the minutes and Slack agree."""
    board = channel_for(session, ChannelPurpose.BOARD)
    if not board:
        return False
    return outbox.enqueue(
        session,
        key=f"decision:{decision.id}:board",
        method=Method.POST,
        notice=Notice.DECISION_RECORDED,
        channel=board,
        subject=str(decision.id),
        now=now,
    )


def subject_by_ref(session: Session, ref: str) -> Risk | Issue:
    """What a decision is about, by the reference people and buttons give: a risk (R-003)
    or an issue (GL-0042)."""
    if ref.strip().upper().startswith(ISSUE_PREFIX):
        return issues.get_issue(session, ref)
    return risks.get_risk(session, ref)
