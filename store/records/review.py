"""The post-implementation review, and the guard that keeps the project from closing too early.

The quality lead starts the review with findings; registered managers say whether each
pre-implementation risk's original controls worked; the project lead moves what remains into
the business-as-usual register; leadership actions get owners; monthly follow-up audits record
whether residual risk keeps falling. The implementation closes only when no high or extreme
residual risk is unowned, no issue affecting safe care is open and no follow-up audit is
outstanding.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.infra.errors import DomainError, NotFound, ValidationError
from store.records import audit, outbox
from store.records.actors import Actor, actor_id
from store.records.channels import channel_for
from store.records.enums import (
    Band,
    ChannelPurpose,
    Impact,
    Phase,
    Register,
    RiskScope,
    RiskStatus,
    Role,
)
from store.records.models import (
    ControlVerdict,
    Effectiveness,
    FollowUpAudit,
    Issue,
    LeadershipAction,
    Person,
    PhaseChange,
    PostImplementationReview,
    Risk,
    RiskAssessment,
    RoleGrant,
    Service,
    ident,
)
from store.records.outbox import Method
from store.records.permissions import Action, require
from store.records.refs import RISK_COUNTER, next_number
from store.records.risks import get_risk
from store.records.scoring import band_for, score_range
from store.records.text import clean_text, required_text

HIGH_SCORE = score_range(Band.HIGH)[0]
FINDING_LIMIT = 3000
LISTED_PER_BLOCKER = 10
MAX_AUDITS = 12


class ReviewNotice(StrEnum):
    """Messages the review owes Slack; rendered by bot/views/review.py."""

    VERDICT_REQUEST = "review_verdict_request"
    PROJECT_CLOSED = "review_project_closed"


# The review itself


@dataclass(frozen=True)
class Findings:
    """The quality lead's findings, one per area the review must cover."""

    data_quality: str
    staff_confidence: str
    record_completion: str
    workflow_stability: str


FINDING_LABELS = {
    "data_quality": "Data quality",
    "staff_confidence": "Staff confidence",
    "record_completion": "Record completion",
    "workflow_stability": "Workflow stability",
}


def current_review(session: Session) -> PostImplementationReview | None:
    """The newest review, open or closed."""
    query = select(PostImplementationReview).order_by(col(PostImplementationReview.id).desc())
    return session.exec(query).first()


def review_by_id(session: Session, *, review_id: int) -> PostImplementationReview | None:
    return session.get(PostImplementationReview, review_id)


class NotStarted(DomainError):
    """No review has been started yet; a chat face may add how the quality lead starts one."""

    def __init__(self) -> None:
        super().__init__(
            "No post-implementation review has been started; the quality lead starts it"
        )


def open_review(session: Session) -> PostImplementationReview:
    review = current_review(session)
    if review is None:
        raise NotStarted()
    if review.closed_at is not None:
        raise DomainError("The implementation is closed; its review can no longer change")
    return review


def go_live_at(session: Session) -> datetime | None:
    """When the project first went live: the line between pre-implementation and after."""
    query = select(func.min(PhaseChange.set_at)).where(PhaseChange.phase == Phase.GO_LIVE)
    return session.exec(query).one()


def start_review(
    session: Session, *, actor: Actor, findings: Findings, now: datetime
) -> PostImplementationReview:
    """Start the review and ask each registered manager (and the quality lead, for risks
    across the organisation) for their verdicts on the original controls."""
    require(session, actor, Action.START_REVIEW)
    existing = current_review(session)
    if existing is not None and existing.closed_at is None:
        raise DomainError(f"The post-implementation review {existing.ref} is already under way")
    if existing is not None:
        raise DomainError("The implementation is closed; there is no review left to start")
    texts = {
        name: required_text(
            getattr(findings, name),
            field=name,
            label=f"The {label.lower()} finding",
            limit=FINDING_LIMIT,
        )
        for name, label in FINDING_LABELS.items()
    }
    review = PostImplementationReview(
        data_quality=texts["data_quality"],
        staff_confidence=texts["staff_confidence"],
        record_completion=texts["record_completion"],
        workflow_stability=texts["workflow_stability"],
        started_by_id=actor_id(actor),
        started_at=now,
    )
    session.add(review)
    audit.record_created(session, review, actor=actor, now=now)
    _ask_for_verdicts(session, review=review, starter=actor, now=now)
    return review


