"""Overdue work, gathered per owner, and what owners answer when reminded.

An owner gets one reminder a day listing every overdue control, correction action and risk
review they own. Each listed item is remembered (``Reminder``); an answer (acknowledged,
completed, delayed, ineffective, snoozed) is kept as evidence (``ReminderResponse``) and
acknowledges the item's reminders, which is what stops the escalation ladder climbing.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.infra.errors import NotFound, ValidationError
from store.infra.inserts import insert_many_if_absent
from store.records import audit, controls, issues, risks, verification
from store.records.enums import ControlStatus
from store.records.models import (
    Control,
    Issue,
    Person,
    Reminder,
    ReminderResponse,
    Risk,
    Verification,
    control_ref,
    issue_ref,
    risk_ref,
)
from store.records.text import clean_text


class ItemKind(StrEnum):
    CONTROL = "control"
    CORRECTION = "correction"
    REVIEW = "review"


class Response(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    DELAYED = "delayed"
    INEFFECTIVE = "ineffective"
    SNOOZED = "snoozed"


RESPONSES_FOR: dict[ItemKind, tuple[Response, ...]] = {
    ItemKind.CONTROL: tuple(Response),
    ItemKind.CORRECTION: (
        Response.ACKNOWLEDGED,
        Response.COMPLETED,
        Response.DELAYED,
        Response.SNOOZED,
    ),
    ItemKind.REVIEW: (Response.ACKNOWLEDGED, Response.COMPLETED, Response.SNOOZED),
}


@dataclass(frozen=True)
class OverdueItem:
    kind: ItemKind
    id: int
    ref: str
    text: str
    due: date
    service_id: int | None
    parent: str | None = None

    @property
    def value(self) -> str:
        """What a button carries: enough to find the item again, and the due date it was
        overdue from, so an old reminder's button cannot act on a later episode unawares."""
        return f"{self.kind}:{self.id}:{self.due.isoformat()}"


@dataclass
class OwnerOverdue:
    person: Person
    items: list[OverdueItem] = field(default_factory=list)


def overdue_items(session: Session, *, today: date) -> list[tuple[int, OverdueItem]]:
    """Every overdue item with an owner, as (owner id, item), in three queries. Columns, not
    records: a large provider has thousands of overdue items every morning."""
    risk = aliased(Risk)
    issue = aliased(Issue)
    # A control its owner completed and a second person has yet to verify: the owner has
    # done their part, so is not reminded (store/records/verification.py).
    awaiting_verification = select(Verification.item_id).where(
        Verification.item_kind == verification.CONTROL,
        Verification.status == verification.PENDING,
    )
    control_query = (
        sa_select(  # type: ignore[call-overload]
            Control.owner_id,
            Control.id,
            Control.description,
            Control.due_date,
            func.coalesce(risk.service_id, issue.service_id),
            risk.number,
            issue.number,
        )
        .join(risk, col(risk.id) == Control.risk_id, isouter=True)
        .join(issue, col(issue.id) == Control.issue_id, isouter=True)
        .where(Control.is_overdue(today), col(Control.owner_id).is_not(None))
        .where(col(Control.id).not_in(awaiting_verification))
        .order_by(col(Control.due_date), col(Control.id))
    )
    found = [
        (
            owner_id,
            OverdueItem(
                kind=ItemKind.CONTROL,
                id=control_id,
                ref=control_ref(control_id),
                text=text,
                due=due,
                service_id=service_id,
                parent=risk_ref(risk_number)
                if risk_number is not None
                else issue_ref(issue_number),
            ),
        )
        for owner_id, control_id, text, due, service_id, risk_number, issue_number in session.exec(
            control_query
        )
    ]
    correction_query = (
        sa_select(  # type: ignore[call-overload]
            Issue.owner_id,
            Issue.id,
            Issue.number,
            func.coalesce(func.nullif(Issue.correction_action, ""), Issue.description),
            Issue.correction_due,
            Issue.service_id,
        )
        .where(Issue.is_correction_overdue(today), col(Issue.owner_id).is_not(None))
        .order_by(col(Issue.correction_due), col(Issue.number))
    )
    found += [
        (
            owner_id,
            OverdueItem(
                kind=ItemKind.CORRECTION,
                id=issue_id,
                ref=issue_ref(number),
                text=text,
                due=due,
                service_id=service_id,
            ),
        )
        for owner_id, issue_id, number, text, due, service_id in session.exec(correction_query)
    ]
    review_query = (
        sa_select(  # type: ignore[call-overload]
            Risk.owner_id, Risk.id, Risk.number, Risk.title, Risk.review_date, Risk.service_id
        )
        .where(Risk.is_open)
        .where(Risk.is_review_overdue(today), col(Risk.owner_id).is_not(None))
        .order_by(col(Risk.review_date), col(Risk.number))
    )
    found += [
        (
            owner_id,
            OverdueItem(
                kind=ItemKind.REVIEW,
                id=risk_id,
                ref=risk_ref(number),
                text=title,
                due=due,
                service_id=service_id,
            ),
        )
        for owner_id, risk_id, number, title, due, service_id in session.exec(review_query)
    ]
    return found


