"""Fixtures shared by every test: a freshly migrated database per test, on SQLite and (when
GOLIVE_TEST_DATABASE_URL is set) on PostgreSQL, and a clock that moves only when told."""

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from store.infra.clock import FixedClock
from store.infra.db import make_engine
from store.infra.schema import upgrade

pytest_plugins = ["tests.slackapp", "tests.teamsapp"]

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


class Templates:
    """One migrated database per backend for the whole run, reset for each test.

    Migrating takes a second or more on PostgreSQL; copying a migrated SQLite file, or
    truncating a migrated PostgreSQL schema back to the rows the migrations wrote, takes
    milliseconds, and leaves each test the same empty, migrated database.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite_file: Path | None = None
        self.pg: tuple[str, str, dict[str, list[dict[str, object]]]] | None = None

    def sqlite(self, tmp_path: Path) -> str:
        if self.sqlite_file is None:
            template = self.folder / "template.db"
            engine = make_engine(f"sqlite:///{template}")
            upgrade(engine)
            engine.dispose()
            self.sqlite_file = template
        target = tmp_path / "golive.db"
        shutil.copyfile(self.sqlite_file, target)
        return f"sqlite:///{target}"

    def postgresql(self) -> str:
        if self.pg is None:
            url, engine, schema = fresh_database("postgresql", self.folder)
            assert schema is not None
            with engine.connect() as connection:
                seeded = {
                    table: [
                        dict(row._mapping)
                        for row in connection.execute(text(f'SELECT * FROM "{table}"'))
                    ]
                    for table in _tables(connection)
                }
            engine.dispose()
            self.pg = (url, schema, seeded)
        url, _, seeded = self.pg
        engine = make_engine(url)
        with engine.begin() as connection:
            present = _tables(connection)
        if set(present) != set(seeded):
            # A test dropped a table to simulate a broken database: start over.
            engine.dispose()
            self.close()
            self.pg = None
            return self.postgresql()
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            tables = ", ".join(f'"{t}"' for t in present)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            for table, rows in seeded.items():
                for row in rows:
                    columns = ", ".join(f'"{c}"' for c in row)
                    values = ", ".join(f":{c}" for c in row)
                    connection.execute(
                        text(f'INSERT INTO "{table}" ({columns}) VALUES ({values})'), row
                    )
        engine.dispose()
        return url

    def close(self) -> None:
        if self.pg is not None:
            assert PG_URL is not None
            admin = make_engine(PG_URL)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.pg[1]}" CASCADE'))
            admin.dispose()


def _tables(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version' ORDER BY tablename"
        )
    )
    return [row[0] for row in rows]


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    kept = Templates(tmp_path_factory.mktemp("templates"))
    yield kept
    kept.close()


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, templates: Templates
) -> Iterator[tuple[str, Engine]]:
    url = templates.sqlite(tmp_path) if request.param == "sqlite" else templates.postgresql()
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def engine(database: tuple[str, Engine]) -> Engine:
    return database[1]


@pytest.fixture
def database_url(database: tuple[str, Engine]) -> str:
    return database[0]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)
