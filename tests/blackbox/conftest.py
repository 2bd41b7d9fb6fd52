"""Fixtures for the black-box suite: a fake Slack on loopback and a provider's folder with an
empty database, on SQLite (the default URL, a file in the folder) and on PostgreSQL (an
empty schema of its own) when GOLIVE_TEST_DATABASE_URL is set."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from store.infra.db import make_engine
from tests.blackbox.harness import Provider
from tests.conftest import BACKENDS, PG_URL
from tests.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


def empty_postgresql_schema() -> tuple[str, str]:
    """A URL whose search path is a new, empty schema: a database ``golive init`` has not
    yet seen."""
    assert PG_URL is not None
    schema = f"bb_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    assert PG_URL is not None
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def provider(backend: str, tmp_path: Path, fake: FakeSlack) -> Iterator[Provider]:
    """A provider's folder; on SQLite with no DATABASE_URL, so golive's default is used."""
    folder = tmp_path / "provider"
    folder.mkdir()
    schema = None
    url = None
    if backend == "postgresql":
        url, schema = empty_postgresql_schema()
    installed = Provider(folder, fake, url)
    yield installed
    installed.close()
    if schema is not None:
        drop_schema(schema)


@pytest.fixture
def postgresql_provider(tmp_path: Path, fake: FakeSlack) -> Iterator[Provider]:
    """A provider on PostgreSQL, for what only PostgreSQL may do (several replicas)."""
    if PG_URL is None:
        pytest.skip("needs PostgreSQL (GOLIVE_TEST_DATABASE_URL)")
    folder = tmp_path / "provider"
    folder.mkdir()
    url, schema = empty_postgresql_schema()
    installed = Provider(folder, fake, url)
    yield installed
    installed.close()
    drop_schema(schema)
