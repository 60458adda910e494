"""Opening the center's database, migrating its schema with Alembic, and handing out sessions.

SQLite is the default: a file in the center's directory, in WAL mode (readers do not block the writer)
with foreign keys enforced. PostgreSQL is used when given a ``postgresql+psycopg://`` URL. The schema is
owned by the Alembic migrations shipped in ``okc.storage.migrations``; ``Database.upgrade()`` brings any
database, empty or older, to the newest revision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from okc.errors import StorageError
from okc.storage.models import StorageModel

__all__ = ["DEFAULT_FILE_NAME", "Database", "database_url"]

DEFAULT_FILE_NAME = "okc.db"
_SCRIPT_LOCATION = "okc.storage:migrations"


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for target: a URL as given, a directory → its okc.db, any other path → that file."""
    text = str(target)
    if "://" in text:
        return text
    path = Path(text)
    if path.is_dir():
        path = path / DEFAULT_FILE_NAME
    return f"sqlite:///{path.resolve()}"


def _masked(url: str) -> str:
    """The URL with its password replaced by ***, for messages (an unparseable URL is shown as '<url>')."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<url>" if "@" in url else repr(url)


def _reason(exc: BaseException) -> str:
    """The driver's own first line for a database error, without SQLAlchemy's wrapper and help links."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _on_sqlite_connect(dbapi_connection: object, _record: object) -> None:
    """Per-connection SQLite settings: WAL journal, enforced foreign keys, a busy wait instead of errors."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """The center's database: an engine, its schema migrations and a session factory."""

    __slots__ = ("_engine", "_url")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._url = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, target: str | Path) -> Database:
        """Open a database by URL, SQLite file path or center directory (nothing is created yet)."""
        url = database_url(target)
        try:
            parsed = sa.make_url(url)
            if parsed.get_backend_name() == "sqlite":
                database = parsed.database or ""
                if database not in ("", ":memory:") and not Path(database).parent.is_dir():
                    raise StorageError(f"directory of the database file does not exist: {database}")
                engine = sa.create_engine(url)
                sa.event.listen(engine, "connect", _on_sqlite_connect)
            elif parsed.get_backend_name() == "postgresql":
                engine = sa.create_engine(url, pool_pre_ping=True)
            else:
                raise StorageError(f"unsupported database (use SQLite or PostgreSQL): {parsed.drivername}")
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(f"cannot open database {_masked(url)}: {_reason(exc)}") from exc
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for reports and tests that need plain SQL)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self._url

    def _alembic_config(self, connection: sa.Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", _SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the schema to revision (the newest by default)."""
        try:
            with self._engine.begin() as connection:
                command.upgrade(self._alembic_config(connection), revision)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot migrate database {self._url}: {_reason(exc)}") from exc

    def downgrade(self, revision: str) -> None:
        """Migrate the schema back to revision ("base" removes every table)."""
        try:
            with self._engine.begin() as connection:
                command.downgrade(self._alembic_config(connection), revision)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot migrate database {self._url}: {_reason(exc)}") from exc

    def current_revision(self) -> str | None:
        """The schema revision the database is at, or None when it has never been migrated."""
        try:
            with self._engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read database {self._url}: {_reason(exc)}") from exc

    @staticmethod
    def head_revision() -> str:
        """The newest revision the shipped migrations define."""
        config = Config()
        config.set_main_option("script_location", _SCRIPT_LOCATION)
        head = ScriptDirectory.from_config(config).get_current_head()
        if head is None:  # pragma: no cover - the package always ships a migration
            raise StorageError("no migrations are shipped")
        return head

    def schema_differences(self) -> list[str]:
        """What Alembic's autogenerate finds between the database and the models (empty when in step)."""
        try:
            with self._engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                return [repr(diff) for diff in compare_metadata(context, StorageModel.metadata)]
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read database {self._url}: {_reason(exc)}") from exc

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; database errors become StorageError."""
        session = Session(self._engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise StorageError(f"database write failed: {_reason(exc)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()
