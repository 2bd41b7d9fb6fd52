"""The append-only audit trail: who changed which field of which record, when, from what to
what. Every store function that changes a record writes here in the same transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from store.records.actors import Actor, actor_id
from store.records.models import AuditEvent

UNAUDITED_FIELDS = frozenset({"updated_at", "score"})


def as_text(value: Any) -> str | None:
    """How a value reads in the trail and in exports: stable, plain text."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def entity_ref(record: SQLModel) -> str:
    ref = getattr(record, "ref", None)
    return ref if isinstance(ref, str) else f"{record.__tablename__}#{record.id}"  # type: ignore[attr-defined]


def snapshot(record: SQLModel) -> dict[str, str | None]:
    return {
        name: as_text(getattr(record, name))
        for name in type(record).model_fields
        if name not in UNAUDITED_FIELDS
    }


def _event_row(
    record: SQLModel,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    field: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
) -> dict[str, Any]:
    """The columns of one event, as a plain row: ``record_created`` writes many at once."""
    return {
        "at": now,
        "actor_id": actor_id(actor),
        "actor_name": actor.name,
        "entity": str(record.__tablename__),
        "entity_id": getattr(record, "id", None),
        "entity_ref": entity_ref(record),
        "action": action,
        "field": field,
        "old_value": old_value,
        "new_value": new_value,
    }


def _event(
    record: SQLModel,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    field: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        **_event_row(
            record,
            actor=actor,
            action=action,
            now=now,
            field=field,
            old_value=old_value,
            new_value=new_value,
        )
    )


def record_created(session: Session, record: SQLModel, *, actor: Actor, now: datetime) -> None:
    """One event per field set at creation, so the trail alone can rebuild the record.

    Written as one executemany of plain rows, not an ORM object per field: creating a record
    is on the ack path of a report, and building a dozen model objects there cost more than
    the insert. The flush first writes the record (its id is in every event) and any event
    added before, so the trail keeps the order the changes were made in."""
    session.flush()
    rows = [
        _event_row(record, actor=actor, action="created", now=now, field=name, new_value=value)
        for name, value in snapshot(record).items()
        if value is not None and name != "id"
    ]
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)  # type: ignore[attr-defined]


def record_action(
    session: Session,
    record: SQLModel,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    note: str | None = None,
) -> None:
    """An event that is not a field change (a deletion, a notice sent, a role revoked)."""
    session.flush()
    session.add(_event(record, actor=actor, action=action, now=now, new_value=note))


@contextmanager
def audited(
    session: Session, record: SQLModel, *, actor: Actor, action: str, now: datetime
) -> Iterator[None]:
    """Write one event per field that the block changes, and stamp ``updated_at``."""
    before = snapshot(record)
    yield
    if hasattr(record, "updated_at"):
        record.updated_at = now
    session.add(record)
    session.flush()
    after = snapshot(record)
    for name, new in after.items():
        if before.get(name) != new:
            session.add(
                _event(
                    record,
                    actor=actor,
                    action=action,
                    now=now,
                    field=name,
                    old_value=before.get(name),
                    new_value=new,
                )
            )


def trail(session: Session, *, entity_ref: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if entity_ref is not None:
        query = query.where(AuditEvent.entity_ref == entity_ref)
    return list(session.exec(query))
