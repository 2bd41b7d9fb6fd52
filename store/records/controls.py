"""Controls on risks and issues, and the status updates owners record after each checkpoint."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.infra.errors import DomainError, NotFound, ValidationError
from store.records import audit, outbox, verification
from store.records.actors import Actor, actor_id
from store.records.enums import ControlStatus
from store.records.models import (
    Checkpoint,
    Control,
    ControlUpdate,
    Issue,
    Person,
    Risk,
    Verification,
    ident,
)
from store.records.outbox import Method, Notice
from store.records.permissions import Action, allowed, require
from store.records.text import clean_text, required_text

RESCORE_WITHIN_DAYS = 7


def get_control(session: Session, control_id: int | str) -> Control:
    text = str(control_id).strip().upper().removeprefix("C-").removeprefix("C")
    control = session.get(Control, int(text)) if text.isdigit() else None
    if control is None:
        raise NotFound(f"There is no control {control_id}")
    return control


def by_ids(session: Session, *, ids: Iterable[int]) -> dict[int, Control]:
    """Controls by id in one query (those that exist)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = session.exec(select(Control).where(col(Control.id).in_(wanted)))
    return {control.id: control for control in found if control.id is not None}


def parent_service_id(session: Session, control: Control) -> int | None:
    parent = (
        session.get(Risk, control.risk_id)
        if control.risk_id
        else session.get(Issue, control.issue_id)
    )
    return None if parent is None else parent.service_id


def _checked(session: Session, control: Control) -> verification.Checked:
    return verification.control_checked(control, service_id=parent_service_id(session, control))


