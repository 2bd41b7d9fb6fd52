"""The pace of posting into one conversation, shared by every sender of every process.

Slack takes about one post a second in a channel. golive serve runs a sender in each worker
and one in the scheduler, so a pace each kept in memory would let three posts a second into
one channel. Each lane (a channel, or one person's direct messages) has a row saying when it
may take its next post; a sender claims the lane with an UPDATE only one sender can win
before it posts, and a lane that is not free is skipped, not waited on, so one busy channel
holds back no other.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, func, select

from store.infra.inserts import insert_if_absent
from store.records.models import PostLane


@dataclass(frozen=True)
class Slot:
    """A lane claimed for one post: ``until`` is when the next post may follow, ``since`` when
    the claim was made (what ``release`` puts back)."""

    lane: str
    since: datetime
    until: datetime


def claim(session: Session, *, lane: str, now: datetime, interval: timedelta) -> Slot | None:
    """Take ``lane`` for one post now, or None if a post went into it under ``interval`` ago
    (by any sender)."""
    until = now + interval
    statement = (
        update(PostLane)
        .where(col(PostLane.lane) == lane, col(PostLane.next_post_at) <= now)
        .values(next_post_at=until)
    )
    result = session.execute(statement)
    if isinstance(result, CursorResult) and result.rowcount == 1:
        return Slot(lane, now, until)
    if insert_if_absent(session, PostLane, {"lane": lane, "next_post_at": until}):
        return Slot(lane, now, until)
    return None


def release(session: Session, slot: Slot) -> None:
    """Give back a slot no post used (the message it was for had gone to another sender),
    unless the lane has been claimed again since."""
    session.execute(
        update(PostLane)
        .where(col(PostLane.lane) == slot.lane, col(PostLane.next_post_at) == slot.until)
        .values(next_post_at=slot.since)
    )


def hold(session: Session, *, lane: str, until: datetime) -> None:
    """Keep ``lane`` from taking a post before ``until`` (Slack asked it to wait), unless it
    is held longer already."""
    session.execute(
        update(PostLane)
        .where(col(PostLane.lane) == lane, col(PostLane.next_post_at) < until)
        .values(next_post_at=until)
    )


def busy(session: Session, *, now: datetime) -> set[str]:
    """The lanes that may not take a post yet."""
    return set(session.exec(select(PostLane.lane).where(col(PostLane.next_post_at) > now)))


def next_free(session: Session, *, lanes: set[str], now: datetime) -> datetime | None:
    """When the first of ``lanes`` still busy at ``now`` may take a post (None if none is)."""
    if not lanes:
        return None
    query = select(func.min(PostLane.next_post_at)).where(
        col(PostLane.lane).in_(lanes), col(PostLane.next_post_at) > now
    )
    return session.exec(query).one()
