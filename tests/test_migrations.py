"""The schema the migrations build is the schema the models describe: a model change without
its migration (or the reverse) would work in tests that create tables from the models and
fail on a provider's upgraded database."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import store.records.models  # noqa: F401  (registers every table on the metadata)


# SQLite can't reflect an expression index; that one is checked by the role tests instead.
@pytest.mark.filterwarnings("ignore:.*uq_role_grant_scope")
def test_migrated_database_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