def add_control(
    session: Session,
    *,
    actor: Actor,
    risk: Risk,
    description: str,
    owner: Person | None,
    due_date: date | None,
    priority: bool = False,
    now: datetime,
) -> Control:
    require(session, actor, Action.ADD_CONTROL, service_id=risk.service_id)
    if priority:
        require(session, actor, Action.SCORE_RISK, service_id=risk.service_id)
    text = required_text(description, field="description", label="The control", limit=1000)
    if due_date is not None and due_date < now.date():
        raise ValidationError(
            "The due date is in the past; choose today or later", field="due_date"
        )
    control = Control(
        risk_id=risk.id,
        description=text,
        owner_id=owner.id if owner else None,
        due_date=due_date,
        status=ControlStatus.PLANNED,
        priority=priority,
        created_by_id=actor_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(control)
    audit.record_created(session, control, actor=actor, now=now)
    return control


def assign_control(
    session: Session,
    *,
    actor: Actor,
    control: Control,
    owner: Person,
    due_date: date | None,
    now: datetime,
) -> Control:
    require(session, actor, Action.ADD_CONTROL, service_id=parent_service_id(session, control))
    if due_date is not None and due_date < now.date():
        raise ValidationError(
            "The due date is in the past; choose today or later", field="due_date"
        )
    with audit.audited(session, control, actor=actor, action="control assigned", now=now):
        control.owner_id = owner.id
        if due_date is not None:
            control.due_date = due_date
    return control


def update_status(
    session: Session,
    *,
    actor: Actor,
    control: Control,
    status: ControlStatus,
    note: str | None,
    now: datetime,
    new_due_date: date | None = None,
    checkpoint: Checkpoint | None = None,
    rescore_within_days: int = RESCORE_WITHIN_DAYS,
) -> ControlUpdate | Verification:
    """Record a control's new status.

    Delayed needs a new due date (today or later) and a reason; ineffective needs a note
    saying why, and brings its risk's review forward so it is rescored within
    ``rescore_within_days``. Completing a control on a high or extreme risk only asks for a
    second person's verification (the pending request is returned; the status waits).
    """
    require(
        session,
        actor,
        Action.UPDATE_CONTROL,
        service_id=parent_service_id(session, control),
        owner_id=control.owner_id,
    )
    text = clean_text(note, field="note", label="The note", limit=1000, required=False)
    if status == control.status and status != ControlStatus.DELAYED:
        raise DomainError(f"That control is already {status.label.lower()}")
    if status == ControlStatus.DELAYED:
        if new_due_date is None:
            raise ValidationError("A delayed control needs a new due date", field="due_date")
        if new_due_date < now.date():
            raise ValidationError("The new due date is in the past", field="due_date")
        if text is None:
            raise ValidationError("Say why the control is delayed", field="note")
    if status == ControlStatus.INEFFECTIVE and text is None:
        raise ValidationError("Say why the control is not working", field="note")
    assert control.id is not None
    if status == ControlStatus.COMPLETE and verification.control_needs_verification(
        session, control
    ):
        waiting = verification.pending(session, kind=verification.CONTROL, item_id=control.id)
        return waiting or verification.request(
            session,
            item=_checked(session, control),
            actor=actor,
            evidence=text or "",
            now=now,
        )
    verification.withdraw(
        session, kind=verification.CONTROL, item_id=control.id, actor=actor, now=now
    )
    return _record_status(
        session,
        actor=actor,
        control=control,
        status=status,
        note=text,
        now=now,
        new_due_date=new_due_date,
        checkpoint=checkpoint,
        rescore_within_days=rescore_within_days,
    )


def _record_status(
    session: Session,
    *,
    actor: Actor,
    control: Control,
    status: ControlStatus,
    note: str | None,
    now: datetime,
    new_due_date: date | None,
    checkpoint: Checkpoint | None,
    rescore_within_days: int,
) -> ControlUpdate:
    text = note
    update = ControlUpdate(
        control_id=ident(control),
        old_status=control.status,
        new_status=status,
        note=text or "",
        old_due_date=control.due_date,
        new_due_date=new_due_date if status == ControlStatus.DELAYED else control.due_date,
        checkpoint_id=checkpoint.id if checkpoint else None,
        updated_by_id=actor_id(actor),
        updated_at=now,
    )
    with audit.audited(session, control, actor=actor, action="control status", now=now):
        control.status = status
        if status == ControlStatus.DELAYED:
            control.due_date = new_due_date
    session.add(update)
    if status == ControlStatus.INEFFECTIVE:
        _bring_rescore_forward(session, control, actor=actor, days=rescore_within_days, now=now)
    return update


def _bring_rescore_forward(
    session: Session, control: Control, *, actor: Actor, days: int, now: datetime
) -> None:
    """A control that does not work leaves its risk's score in doubt: review it soon."""
    risk = risk_of(session, control)
    if risk is None:
        return
    due = now.date() + timedelta(days=days)
    if risk.review_date is not None and risk.review_date <= due:
        return
    with audit.audited(session, risk, actor=actor, action="rescore due", now=now):
        risk.review_date = due


def confirm_complete(
    session: Session, *, actor: Actor, control: Control, evidence: str, now: datetime
) -> ControlUpdate:
    """A second person's check completes a control on a high or extreme risk."""
    row = verification.verify(
        session,
        item=_checked(session, control),
        actor=actor,
        evidence=evidence,
        now=now,
    )
    note = f"{row.request_evidence}\nVerified: {row.evidence}".strip()
    return _record_status(
        session,
        actor=actor,
        control=control,
        status=ControlStatus.COMPLETE,
        note=note[:1000],
        now=now,
        new_due_date=None,
        checkpoint=None,
        rescore_within_days=RESCORE_WITHIN_DAYS,
    )


def can_update(session: Session, actor: Actor, control: Control) -> bool:
    return allowed(
        session,
        actor,
        Action.UPDATE_CONTROL,
        service_id=parent_service_id(session, control),
        owner_id=control.owner_id,
    )


def overdue_controls(session: Session, *, today: date) -> list[Control]:
    query = (
        select(Control)
        .where(Control.is_overdue(today))
        .order_by(col(Control.due_date), col(Control.id))
    )
    return list(session.exec(query))


def controls_owned_by(session: Session, person: Person, *, open_only: bool = True) -> list[Control]:
    query = select(Control).where(Control.owner_id == person.id)
    if open_only:
        query = query.where(Control.is_open)
    return list(session.exec(query.order_by(col(Control.due_date), col(Control.id))))


def history(session: Session, control: Control) -> list[ControlUpdate]:
    query = select(ControlUpdate).where(ControlUpdate.control_id == control.id)
    return list(session.exec(query.order_by(col(ControlUpdate.id))))


def set_priority(
    session: Session, *, actor: Actor, control: Control, priority: bool, now: datetime
) -> Control:
    """Priority controls are the quality lead's call, as scores and review dates are."""
    require(session, actor, Action.SCORE_RISK, service_id=parent_service_id(session, control))
    if control.priority == priority:
        state = "already a priority" if priority else "not a priority"
        raise DomainError(f"{control.ref} is {state}")
    with audit.audited(session, control, actor=actor, action="priority set", now=now):
        control.priority = priority
    return control


def owe_assignment_notice(
    session: Session, *, actor: Actor, control: Control, now: datetime
) -> bool:
    """Tell a control's new owner by direct message, unless they gave it to themselves."""
    if control.owner_id is None or control.owner_id == actor_id(actor):
        return False
    owner = session.get(Person, control.owner_id)
    if owner is None:
        return False
    return outbox.enqueue(
        session,
        key=f"control:{control.id}:assigned:{owner.id}:{now.isoformat()}",
        method=Method.DM,
        notice=Notice.CONTROL_ASSIGNED,
        user=owner.slack_user_id,
        subject=str(control.id),
        now=now,
    )


def risk_of(session: Session, control: Control) -> Risk | None:
    return None if control.risk_id is None else session.get(Risk, control.risk_id)


def _overdue_controls_of(owner_id: int, today: date) -> ColumnElement[bool]:
    return and_(col(Control.owner_id) == owner_id, Control.is_overdue(today))


def overdue_controls_of(
    session: Session, *, owner_id: int, today: date, limit: int
) -> tuple[list[tuple[Control, str]], int]:
    """The first ``limit`` of a person's open controls past their due date, each with the
    reference of the risk or issue it belongs to, and how many there are in all: two
    queries however many they own (a risk's controls and an issue's immediate ones alike)."""
    risk = aliased(Risk)
    issue = aliased(Issue)
    query = (
        select(Control, risk, issue)
        .join(risk, col(risk.id) == Control.risk_id, isouter=True)
        .join(issue, col(issue.id) == Control.issue_id, isouter=True)
        .where(_overdue_controls_of(owner_id, today))
        .order_by(col(Control.due_date), col(Control.id))
        .limit(limit)
    )
    shown = [
        (control, parent.ref if (parent := parent_risk or parent_issue) is not None else "-")
        for control, parent_risk, parent_issue in session.exec(query)
    ]
    total = session.exec(
        select(func.count()).select_from(Control).where(_overdue_controls_of(owner_id, today))
    ).one()
    return shown, total
