"""Databases for the storage tests: a SQLite file always, PostgreSQL when OKC_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from okc.storage import Database, StorageModel
from tests.conftest import REQUIRE_INTEROP

POSTGRES_URL = os.environ.get("OKC_TEST_POSTGRES_URL", "")


def _wipe(db: Database) -> None:
    """Drop okc's tables and Alembic's bookkeeping so each test starts from an empty database."""
    with db.engine.begin() as connection:
        StorageModel.metadata.drop_all(connection)
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.interop),
    ]
)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each backend (PostgreSQL skips without OKC_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        db = Database.open(tmp_path)
    else:
        if not POSTGRES_URL:
            if REQUIRE_INTEROP:
                pytest.fail("OKC_TEST_POSTGRES_URL is required (OKC_REQUIRE_INTEROP is set)")
            pytest.skip("OKC_TEST_POSTGRES_URL is not set")
        db = Database.open(POSTGRES_URL)
        _wipe(db)
    yield db
    if request.param == "postgresql":
        _wipe(db)
    db.close()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A database of each backend migrated to the newest schema."""
    empty_db.upgrade()
    return empty_db
