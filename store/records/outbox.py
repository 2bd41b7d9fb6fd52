"""Messages golive owes, as notices: a kind, the facts it carries and its audience.

Rows are written in the transaction of the change that causes them and worded and delivered
by the chat face (``bot/sender.py``); the unique key makes owing the same message twice a
no-op. The scheduled jobs owe notices of their own kinds (schedules/posts.py). A ``DIGEST``
is the exception: a message that arrives already written, as scheduled posts were owed
before they carried facts (rows still owed from then are delivered as written).
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, and_, case, not_, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from store.infra.inserts import insert_if_absent, insert_many_if_absent, present_keys
from store.records.models import FaceDelivery, OutboxMessage, RollupLine


class Method(StrEnum):
    POST = "post"  # chat.postMessage to a channel (or in the thread of ``thread_key``)
    DM = "dm"  # conversations.open with ``user``, then chat.postMessage
    UPDATE = "update"  # chat.update of the message sent for ``target_key``


class Notice(StrEnum):
    """What a message is about; the face words each from its facts and the current records."""

    ISSUE_TRIAGE = "issue_triage"
    ISSUE_CONFIRMATION = "issue_confirmation"
    ISSUE_ALERT = "issue_alert"
    ISSUE_CHANGE = "issue_change"
    ISSUE_ASSIGNED = "issue_assigned"
    PHASE_CHANGED = "phase_changed"
    RISK_POST = "risk_post"
    RISK_CHANGE = "risk_change"
    CONTROL_ASSIGNED = "control_assigned"
    CHECKPOINT_REQUEST = "checkpoint_request"
    DECISION_RECORDED = "decision_recorded"
    DIGEST = "digest"


PENDING = "pending"
SENT = "sent"
DEAD = "dead"
SKIPPED = "skipped"
"""A row Slack's sender has no one to deliver to (a person known only on Teams, a purpose
routed to another face): looked at once and left, with the reason, to the face that has."""
# The last error of a message claimed for an attempt that has not ended: should the attempt
# die half-way, the next one knows it may have posted.
IN_FLIGHT = "in flight"


def enqueue(
    session: Session,
    *,
    key: str,
    method: Method,
    notice: Notice | str,
    now: datetime,
    channel: str | None = None,
    user: str | None = None,
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    thread_key: str | None = None,
    target_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Owe a message; False if a message with this key is already owed or sent.

    ``not_before`` holds a non-urgent message back (someone's quiet hours,
    store/records/quiet.py)."""
    return insert_if_absent(
        session,
        OutboxMessage,
        message_row(
            key=key,
            method=method,
            notice=notice,
            now=now,
            channel=channel,
            user=user,
            subject=subject,
            payload=payload,
            thread_key=thread_key,
            target_key=target_key,
            not_before=not_before,
        ),
    )


def payload_of(message: OutboxMessage) -> dict[str, Any]:
    return {} if message.payload is None else json.loads(message.payload)


DM_LANE = "dm:"
"""How a person's direct messages are named as a lane (store/records/lanes.py), before the
chat face has opened the conversation."""


@dataclass(frozen=True)
class Due:
    """A message due now, with what a sender needs to take its turn: the conversation it
    goes into (``lane``; None for an update, which posts nothing new) and whether it is a
    triage post a roll-up already showed (``rolled_up``; it waits for a quiet moment unless a
    change to its issue waits on it)."""

    id: int
    key: str
    method: str
    notice: str
    channel: str | None
    user: str | None
    thread_key: str | None
    last_error: str | None
    lane: str | None
    rolled_up: bool

    @property
    def is_triage_post(self) -> bool:
        """A report's own post to a triage channel, which a roll-up may cover."""
        return (
            self.notice == Notice.ISSUE_TRIAGE
            and self.method == Method.POST
            and self.channel is not None
            and self.thread_key is None
        )


def due(
    session: Session, *, now: datetime, limit: int = 50, busy: set[str] | None = None
) -> list[Due]:
    """Pending messages whose time has come, oldest first, with the triage posts a roll-up
    has shown (unless a change waits on one) after everything else; none for a lane in
    ``busy``, so a channel held to its pace does not fill the page and hold back others."""
    parent = aliased(OutboxMessage)
    quiet = and_(col(RollupLine.outbox_id).is_not(None), not_(col(RollupLine.wanted)))
    query = (
        select(OutboxMessage, parent.message_channel, RollupLine.outbox_id)
        .outerjoin(parent, col(parent.key) == col(OutboxMessage.thread_key))
        .outerjoin(RollupLine, col(RollupLine.outbox_id) == col(OutboxMessage.id))
        .where(OutboxMessage.status == PENDING, col(OutboxMessage.next_attempt_at) <= now)
    )
    if busy:
        query = query.where(
            or_(col(OutboxMessage.channel).is_(None), col(OutboxMessage.channel).not_in(busy))
        )
        people = {lane.removeprefix(DM_LANE) for lane in busy if lane.startswith(DM_LANE)}
        if people:
            query = query.where(
                or_(col(OutboxMessage.method) != Method.DM, col(OutboxMessage.user).not_in(people))
            )
    query = query.order_by(case((quiet, 1), else_=0), col(OutboxMessage.id)).limit(limit)
    found: list[Due] = []
    for message, parent_in, line in session.exec(query):
        assert message.id is not None
        lane: str | None = None
        if message.method == Method.DM:
            lane = f"{DM_LANE}{message.user}"
        elif message.method == Method.POST:
            lane = parent_in if message.thread_key else message.channel
        found.append(
            Due(
                id=message.id,
                key=message.key,
                method=message.method,
                notice=message.notice,
                channel=message.channel,
                user=message.user,
                thread_key=message.thread_key,
                last_error=message.last_error,
                lane=lane,
                rolled_up=line is not None,
            )
        )
    return found


