"""Fixtures shared by every test: a freshly migrated database per test, on SQLite and (when
GOLIVE_TEST_DATABASE_URL is set) on PostgreSQL, and a clock that moves only when told."""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from store.clock import FixedClock
from store.db import make_engine
from store.schema import upgrade

pytest_plugins = ["tests.slackapp"]

PG_URL = os.environ.get("GOLIVE_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning during go-live


def fresh_database(backend: str, tmp_path: Path) -> tuple[str, Engine, str | None]:
    """A migrated, empty database; on PostgreSQL a schema of its own, so tests can run side by
    side on one server."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'golive.db'}"
        engine = make_engine(url)
        upgrade(engine)
        return url, engine, None
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    return url, engine, schema


def drop_database(engine: Engine, schema: str | None) -> None:
    engine.dispose()
    if schema is not None:
        assert PG_URL is not None
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url, engine, schema = fresh_database(request.param, tmp_path)
    yield url, engine
    drop_database(engine, schema)


@pytest.fixture
def engine(database: tuple[str, Engine]) -> Engine:
    return database[1]


@pytest.fixture
def database_url(database: tuple[str, Engine]) -> str:
    return database[0]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)
