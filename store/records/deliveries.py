"""An outbox row as a chat face other than Slack delivers it (the Teams face).

The outbox row is what is owed and to whom, whichever face shows it; Slack's sender keeps its
progress on the row itself, and any other face keeps its own here, one ``FaceDelivery`` per
(face, row). So both faces can run against one database and each delivers every row it can
route once: the face claims a delivery the way Slack's sender claims a row (an UPDATE only one
sender wins), and the unique (face, row) pair keeps two senders from opening it twice.
"""

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from store.infra.inserts import insert_many_if_absent
from store.records.models import FaceDelivery, OutboxMessage
from store.records.outbox import IN_FLIGHT, PENDING, SENT, defer

__all__ = [
    "SKIPPED",
    "by_id",
    "claim",
    "defer",
    "due",
    "mark_sent",
    "of_key",
    "open_new",
    "skip",
    "statuses",
]

SKIPPED = "skipped"
"""A row this face has no destination for (a channel it has no counterpart of, a person not
linked to it): looked at once, then left to the other face."""


def open_new(
    session: Session, *, face: str, since: datetime, after_id: int = 0, now: datetime
) -> int:
    """Open a delivery for each row owed since ``since`` (and with an id above ``after_id``)
    that this face has not seen yet; the highest row id looked at (``after_id`` if none).

    ``since`` bounds the look back, so a face started against a database with years of Slack
    history does not deliver it all again; ``after_id`` lets a sender that has looked before
    read only the newest rows, by the primary key, rather than the whole table each pass."""
    seen = select(FaceDelivery.outbox_id).where(FaceDelivery.face == face)
    query = (
        select(OutboxMessage.id)
        .where(col(OutboxMessage.id) > after_id)
        .where(col(OutboxMessage.created_at) >= since)
        .where(col(OutboxMessage.id).not_in(seen))
        .order_by(col(OutboxMessage.id))
    )
    ids = [outbox_id for outbox_id in session.exec(query) if outbox_id is not None]
    rows = [
        {
            "face": face,
            "outbox_id": outbox_id,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for outbox_id in ids
    ]
    insert_many_if_absent(session, FaceDelivery, rows)
    return max(ids, default=after_id)


def due(
    session: Session, *, face: str, now: datetime, limit: int = 50
) -> list[tuple[FaceDelivery, OutboxMessage]]:
    """Pending deliveries whose time has come, with their rows, in the order they were owed."""
    query = (
        select(FaceDelivery, OutboxMessage)
        .join(OutboxMessage, col(OutboxMessage.id) == col(FaceDelivery.outbox_id))
        .where(FaceDelivery.face == face, FaceDelivery.status == PENDING)
        .where(col(FaceDelivery.next_attempt_at) <= now)
        .order_by(col(FaceDelivery.outbox_id))
        .limit(limit)
    )
    return [(delivery, message) for delivery, message in session.exec(query)]


def claim(session: Session, *, delivery_id: int, now: datetime, lease: timedelta) -> bool:
    """Take a due delivery for one attempt; False if another sender has it."""
    statement = (
        update(FaceDelivery)
        .where(
            col(FaceDelivery.id) == delivery_id,
            col(FaceDelivery.status) == PENDING,
            col(FaceDelivery.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + lease, last_error=IN_FLIGHT)
    )
    result = session.execute(statement)
    return isinstance(result, CursorResult) and result.rowcount == 1


def of_key(session: Session, *, face: str, key: str) -> FaceDelivery | None:
    """This face's delivery of the row with ``key`` (the message a reply or update goes to)."""
    query = (
        select(FaceDelivery)
        .join(OutboxMessage, col(OutboxMessage.id) == col(FaceDelivery.outbox_id))
        .where(FaceDelivery.face == face, OutboxMessage.key == key)
    )
    return session.exec(query).first()


def by_id(session: Session, *, delivery_id: int) -> FaceDelivery:
    delivery = session.get(FaceDelivery, delivery_id)
    assert delivery is not None
    return delivery


def mark_sent(
    session: Session,
    delivery: FaceDelivery,
    *,
    conversation: str | None,
    message_id: str | None,
    now: datetime,
) -> None:
    delivery.status = SENT
    delivery.sent_at = now
    delivery.attempts += 1
    delivery.last_error = None
    if conversation:
        delivery.conversation = conversation
    if message_id:
        delivery.message_id = message_id
    session.add(delivery)


def skip(session: Session, delivery: FaceDelivery, *, reason: str) -> None:
    delivery.status = SKIPPED
    delivery.last_error = reason[:2000]
    session.add(delivery)


def statuses(session: Session, *, face: str) -> dict[str, str]:
    """Each row's key and its delivery status on this face, for an operator (and the tests)."""
    query = (
        select(OutboxMessage.key, FaceDelivery.status)
        .join(OutboxMessage, col(OutboxMessage.id) == col(FaceDelivery.outbox_id))
        .where(FaceDelivery.face == face)
    )
    return {key: status for key, status in session.exec(query)}