def pre_implementation_risks(
    session: Session, *, service_id: int | None = None, organisation: bool = False
) -> list[Risk]:
    """Implementation-register risks recorded before go-live (all of them if the project never
    went live), for one service, organisation-wide only, or every one."""
    query = select(Risk).where(Risk.risk_register == Register.IMPLEMENTATION)
    cutoff = go_live_at(session)
    if cutoff is not None:
        query = query.where(col(Risk.created_at) < cutoff)
    if service_id is not None:
        query = query.where(Risk.service_id == service_id)
    elif organisation:
        query = query.where(Risk.scope == RiskScope.ORGANISATION)
    return list(session.exec(query.order_by(col(Risk.number))))


def _ask_for_verdicts(
    session: Session, *, review: PostImplementationReview, starter: Actor, now: datetime
) -> None:
    risks = pre_implementation_risks(session)
    services = {r.service_id for r in risks if r.service_id is not None}
    managers = session.exec(
        select(RoleGrant.service_id, Person)
        .join(Person, col(Person.id) == RoleGrant.person_id)
        .where(RoleGrant.role == Role.REGISTERED_MANAGER, col(RoleGrant.service_id).in_(services))
        .order_by(col(Person.id))
    ).all()
    for service_id, manager in managers:
        outbox.enqueue(
            session,
            key=f"review:{review.id}:verdicts:{service_id}:{manager.id}",
            method=Method.DM,
            notice=ReviewNotice.VERDICT_REQUEST,
            user=manager.slack_user_id,
            subject=f"{review.id}:{service_id}",
            now=now,
        )
    if isinstance(starter, Person) and any(r.service_id is None for r in risks):
        outbox.enqueue(
            session,
            key=f"review:{review.id}:verdicts:organisation:{starter.id}",
            method=Method.DM,
            notice=ReviewNotice.VERDICT_REQUEST,
            user=starter.slack_user_id,
            subject=f"{review.id}:organisation",
            now=now,
        )


def parse_verdict_subject(subject: str) -> tuple[int, int | None]:
    """The review id and service id (None for organisation-wide risks) of a verdict request."""
    review_id, _, scope = subject.partition(":")
    return int(review_id), None if scope == "organisation" else int(scope)


@dataclass(frozen=True)
class VerdictRequest:
    """What a verdict request asks, as the records are now: the review, whose controls
    (``scope``, a service's name or the whole organisation), the risks recorded before
    go-live, and the verdicts already given on them by risk id."""

    review: PostImplementationReview
    scope: str
    risks: list[Risk]
    given: dict[int, Effectiveness]


def verdict_request(session: Session, *, subject: str) -> VerdictRequest:
    """The facts of the verdict request with ``subject`` (an outbox row's), for any face."""
    review_id, service_id = parse_verdict_subject(subject)
    current = review_by_id(session, review_id=review_id)
    if current is None:
        raise NotFound(f"There is no review {review_id}")
    if service_id is None:
        scope = "the whole organisation"
        listed = pre_implementation_risks(session, organisation=True)
    else:
        service = session.get(Service, service_id)
        scope = service.name if service else "your service"
        listed = pre_implementation_risks(session, service_id=service_id)
    given = {key: value.verdict for key, value in verdicts(session, current).items()}
    return VerdictRequest(current, scope, listed, given)


# Verdicts on the original controls


def record_verdict(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    verdict: Effectiveness | str,
    evidence: str,
    now: datetime,
) -> ControlVerdict:
    """Record (or revise, audited) whether a pre-implementation risk's controls worked."""
    review = open_review(session)
    risk = get_risk(session, ref)
    require(session, actor, Action.RECORD_VERDICT, service_id=risk.service_id)
    if risk.id not in {r.id for r in pre_implementation_risks(session)}:
        raise DomainError(
            f"{risk.ref} was not on the register before go-live; verdicts are for "
            "pre-implementation risks"
        )
    try:
        kind = (
            Effectiveness(verdict)
            if isinstance(verdict, Effectiveness)
            else (Effectiveness.parse(str(verdict)))
        )
    except ValueError:
        raise ValidationError(
            "Say whether the controls were effective: yes, partly or no", field="verdict"
        ) from None
    text = required_text(evidence, field="evidence", label="The evidence", limit=FINDING_LIMIT)
    existing = session.exec(
        select(ControlVerdict).where(
            ControlVerdict.review_id == review.id, ControlVerdict.risk_id == risk.id
        )
    ).first()
    if existing is not None:
        with audit.audited(session, existing, actor=actor, action="verdict revised", now=now):
            existing.verdict = Effectiveness(kind)
            existing.evidence = text
            existing.given_by_id = actor_id(actor)
        return existing
    record = ControlVerdict(
        review_id=ident(review),
        risk_id=ident(risk),
        verdict=Effectiveness(kind),
        evidence=text,
        given_by_id=actor_id(actor),
        given_at=now,
        updated_at=now,
    )
    session.add(record)
    audit.record_created(session, record, actor=actor, now=now)
    return record


