"""A fresh, migrated database per benchmark: a SQLite file, or a PostgreSQL schema of its own
on the local server, dropped afterwards."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from store.infra.db import make_engine
from store.infra.schema import upgrade

PG_URL = os.environ.get("GOLIVE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Database:
    backend: str
    url: str
    engine: Engine


def pg_available() -> bool:
    """Whether the local PostgreSQL answers; the PostgreSQL figures are skipped if not."""
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


@contextmanager
def fresh_database(backend: str, folder: Path, name: str) -> Iterator[Database]:
    """A migrated, empty database that is removed when the block ends."""
    if backend == "sqlite":
        path = folder / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield Database(backend, url, engine)
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield Database(backend, url, engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