def claim(session: Session, *, message_id: int, now: datetime, lease: timedelta) -> bool:
    """Take a due message for one attempt: an UPDATE only one sender can win, which marks it
    in flight and pushes its next attempt out by ``lease``. False if another sender has it,
    or it is no longer due."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.status) == PENDING,
            col(OutboxMessage.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + lease, last_error=IN_FLIGHT)
    )
    result = session.execute(statement)
    return isinstance(result, CursorResult) and result.rowcount == 1


def message_by_id(session: Session, *, message_id: int) -> OutboxMessage:
    """A message the sender holds the id of (rows are never deleted while owed)."""
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    return message


def by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def mark_sent(
    session: Session, message: OutboxMessage, *, channel: str | None, ts: str | None, now: datetime
) -> None:
    message.status = SENT
    message.sent_at = now
    message.attempts += 1
    message.last_error = None
    if channel:
        message.message_channel = channel
    if ts:
        message.message_ts = ts
    session.add(message)


def defer(
    session: Session,
    message: OutboxMessage | FaceDelivery,
    *,
    error: str,
    retry_in: timedelta,
    now: datetime,
    max_attempts: int,
    count_attempt: bool = True,
) -> None:
    """Try again later; give up (status dead, kept for a human to see) after max attempts.
    A face's own delivery of a row (store/records/deliveries.py) is retried the same way."""
    if count_attempt:
        message.attempts += 1
    message.last_error = error[:2000]
    message.next_attempt_at = now + retry_in
    if message.attempts >= max_attempts:
        message.status = DEAD
    session.add(message)


def skip(session: Session, *, message_id: int, reason: str) -> bool:
    """Leave a pending message to the face that can deliver it (``SKIPPED``), with why;
    False if it is no longer pending."""
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == PENDING)
        .values(status=SKIPPED, last_error=reason[:2000])
    )
    result = session.execute(statement)
    return isinstance(result, CursorResult) and result.rowcount == 1


def pending_count(session: Session) -> int:
    return len(list(session.exec(select(OutboxMessage.id).where(OutboxMessage.status == PENDING))))


def message_row(
    *,
    key: str,
    method: Method,
    notice: Notice | str,
    now: datetime,
    channel: str | None = None,
    user: str | None = None,
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    thread_key: str | None = None,
    target_key: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """The row ``enqueue`` would write, under the same rules, for a caller that writes many
    at once (``enqueue_many``, or ``insert_many_if_absent`` when none can be owed yet)."""
    if method == Method.DM and not user:
        raise ValueError("a direct message needs a user")
    if method == Method.POST and not (channel or thread_key):
        raise ValueError("a post needs a channel")
    if method == Method.UPDATE and not target_key:
        raise ValueError("an update needs the key of the message it updates")
    return {
        "key": key,
        "method": str(method),
        "notice": str(notice),
        "channel": channel,
        "user": user,
        "subject": subject,
        "payload": None if payload is None else json.dumps(payload, default=str),
        "thread_key": thread_key,
        "target_key": target_key,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
    }


def owed_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` are already owed or sent."""
    return present_keys(session, col(OutboxMessage.key), keys)


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Owe many messages (rows from ``message_row``) in one read and at most one write; the
    keys newly owed. A key already owed or sent is left alone, as ``enqueue`` leaves it.

    The keys already present are read first, so a sweep with nothing new writes nothing. A
    message another transaction owes between that read and the write stays one message (the
    unique key makes this insert a no-op) though its key is returned here too; scheduled
    sweeps are claimed once per period (schedules/jobs.py), so two do not race in practice."""
    present = owed_keys(session, [row["key"] for row in rows])
    fresh = [row for row in rows if row["key"] not in present]
    insert_many_if_absent(session, OutboxMessage, fresh)
    return {row["key"] for row in fresh}


def newest_id(session: Session) -> int:
    """The id of the message owed last (0 before any): a mark from which ``owed_after`` reads
    what one run owes, as ``golive job --preview`` shows before rolling the run back."""
    return session.exec(select(func.max(OutboxMessage.id))).one() or 0


def owed_after(session: Session, mark: int) -> list[OutboxMessage]:
    """The messages owed since ``mark`` (``newest_id``), in the order they were owed."""
    query = select(OutboxMessage).where(col(OutboxMessage.id) > mark)
    return list(session.exec(query.order_by(col(OutboxMessage.id))))