def snoozed(session: Session, *, today: date) -> set[tuple[int, str, int]]:
    query = select(
        ReminderResponse.person_id, ReminderResponse.item_kind, ReminderResponse.item_id
    ).where(col(ReminderResponse.snoozed_until) >= today)
    return {(person, kind, item) for person, kind, item in session.exec(query)}


def overdue_by_owner(session: Session, *, today: date) -> list[OwnerOverdue]:
    """Each owner with everything they should be reminded of today (snoozed items left out)."""
    quiet = snoozed(session, today=today)
    grouped: dict[int, list[OverdueItem]] = defaultdict(list)
    for owner_id, item in overdue_items(session, today=today):
        if (owner_id, str(item.kind), item.id) not in quiet:
            grouped[owner_id].append(item)
    if not grouped:
        return []
    people = session.exec(select(Person).where(col(Person.id).in_(list(grouped))))
    by_id = {person.id: person for person in people}
    return [
        OwnerOverdue(person=by_id[owner_id], items=grouped[owner_id])
        for owner_id in sorted(grouped)
    ]


def record_reminded(
    session: Session, *, listed: dict[int, list[OverdueItem]], day: date, now: datetime
) -> None:
    """Remember each item listed in each owner's reminder (owner id to the items listed), in
    one statement however many there are; the unique key (owner, item, day) keeps an item
    already remembered today from being counted twice towards the ladder."""
    insert_many_if_absent(
        session,
        Reminder,
        [
            {
                "person_id": person_id,
                "item_kind": str(item.kind),
                "item_id": item.id,
                "item_ref": item.ref,
                "due_date": item.due,
                "day": day,
                "sent_at": now,
            }
            for person_id, items in listed.items()
            for item in items
        ],
    )


@dataclass(frozen=True)
class Unacknowledged:
    person_id: int
    kind: ItemKind
    item_id: int
    ref: str
    due: date | None
    count: int


def unacknowledged(session: Session, *, at_least: int) -> list[Unacknowledged]:
    """Items whose owner has had ``at_least`` reminders for the same overdue date and answered
    none, in one grouped query."""
    query = (
        sa_select(  # type: ignore[call-overload]
            Reminder.person_id,
            Reminder.item_kind,
            Reminder.item_id,
            Reminder.item_ref,
            Reminder.due_date,
            func.count(),
        )
        .where(col(Reminder.acknowledged_at).is_(None))
        .group_by(
            Reminder.person_id,
            Reminder.item_kind,
            Reminder.item_id,
            Reminder.item_ref,
            Reminder.due_date,
        )
        .having(func.count() >= at_least)
        .order_by(Reminder.item_ref)
    )
    return [
        Unacknowledged(person, ItemKind(kind), item, ref, due, count)
        for person, kind, item, ref, due, count in session.execute(query)
    ]