def verdicts(session: Session, review: PostImplementationReview) -> dict[int, ControlVerdict]:
    """The review's verdicts by risk id."""
    query = select(ControlVerdict).where(ControlVerdict.review_id == review.id)
    return {v.risk_id: v for v in session.exec(query)}


# Transfer to business as usual


def transfer_to_bau(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    owner: Person,
    review_date: date,
    note: str | None = None,
    now: datetime,
) -> Risk:
    """Carry an unresolved risk into the business-as-usual register with an owner and a review
    date; the original is marked transferred and the new risk points back at it."""
    open_review(session)
    original = get_risk(session, ref)
    require(session, actor, Action.TRANSFER_RISK, service_id=original.service_id)
    if original.risk_register != Register.IMPLEMENTATION:
        raise DomainError(f"{original.ref} is already on the business-as-usual register")
    if not original.is_open:
        raise DomainError(
            f"{original.ref} is {original.status.label.lower()}; only unresolved risks transfer"
        )
    if owner.id is None or session.get(Person, owner.id) is None:
        raise ValidationError("Choose who owns the risk from now on", field="owner")
    if review_date <= now.date():
        raise ValidationError(
            "The review date must be after today, so the risk is looked at again",
            field="review_date",
        )
    why = clean_text(note, field="note", label="The note", limit=1000, required=False)
    successor = Risk(
        number=next_number(session, RISK_COUNTER),
        title=original.title,
        description=original.description,
        category=original.category,
        scope=original.scope,
        service_id=original.service_id,
        likelihood=original.likelihood,
        impact=original.impact,
        target_likelihood=original.target_likelihood,
        target_impact=original.target_impact,
        owner_id=owner.id,
        review_date=review_date,
        escalation_route=original.escalation_route,
        risk_register=Register.BUSINESS_AS_USUAL,
        status=RiskStatus.OPEN,
        transferred_from_id=original.id,
        created_by_id=actor_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(successor)
    audit.record_created(session, successor, actor=actor, now=now)
    if original.likelihood is not None and original.impact is not None:
        session.add(
            RiskAssessment(
                risk_id=ident(successor),
                likelihood=original.likelihood,
                impact=original.impact,
                reason=f"Score carried over from {original.ref} at transfer to business as usual",
                assessed_by_id=actor_id(actor),
                assessed_at=now,
            )
        )
    with audit.audited(session, original, actor=actor, action="transferred", now=now):
        original.status = RiskStatus.TRANSFERRED
    audit.record_action(
        session,
        original,
        actor=actor,
        action="transferred to business as usual",
        now=now,
        note=f"Now {successor.ref}" + (f": {why}" if why else ""),
    )
    session.refresh(successor)
    return successor


# Leadership actions


def record_leadership_action(
    session: Session,
    *,
    actor: Actor,
    description: str,
    owner: Person,
    due_date: date | None = None,
    now: datetime,
) -> LeadershipAction:
    review = open_review(session)
    require(session, actor, Action.LEADERSHIP_ACTION)
    text = required_text(description, field="description", label="The action", limit=1000)
    if owner.id is None or session.get(Person, owner.id) is None:
        raise ValidationError("Choose who owns the action", field="owner")
    if due_date is not None and due_date < now.date():
        raise ValidationError("The due date is in the past", field="due_date")
    action = LeadershipAction(
        review_id=ident(review),
        description=text,
        owner_id=owner.id,
        due_date=due_date,
        recorded_by_id=actor_id(actor),
        recorded_at=now,
    )
    session.add(action)
    audit.record_created(session, action, actor=actor, now=now)
    return action


# Follow-up audits


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    last = (following - date.resolution).day
    return date(year, month, min(day.day, last))


def schedule_audits(
    session: Session,
    *,
    actor: Actor,
    topic: str,
    first_due: date,
    months: int,
    now: datetime,
) -> list[FollowUpAudit]:
    """Schedule a follow-up audit every month from ``first_due``; a month already scheduled
    for the topic is left as it is."""
    review = open_review(session)
    require(session, actor, Action.FOLLOW_UP_AUDIT)
    what = required_text(topic, field="topic", label="What the audit checks", limit=200)
    if first_due < now.date():
        raise ValidationError("The first audit date is in the past", field="first_due")
    if not 1 <= months <= MAX_AUDITS:
        raise ValidationError(
            f"Schedule between 1 and {MAX_AUDITS} monthly audits, not {months}", field="months"
        )
    wanted = [add_months(first_due, n) for n in range(months)]
    have = set(
        session.exec(
            select(col(FollowUpAudit.due_date)).where(
                FollowUpAudit.review_id == review.id, FollowUpAudit.topic == what
            )
        )
    )
    created = []
    for due in wanted:
        if due in have:
            continue
        item = FollowUpAudit(
            review_id=ident(review),
            topic=what,
            due_date=due,
            scheduled_by_id=actor_id(actor),
            scheduled_at=now,
            updated_at=now,
        )
        session.add(item)
        audit.record_created(session, item, actor=actor, now=now)
        created.append(item)
    if not created:
        raise DomainError(f"Those audits of '{what}' are already scheduled")
    return created


def get_audit(session: Session, ref: str) -> FollowUpAudit:
    digits = ref.strip().upper().removeprefix("FA-").removeprefix("FA")
    item = session.get(FollowUpAudit, int(digits)) if digits.isdigit() else None
    if item is None:
        raise NotFound(f"There is no follow-up audit '{ref.strip()}'; they look like FA-3")
    return item


@dataclass(frozen=True)
class Residual:
    """The open risks' weight at one moment: their total score and how many are high or
    extreme."""

    total: int
    high: int


def residual_now(session: Session) -> Residual:
    total = session.exec(select(func.coalesce(func.sum(Risk.score), 0)).where(Risk.is_open)).one()
    high = session.exec(
        select(func.count()).where(Risk.is_open, col(Risk.score) >= HIGH_SCORE)
    ).one()
    return Residual(total=int(total or 0), high=int(high))


def record_audit_result(
    session: Session, *, actor: Actor, ref: str, result: str, now: datetime
) -> FollowUpAudit:
    """Record what the audit found; the open risks' residual score is snapshotted with it, and
    compared with the previous result to say whether risk keeps reducing."""
    open_review(session)
    require(session, actor, Action.FOLLOW_UP_AUDIT)
    item = get_audit(session, ref)
    if item.result is not None:
        raise DomainError(f"{item.ref} already has its result, recorded {item.recorded_at:%d %b}")
    text = required_text(result, field="result", label="The audit result", limit=FINDING_LIMIT)
    residual = residual_now(session)
    previous = session.exec(
        select(FollowUpAudit)
        .where(col(FollowUpAudit.recorded_at).is_not(None))
        .order_by(col(FollowUpAudit.recorded_at).desc(), col(FollowUpAudit.id).desc())
    ).first()
    baseline = previous.residual_score if previous is not None else _residual_at_review(session)
    with audit.audited(session, item, actor=actor, action="result recorded", now=now):
        item.result = text
        item.residual_score = residual.total
        item.high_risks = residual.high
        item.risks_reducing = baseline is not None and residual.total < baseline
        item.recorded_by_id = actor_id(actor)
        item.recorded_at = now
    return item


def _residual_at_review(session: Session) -> int | None:
    """The open risks' total score when the review started, from the scoring history."""
    review = current_review(session)
    if review is None:
        return None
    latest = (
        select(RiskAssessment.risk_id, func.max(RiskAssessment.id).label("last"))
        .where(col(RiskAssessment.assessed_at) <= review.started_at)
        .group_by(col(RiskAssessment.risk_id))
        .subquery()
    )
    query = (
        select(func.coalesce(func.sum(RiskAssessment.likelihood * RiskAssessment.impact), 0))
        .join(latest, col(RiskAssessment.id) == latest.c.last)
        .join(Risk, col(Risk.id) == RiskAssessment.risk_id)
        .where(col(Risk.created_at) <= review.started_at)
        .where(col(Risk.risk_register) == Register.IMPLEMENTATION)
    )
    return int(session.exec(query).one())


def audits(session: Session, review: PostImplementationReview) -> list[FollowUpAudit]:
    query = (
        select(FollowUpAudit)
        .where(FollowUpAudit.review_id == review.id)
        .order_by(col(FollowUpAudit.due_date), col(FollowUpAudit.id))
    )
    return list(session.exec(query))


def leadership_actions(
    session: Session, review: PostImplementationReview
) -> list[LeadershipAction]:
    query = (
        select(LeadershipAction)
        .where(LeadershipAction.review_id == review.id)
        .order_by(col(LeadershipAction.id))
    )
    return list(session.exec(query))


# Closing the implementation


@dataclass(frozen=True)
class Blocker:
    """One reason the implementation cannot close yet, in words for the project lead."""

    kind: str
    ref: str
    text: str


def closing_blockers(session: Session) -> list[Blocker]:
    """Everything that stops the implementation closing, in a few set-based queries."""
    blockers: list[Blocker] = []
    review = current_review(session)
    if review is None:
        blockers.append(
            Blocker(
                "review",
                "",
                "no post-implementation review has been started (the quality lead starts it)",
            )
        )
    unowned = session.exec(
        select(Risk)
        .where(
            Risk.is_open,
            col(Risk.score) >= HIGH_SCORE,
            col(Risk.owner_id).is_(None),
        )
        .order_by(col(Risk.score).desc(), col(Risk.number))
    ).all()
    for risk in unowned:
        label = band_for(risk.score or 1).label.lower()
        blockers.append(
            Blocker(
                "unowned_risk",
                risk.ref,
                f"{risk.ref} {risk.title} is {'an' if label[0] in 'aeiou' else 'a'} {label} "
                f"residual risk (score {risk.score}) with no owner",
            )
        )
    unsafe = session.exec(
        select(Issue)
        .where(Issue.impact == Impact.SAFE_CARE, Issue.is_open)
        .order_by(col(Issue.number))
    ).all()
    for issue in unsafe:
        blockers.append(
            Blocker(
                "safe_care_issue",
                issue.ref,
                f"{issue.ref} affects safe care and is still {issue.status.label.lower()}",
            )
        )
    if review is not None:
        outstanding = session.exec(
            select(FollowUpAudit)
            .where(FollowUpAudit.review_id == review.id, col(FollowUpAudit.result).is_(None))
            .order_by(col(FollowUpAudit.due_date), col(FollowUpAudit.id))
        ).all()
        for item in outstanding:
            blockers.append(
                Blocker(
                    "outstanding_audit",
                    item.ref,
                    f"follow-up audit {item.ref} ({item.topic}, due "
                    f"{item.due_date:%d %b %Y}) has no result yet",
                )
            )
    return blockers


class ClosingBlocked(DomainError):
    """The implementation cannot close; ``blockers`` says why, item by item."""

    def __init__(self, blockers: list[Blocker]) -> None:
        self.blockers = blockers
        super().__init__(describe_blockers(blockers))


def describe_blockers(blockers: list[Blocker]) -> str:
    lines = ["The implementation can't be closed yet:"]
    by_kind: dict[str, list[Blocker]] = {}
    for blocker in blockers:
        by_kind.setdefault(blocker.kind, []).append(blocker)
    for items in by_kind.values():
        lines.extend(f"• {b.text}" for b in items[:LISTED_PER_BLOCKER])
        if len(items) > LISTED_PER_BLOCKER:
            lines.append(f"• and {len(items) - LISTED_PER_BLOCKER} more like these")
    return "\n".join(lines)


def close_project(
    session: Session, *, actor: Actor, note: str | None = None, now: datetime
) -> PostImplementationReview:
    """Close the implementation, refusing (with every reason) while it would close too early."""
    require(session, actor, Action.CLOSE_PROJECT)
    review = current_review(session)
    if review is not None and review.closed_at is not None:
        raise DomainError(f"The implementation was already closed on {review.closed_at:%d %b %Y}")
    blockers = closing_blockers(session)
    if blockers:
        raise ClosingBlocked(blockers)
    assert review is not None
    text = clean_text(note, field="note", label="The closing note", limit=1000, required=False)
    with audit.audited(session, review, actor=actor, action="implementation closed", now=now):
        review.closed_at = now
        review.closed_by_id = actor_id(actor)
        review.closure_note = text
    board = channel_for(session, ChannelPurpose.BOARD)
    if board:
        outbox.enqueue(
            session,
            key=f"review:{review.id}:closed",
            method=Method.POST,
            notice=ReviewNotice.PROJECT_CLOSED,
            channel=board,
            subject=str(review.id),
            now=now,
        )
    return review
