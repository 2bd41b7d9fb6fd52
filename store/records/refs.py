"""Gap-free references (GL-0001, R-001).

The counter row is bumped by an UPDATE inside the creating transaction: the row lock (or
SQLite's write lock) makes concurrent creators take turns, and a rollback returns the number.
"""

from sqlalchemy import update
from sqlmodel import Session, col

from store.records.models import Counter

ISSUE_COUNTER = "issue"
RISK_COUNTER = "risk"


def next_number(session: Session, counter: str) -> int:
    statement = (
        update(Counter)
        .where(Counter.name == counter)  # type: ignore[arg-type]
        .values(value=Counter.value + 1)
        .returning(col(Counter.value))
    )
    value = session.execute(statement).scalar_one_or_none()
    if value is None:
        raise RuntimeError(f"counter '{counter}' is missing; run 'golive init'")
    return int(value)
