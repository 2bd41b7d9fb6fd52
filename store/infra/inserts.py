"""``INSERT ... ON CONFLICT DO NOTHING`` for both databases: uniqueness is the database's job,
so two replicas or a retried request can race and still leave one row."""

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, select


def insert_if_absent(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert one row unless a unique key already holds it; True if this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__  # type: ignore[attr-defined]
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    # rowcount is not reliable for this statement on every driver; a returned row is.
    return session.execute(statement).first() is not None


def insert_many_if_absent(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows`` in one executemany, each skipped if a unique key already holds it.

    Without RETURNING, on purpose: an executemany with RETURNING is split into pages, so the
    statements would grow with the rows. A caller that must know which rows are new reads the
    keys already present first (one query) and passes only the absent ones; the unique key
    still keeps a row some other transaction wrote in between from being doubled."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__  # type: ignore[attr-defined]
    session.execute(insert(table).on_conflict_do_nothing(), rows)


KEYS_PER_QUERY = 10_000
"""Well under the bound parameters a statement may carry (32,766 on SQLite, 65,535 on
PostgreSQL), so a provider of any size can ask which of its keys are present."""


def present_keys(
    session: Session, column: ColumnElement[str] | Mapped[str], keys: list[str]
) -> set[str]:
    """Which of ``keys`` the unique ``column`` already holds: one query per ten thousand keys,
    not one per key."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(session.exec(select(column).where(column.in_(chunk))))
    return found
