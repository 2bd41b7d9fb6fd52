"""Requests already taken in: a Slack retry or a double-clicked submit finds its key here."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from store.infra.inserts import insert_if_absent
from store.records.models import InboundKey


def claim(session: Session, *, key: str, now: datetime) -> bool:
    """Claim a request key for this transaction; False if it was already taken in.

    On PostgreSQL a concurrent claim of the same key waits for this transaction, so the loser
    sees the winner's committed record rather than nothing.
    """
    return insert_if_absent(session, InboundKey, {"key": key[:200], "received_at": now})


def remember_result(session: Session, *, key: str, result: str) -> None:
    """What the first delivery produced, so a retry can answer with it; one statement, on
    the ack path of every submission."""
    statement = update(InboundKey).where(col(InboundKey.key) == key[:200]).values(result=result)
    session.execute(statement)


def result_of(session: Session, *, key: str) -> str | None:
    row = session.get(InboundKey, key[:200])
    return None if row is None else row.result
