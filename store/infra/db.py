"""The database engine and the one way to open a unit of work."""

import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from store.infra.errors import DomainError

log = logging.getLogger("golive.db")

SUPPORTED = ("sqlite", "postgresql")
READ_ONLY = "golive_read_only"
BUSY_SECONDS = 15
# Per SQLite engine, the lock its writers in this process queue on (see session_scope).
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def _fresh_writer_locks() -> None:
    """A forked child starts with every lock free: one held by a parent's thread at the
    fork would otherwise never be released in the child."""
    for engine in list(_WRITERS):
        _WRITERS[engine] = threading.RLock()


os.register_at_fork(after_in_child=_fresh_writer_locks)


class DatabaseUrlError(DomainError):
    """A DATABASE_URL golive cannot use; the message says what to write instead."""


def normalise_url(url: str) -> str:
    """Accept the spellings people paste (postgres://, postgresql://) and pick psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            "DATABASE_URL is not a database URL; use sqlite:///golive.db or "
            "postgresql://user@host/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in SUPPORTED:
        raise DatabaseUrlError(
            f"DATABASE_URL uses '{parsed.drivername}', which golive does not support; "
            "use sqlite:///golive.db or postgresql://user@host/dbname"
        )
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and a busy timeout so that the bot, the
    scheduler and the CLI can share one file."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:")
        if memory:
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS}, **kwargs
        )
        _configure_sqlite(engine, wal=not memory)
        _WRITERS[engine] = threading.RLock()
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; take it over so that every unit
        # of work begins IMMEDIATE and writers queue on the busy timeout instead of failing
        # half-way with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader takes no write lock, so it never waits behind a writer (WAL keeps its
        # snapshot consistent); a writer takes the lock at once.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def ping(engine: Engine) -> None:
    """Ask the database for nothing, as a health check does: raises if it cannot answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def reachable(engine: Engine) -> bool:
    """What every face's ``/healthz`` answers: whether the database answers a ping (the
    reason it does not goes to the log, never to the caller)."""
    try:
        ping(engine)
    except Exception as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        return False
    return True


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: everything in it is committed together, or nothing is.

    ``write=False`` declares a look that changes nothing; on SQLite it then waits for no
    writer. Writing in such a unit fails rather than racing another writer.

    On SQLite a process's writers also queue on a lock of their own before BEGIN IMMEDIATE:
    SQLite's busy handler polls, sleeping up to 100 ms between looks once several writers
    wait, so a report's one-commit unit would wait far longer than the commit it queues
    behind; the lock hands over the moment the writer ahead finishes. (Writers in other
    processes still meet at SQLite's lock and its busy timeout.)
    """
    writers = _WRITERS.get(engine) if write else None
    # After the busy timeout a writer goes on to SQLite's own lock, as it did without this one.
    queued = writers.acquire(timeout=BUSY_SECONDS) if writers is not None else False
    try:
        session = Session(engine, expire_on_commit=False)
        if not write:
            session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    finally:
        if writers is not None and queued:
            writers.release()
