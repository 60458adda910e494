"""Schema migrations: upgrade from empty, autogenerate finds nothing to do, downgrade, SQLite settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from okc.errors import StorageError
from okc.storage import DEFAULT_FILE_NAME, Database, StorageModel, database_url


def test_upgrade_from_empty_reaches_head(empty_db: Database) -> None:
    assert empty_db.current_revision() is None
    empty_db.upgrade()
    assert empty_db.current_revision() == Database.head_revision()
    tables = set(sa.inspect(empty_db.engine).get_table_names())
    assert set(StorageModel.metadata.tables) <= tables


def test_autogenerate_finds_no_difference(db: Database) -> None:
    assert db.schema_differences() == []


def test_autogenerate_sees_a_missing_table(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE qa_score"))
    assert any("qa_score" in diff for diff in db.schema_differences())


def test_upgrade_is_idempotent_and_downgrade_empties(db: Database) -> None:
    db.upgrade()
    assert db.current_revision() == Database.head_revision()
    db.downgrade("base")
    assert db.current_revision() is None
    assert not set(StorageModel.metadata.tables) & set(sa.inspect(db.engine).get_table_names())


def test_sqlite_file_is_in_the_center_directory_in_wal_mode(tmp_path: Path) -> None:
    db = Database.open(tmp_path)
    db.upgrade()
    assert (tmp_path / DEFAULT_FILE_NAME).is_file()
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    db.close()


def test_database_url_forms(tmp_path: Path) -> None:
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / DEFAULT_FILE_NAME}"
    assert database_url(tmp_path / "x.sqlite") == f"sqlite:///{(tmp_path / 'x.sqlite').resolve()}"


def test_bad_targets_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        Database.open(tmp_path / "missing" / "okc.db")
    with pytest.raises(StorageError, match="unsupported database"):
        Database.open("mysql://u@h/db")
    with pytest.raises(StorageError, match="cannot open"):
        Database.open("not a url://")


def test_unreachable_postgres_is_a_storage_error() -> None:
    # Port 1 on loopback is closed: the connection is refused at once.
    db = Database.open("postgresql+psycopg://okc:s3cret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError, match="cannot migrate") as info:
        db.upgrade()
    message = str(info.value)
    assert "s3cret" not in message
    assert "okc:***@127.0.0.1:1" in message
    assert "\n" not in message  # the driver's reason in one line, without SQLAlchemy's help link
    assert "sqlalche.me" not in message
    with pytest.raises(StorageError) as status:
        db.current_revision()
    assert "s3cret" not in str(status.value)
