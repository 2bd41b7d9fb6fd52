"""The implementation risk register: recording, scoring, review dates and status."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from store.infra.errors import DomainError, NotFound, ValidationError
from store.records import audit
from store.records.actors import Actor, actor_id

# re-exported: documents/evidence.py reads it here (the rule: Risk.is_open)
from store.records.enums import OPEN_RISK_STATUSES as OPEN_RISK_STATUSES
from store.records.enums import (
    Band,
    ControlStatus,
    Register,
    RiskCategory,
    RiskScope,
    RiskStatus,
)
from store.records.models import RISK_PREFIX, Control, Person, Risk, RiskAssessment, Service, ident
from store.records.permissions import RULES, Action, allowed, grants_of, require
from store.records.refs import RISK_COUNTER, next_number
from store.records.scoring import band_for, check_rating, score_range
from store.records.text import clean_text, required_text


@dataclass(frozen=True)
class NewRisk:
    """A risk as the project lead or a registered manager first records it."""

    title: str
    category: RiskCategory
    scope: RiskScope
    description: str = ""
    service_id: int | None = None
    owner_id: int | None = None
    escalation_route: str | None = None
    review_date: date | None = None
    first_controls: list[str] = field(default_factory=list)
    register: Register = Register.IMPLEMENTATION


def band(risk: Risk) -> Band | None:
    """None while the quality lead has not yet scored it."""
    return None if risk.score is None else band_for(risk.score)


def parse_ref(ref: str) -> int:
    digits = ref.strip().upper().removeprefix(RISK_PREFIX).removeprefix("R")
    if not digits.isdigit():
        raise NotFound(f"'{ref.strip()}' is not a risk reference; they look like R-003")
    return int(digits)


def get_risk(session: Session, ref: str) -> Risk:
    number = parse_ref(ref)
    risk = session.exec(select(Risk).where(Risk.number == number)).first()
    if risk is None:
        raise NotFound(f"There is no risk {RISK_PREFIX}{number:03d}")
    return risk


def _scope_service(session: Session, data: NewRisk) -> int | None:
    if data.scope == RiskScope.ORGANISATION:
        return None
    if data.service_id is None or session.get(Service, data.service_id) is None:
        raise ValidationError("A service risk needs the service it belongs to", field="service")
    return data.service_id


def create_risk(session: Session, *, actor: Actor, data: NewRisk, now: datetime) -> Risk:
    service_id = _scope_service(session, data)
    require(session, actor, Action.RECORD_RISK, service_id=service_id)
    title = required_text(data.title, field="title", label="The risk title", limit=200)
    description = (
        clean_text(data.description, field="description", label="The description", required=False)
        or ""
    )
    route = clean_text(
        data.escalation_route,
        field="escalation_route",
        label="The escalation route",
        limit=300,
        required=False,
    )
    if data.review_date is not None and data.review_date < now.date():
        raise ValidationError("The review date is in the past", field="review_date")
    controls = [
        required_text(text, field="controls", label="A control", limit=1000)
        for text in data.first_controls
        if text and text.strip()
    ]
    risk = Risk(
        number=next_number(session, RISK_COUNTER),
        title=title,
        description=description,
        category=data.category,
        scope=data.scope,
        service_id=service_id,
        owner_id=data.owner_id,
        escalation_route=route,
        review_date=data.review_date,
        risk_register=data.register,
        status=RiskStatus.OPEN,
        created_by_id=actor_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(risk)
    audit.record_created(session, risk, actor=actor, now=now)
    for text in controls:
        control = Control(
            risk_id=risk.id,
            description=text,
            owner_id=data.owner_id,
            status=ControlStatus.PLANNED,
            created_by_id=actor_id(actor),
            created_at=now,
            updated_at=now,
        )
        session.add(control)
        audit.record_created(session, control, actor=actor, now=now)
    return risk


def score_risk(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    likelihood: object,
    impact: object,
    reason: str,
    now: datetime,
) -> Risk:
    """Score (or rescore) on the 5x5 matrix; every scoring is kept with who, when and why."""
    risk = get_risk(session, ref)
    require(session, actor, Action.SCORE_RISK, service_id=risk.service_id)
    l_value = check_rating(likelihood, field="likelihood")
    i_value = check_rating(impact, field="impact")
    why = required_text(reason, field="reason", label="The reason for this score", limit=1000)
    if not risk.is_open:
        raise DomainError(f"{risk.ref} is {risk.status.label.lower()}; only open risks are scored")
    session.add(
        RiskAssessment(
            risk_id=ident(risk),
            likelihood=l_value,
            impact=i_value,
            reason=why,
            assessed_by_id=actor_id(actor),
            assessed_at=now,
        )
    )
    with audit.audited(session, risk, actor=actor, action="scored", now=now):
        risk.likelihood = l_value
        risk.impact = i_value
    session.refresh(risk)
    return risk


def set_target(
    session: Session, *, actor: Actor, ref: str, likelihood: object, impact: object, now: datetime
) -> Risk:
    """The residual score the controls aim for."""
    risk = get_risk(session, ref)
    require(session, actor, Action.SCORE_RISK, service_id=risk.service_id)
    with audit.audited(session, risk, actor=actor, action="target set", now=now):
        risk.target_likelihood = check_rating(likelihood, field="likelihood")
        risk.target_impact = check_rating(impact, field="impact")
    return risk


def set_review_date(
    session: Session, *, actor: Actor, ref: str, review_date: date, now: datetime
) -> Risk:
    risk = get_risk(session, ref)
    require(session, actor, Action.SCORE_RISK, service_id=risk.service_id)
    if review_date < now.date():
        raise ValidationError(
            "The review date is in the past; choose today or later", field="review_date"
        )
    with audit.audited(session, risk, actor=actor, action="review date set", now=now):
        risk.review_date = review_date
    return risk


def update_details(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    now: datetime,
    title: str | None = None,
    description: str | None = None,
    owner: Person | None = None,
    escalation_route: str | None = None,
) -> Risk:
    risk = get_risk(session, ref)
    require(session, actor, Action.RECORD_RISK, service_id=risk.service_id)
    with audit.audited(session, risk, actor=actor, action="details changed", now=now):
        if title is not None:
            risk.title = required_text(title, field="title", label="The risk title", limit=200)
        if description is not None:
            risk.description = (
                clean_text(
                    description, field="description", label="The description", required=False
                )
                or ""
            )
        if owner is not None:
            risk.owner_id = owner.id
        if escalation_route is not None:
            risk.escalation_route = clean_text(
                escalation_route,
                field="escalation_route",
                label="The escalation route",
                limit=300,
                required=False,
            )
    return risk


def set_status(
    session: Session, *, actor: Actor, ref: str, status: RiskStatus, note: str, now: datetime
) -> Risk:
    risk = get_risk(session, ref)
    require(session, actor, Action.RECORD_RISK, service_id=risk.service_id)
    why = required_text(note, field="note", label="The reason", limit=1000)
    if risk.status == status:
        raise DomainError(f"{risk.ref} is already {status.label.lower()}")
    with audit.audited(session, risk, actor=actor, action=f"status {status.value}", now=now):
        risk.status = status
    audit.record_action(session, risk, actor=actor, action="status note", now=now, note=why)
    return risk


def assessments(session: Session, risk: Risk) -> list[RiskAssessment]:
    query = (
        select(RiskAssessment)
        .where(RiskAssessment.risk_id == risk.id)
        .order_by(col(RiskAssessment.assessed_at), col(RiskAssessment.id))
    )
    return list(session.exec(query))


def controls_of(session: Session, risk: Risk) -> list[Control]:
    return list(
        session.exec(select(Control).where(Control.risk_id == risk.id).order_by(col(Control.id)))
    )


@dataclass(frozen=True)
class RiskFilter:
    service_id: int | None = None
    category: RiskCategory | None = None
    band: Band | None = None
    owner_id: int | None = None
    status: RiskStatus | None = None
    open_only: bool = True
    overdue_on: date | None = None
    register: Register | None = None


def list_risks(
    session: Session, *, filters: RiskFilter = RiskFilter(), limit: int = 50, offset: int = 0
) -> list[Risk]:
    """The register, highest score first (unscored last), then oldest first."""
    query = select(Risk)
    if filters.service_id is not None:
        query = query.where(Risk.service_id == filters.service_id)
    if filters.category is not None:
        query = query.where(Risk.category == filters.category)
    if filters.band is not None:
        low, high = score_range(filters.band)
        query = query.where(col(Risk.score).between(low, high))
    if filters.owner_id is not None:
        query = query.where(Risk.owner_id == filters.owner_id)
    if filters.status is not None:
        query = query.where(Risk.status == filters.status)
    elif filters.open_only:
        query = query.where(Risk.is_open)
    if filters.overdue_on is not None:
        query = query.where(Risk.is_review_overdue(filters.overdue_on))
    if filters.register is not None:
        query = query.where(Risk.risk_register == filters.register)
    query = query.order_by(col(Risk.score).desc().nulls_last(), col(Risk.number))
    return list(session.exec(query.offset(offset).limit(limit)))


def overdue_reviews(session: Session, *, today: date) -> list[Risk]:
    return list_risks(session, filters=RiskFilter(overdue_on=today), limit=10_000)


def transferred_risks(session: Session) -> list[Risk]:
    """The risks carried into business as usual when the implementation closed, in order."""
    query = select(Risk).where(col(Risk.transferred_from_id).is_not(None))
    return list(session.exec(query.order_by(col(Risk.number))))


def open_controls_of(session: Session, risk: Risk) -> list[Control]:
    return [c for c in controls_of(session, risk) if c.is_open]


def count_risks(session: Session, *, filters: RiskFilter = RiskFilter()) -> int:
    """How many risks a filter matches, so a long list can say how many it left out."""
    return len(list_risks(session, filters=filters, limit=1_000_000))


def recordable_scopes(session: Session, *, actor: Actor) -> list[int | None]:
    """Where this person may record risks: None for the whole organisation, then service ids
    (a registered manager gets only their own service)."""
    scopes: list[int | None] = [None, *(s.id for s in session.exec(select(Service)))]
    return [s for s in scopes if allowed(session, actor, Action.RECORD_RISK, service_id=s)]


def require_reader(session: Session, *, actor: Actor) -> None:
    """The register names residents' needs and staffing gaps: only people who hold a role in
    the implementation (any service) may read it; owners see their own controls elsewhere."""
    if isinstance(actor, Person):
        assert actor.id is not None
        roles = {grant.role for grant in grants_of(session, actor.id)}
        if roles & RULES[Action.READ_REGISTER].roles:
            return
        require(session, actor, Action.READ_REGISTER)
