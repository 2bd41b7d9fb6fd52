"""How a control's status feeds back into its risk.

A control found ineffective leaves its risk's score in doubt: the risk stays flagged for the
board until someone rescores it. A control that keeps slipping (its due date pushed back past
a threshold from the date first set) is taken to the board, once per control and level, by
the escalation job; these queries say which.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.infra.errors import PermissionDenied, ValidationError
from store.records import audit
from store.records.actors import Actor
from store.records.enums import (
    ControlStatus,
    Impact,
    Urgency,
    Workaround,
)
from store.records.models import (
    RISK_PREFIX,
    Control,
    ControlUpdate,
    Issue,
    Person,
    Risk,
    RiskAssessment,
    Service,
    ServiceHandover,
    control_ref,
    risk_ref,
)
from store.records.permissions import Action, allowed
from store.records.quiet import parse_clock
from store.records.scoring import band_for


@dataclass(frozen=True)
class RescoreDue:
    """A risk whose control was found ineffective and which nobody has rescored since."""

    risk_ref: str
    risk_title: str
    band: str
    control_ref: str
    control: str
    note: str
    marked_at: datetime
    review_by: date | None
    overdue: bool


def rescores_due(session: Session, *, today: date) -> list[RescoreDue]:
    """Open risks whose control was last marked ineffective after the risk was last scored:
    each risk once, with its latest such marking, in the order the risks were first flagged.

    The latest marking per risk is picked in SQL and only those still due are read, so the
    board review costs the same whatever the history of control updates."""
    risk_id = col(Control.risk_id)
    ranked = (
        sa_select(
            col(ControlUpdate.id).label("update_id"),
            risk_id.label("risk_id"),
            func.row_number()
            .over(
                partition_by=risk_id,
                order_by=(col(ControlUpdate.updated_at).desc(), col(ControlUpdate.id).desc()),
            )
            .label("latest"),
            func.min(col(ControlUpdate.updated_at)).over(partition_by=risk_id).label("first_at"),
            func.first_value(col(ControlUpdate.id))
            .over(
                partition_by=risk_id,
                order_by=(col(ControlUpdate.updated_at), col(ControlUpdate.id)),
            )
            .label("first_id"),
        )
        .join(Control, col(Control.id) == ControlUpdate.control_id)
        .join(Risk, col(Risk.id) == Control.risk_id)
        .where(col(ControlUpdate.new_status) == ControlStatus.INEFFECTIVE)
        .where(Risk.is_open)
        .subquery()
    )
    rescored = (
        select(RiskAssessment.id)
        .where(
            col(RiskAssessment.risk_id) == ranked.c.risk_id,
            col(RiskAssessment.assessed_at) > col(ControlUpdate.updated_at),
        )
        .exists()
    )
    query = (
        sa_select(
            col(Risk.number),
            col(Risk.title),
            col(Risk.score),
            col(Risk.review_date),
            Risk.is_review_overdue(today),
            col(Control.id),
            col(Control.description),
            col(ControlUpdate.note),
            col(ControlUpdate.updated_at),
        )
        .select_from(ranked)
        .join(ControlUpdate, col(ControlUpdate.id) == ranked.c.update_id)
        .join(Control, col(Control.id) == ControlUpdate.control_id)
        .join(Risk, col(Risk.id) == ranked.c.risk_id)
        .where(ranked.c.latest == 1, ~rescored)
        .order_by(ranked.c.first_at, ranked.c.first_id)
    )
    return [
        RescoreDue(
            risk_ref=f"{RISK_PREFIX}{number:03d}",
            risk_title=title,
            band=band_for(score).label.lower() if score else "unscored",
            control_ref=f"C-{control_id}",
            control=description,
            note=note,
            marked_at=marked_at,
            review_by=review_by,
            overdue=overdue,
        )
        for number, title, score, review_by, overdue, control_id, description, note, marked_at in (
            session.execute(query)
        )
    ]


@dataclass(frozen=True)
class SlippedControl:
    """A control delayed so far past its first due date that the board should know."""

    id: int
    ref: str
    description: str
    risk_ref: str | None
    owner: str | None
    service: str | None
    first_due: date
    due: date
    days: int


def slipped_controls(session: Session, *, threshold_days: int) -> list[SlippedControl]:
    """Open delayed controls whose due date now lies more than ``threshold_days`` after the
    date first set for them. Read as columns, not records: the escalation sweep asks every
    quarter of an hour."""
    query = (
        sa_select(
            col(Control.id),
            col(Control.description),
            col(Control.due_date),
            col(Risk.number),
            col(Person.name),
            col(Service.name),
        )
        .join(Risk, col(Risk.id) == Control.risk_id, isouter=True)
        .join(Person, col(Person.id) == Control.owner_id, isouter=True)
        .join(Service, col(Service.id) == Risk.service_id, isouter=True)
        .where(col(Control.status) == ControlStatus.DELAYED)
        .order_by(col(Control.id))
    )
    rows = session.execute(query).all()
    if not rows:
        return []
    first_due: dict[int, date] = {}
    for control_id, old_due in session.execute(
        sa_select(col(ControlUpdate.control_id), col(ControlUpdate.old_due_date))
        .where(col(ControlUpdate.control_id).in_([row[0] for row in rows]))
        .where(col(ControlUpdate.old_due_date).is_not(None))
        .order_by(col(ControlUpdate.id))
    ):
        first_due.setdefault(control_id, old_due)
    slipped = []
    for control_id, description, due, risk_number, owner, service in rows:
        first = first_due.get(control_id)
        if first is None or due is None:
            continue
        days = (due - first).days
        if days > threshold_days:
            slipped.append(
                SlippedControl(
                    id=control_id,
                    ref=control_ref(control_id),
                    description=description,
                    risk_ref=risk_ref(risk_number) if risk_number is not None else None,
                    owner=owner,
                    service=service,
                    first_due=first,
                    due=due,
                    days=days,
                )
            )
    return slipped


@dataclass(frozen=True)
class HandoverIssue:
    ref: str
    category: str
    description: str
    status: str
    why: str
    owner: str | None


@dataclass(frozen=True)
class HandoverControl:
    ref: str
    description: str
    issue_ref: str
    owner: str | None
    review: date | None
    overdue: bool


@dataclass(frozen=True)
class HandoverFacts:
    """What the incoming shift must know: urgent open items and the checks to keep up."""

    urgent: list[HandoverIssue]
    controls: list[HandoverControl]


def handover_facts(session: Session, *, service_id: int, today: date) -> HandoverFacts:
    query = (
        select(Issue, Person.name)
        .join(Person, col(Person.id) == Issue.owner_id, isouter=True)
        .where(Issue.service_id == service_id)
        .where(Issue.is_open)
        .order_by(col(Issue.number))
    )
    urgent: list[HandoverIssue] = []
    open_refs: dict[int, str] = {}
    for issue, owner in session.exec(query):
        assert issue.id is not None
        open_refs[issue.id] = issue.ref
        why = [
            text
            for flag, text in (
                (issue.urgency == Urgency.URGENT, "urgent"),
                (issue.impact == Impact.SAFE_CARE, "affects safe care"),
                (issue.workaround == Workaround.UNSAFE, "unsafe workaround"),
            )
            if flag
        ]
        if why:
            urgent.append(
                HandoverIssue(
                    ref=issue.ref,
                    category=issue.category.label,
                    description=issue.description,
                    status=issue.status.label.lower(),
                    why=", ".join(why),
                    owner=owner,
                )
            )
    in_force: list[HandoverControl] = []
    if open_refs:
        controls = session.exec(
            select(Control, Person.name)
            .join(Person, col(Person.id) == Control.owner_id, isouter=True)
            .where(col(Control.issue_id).in_(list(open_refs)))
            .where(Control.is_open)
            .order_by(col(Control.id))
        )
        for control, owner in controls:
            assert control.issue_id is not None
            in_force.append(
                HandoverControl(
                    ref=control.ref,
                    description=control.description,
                    issue_ref=open_refs[control.issue_id],
                    owner=owner,
                    review=control.due_date,
                    overdue=control.is_overdue(today),
                )
            )
    return HandoverFacts(urgent=urgent, controls=in_force)


def parse_times(text: str) -> list[time]:
    """``07:30,19:30``: one or more local shift-change times."""
    parts = [part for part in text.replace(" ", ",").split(",") if part.strip()]
    if not parts:
        raise ValidationError("Give the shift-change times, like 07:30,19:30", field="times")
    if len(parts) > 6:
        raise ValidationError("Give at most six shift-change times a day", field="times")
    times = sorted({parse_clock(part, field="times") for part in parts})
    return times


def handover_times(session: Session, *, service: Service, default: str) -> list[time]:
    row = session.get(ServiceHandover, service.id)
    return parse_times(row.times if row is not None else default)


def set_handover_times(
    session: Session, *, actor: Actor, service: Service, text: str, now: datetime
) -> ServiceHandover:
    """The service's registered manager (or an admin) knows when its shifts change."""
    if not allowed(session, actor, Action.MANAGE_SETUP) and not allowed(
        session, actor, Action.RECORD_RISK, service_id=service.id
    ):
        raise PermissionDenied(
            f"You can't set {service.name}'s handover times. Its registered manager, the "
            "project lead or an admin can."
        )
    times = ",".join(t.strftime("%H:%M") for t in parse_times(text))
    assert service.id is not None
    row = session.get(ServiceHandover, service.id)
    if row is None:
        row = ServiceHandover(service_id=service.id, times=times, updated_at=now)
        session.add(row)
        audit.record_created(session, row, actor=actor, now=now)
        return row
    with audit.audited(session, row, actor=actor, action="handover times set", now=now):
        row.times = times
    return row