def parse_value(value: str) -> tuple[ItemKind, int, date]:
    """A button's value back into the item it names."""
    try:
        kind, item_id, due = value.split(":")
        return ItemKind(kind), int(item_id), date.fromisoformat(due)
    except ValueError:
        raise NotFound("That reminder button is not one golive made") from None


def _target(session: Session, kind: ItemKind, item_id: int) -> Control | Issue | Risk:
    record: Control | Issue | Risk | None
    if kind == ItemKind.CONTROL:
        record = session.get(Control, item_id)
    elif kind == ItemKind.CORRECTION:
        record = session.get(Issue, item_id)
    else:
        record = session.get(Risk, item_id)
    if record is None:
        raise NotFound(f"That {kind} no longer exists")
    return record


def respond(
    session: Session,
    *,
    person: Person,
    kind: ItemKind,
    item_id: int,
    response: Response,
    now: datetime,
    today: date,
    note: str | None = None,
    new_date: date | None = None,
) -> ReminderResponse:
    """Record an owner's answer to a reminder, making the change it stands for (a control
    completed, a correction delayed to a new date) through the store's own rules."""
    if response not in RESPONSES_FOR[kind]:
        raise ValidationError(f"A {kind} can't be marked {response.value}")
    record = _target(session, kind, item_id)
    assert person.id is not None
    if record.owner_id != person.id:
        raise ValidationError(f"{record.ref} is no longer yours; its owner answers its reminders")
    text = clean_text(note, field="note", label="The note", limit=1000, required=False)
    _apply(session, person, record, response, note=text, new_date=new_date, now=now)
    answer = ReminderResponse(
        person_id=person.id,
        item_kind=str(kind),
        item_id=item_id,
        item_ref=record.ref,
        response=str(response),
        note=text or "",
        new_date=new_date,
        snoozed_until=today + timedelta(days=1) if response == Response.SNOOZED else None,
        at=now,
    )
    session.add(answer)
    pending = session.exec(
        select(Reminder).where(
            Reminder.person_id == person.id,
            Reminder.item_kind == str(kind),
            Reminder.item_id == item_id,
            col(Reminder.acknowledged_at).is_(None),
        )
    )
    for reminder in pending:
        reminder.acknowledged_at = now
        session.add(reminder)
    audit.record_action(
        session, record, actor=person, action=f"reminder {response.value}", now=now, note=text
    )
    return answer


def _apply(
    session: Session,
    person: Person,
    record: Control | Issue | Risk,
    response: Response,
    *,
    note: str | None,
    new_date: date | None,
    now: datetime,
) -> None:
    if response in (Response.ACKNOWLEDGED, Response.SNOOZED):
        return
    if isinstance(record, Control):
        status = {
            Response.COMPLETED: ControlStatus.COMPLETE,
            Response.DELAYED: ControlStatus.DELAYED,
            Response.INEFFECTIVE: ControlStatus.INEFFECTIVE,
        }[response]
        controls.update_status(
            session,
            actor=person,
            control=record,
            status=status,
            note=note,
            new_due_date=new_date,
            now=now,
        )
        return
    if isinstance(record, Issue):
        if response == Response.COMPLETED:
            issues.resolve(session, actor=person, ref=record.ref, now=now)
            return
        if new_date is None:
            raise ValidationError("Choose the new target date", field="new_date")
        issues.set_correction(
            session,
            actor=person,
            ref=record.ref,
            action=record.correction_action or "",
            due=new_date,
            now=now,
        )
        return
    if new_date is None:
        raise ValidationError("Choose the date of the next review", field="new_date")
    risks.set_review_date(session, actor=person, ref=record.ref, review_date=new_date, now=now)


def responses_of(session: Session, *, kind: ItemKind, item_id: int) -> list[ReminderResponse]:
    query = select(ReminderResponse).where(
        ReminderResponse.item_kind == str(kind), ReminderResponse.item_id == item_id
    )
    return list(session.exec(query.order_by(col(ReminderResponse.id))))
