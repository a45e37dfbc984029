"""Engine, sessions and migrations. One session per unit of work via `session_scope`."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = sessionmaker[Session]


CONNECT_TIMEOUT_SECONDS = 10
# What a failed first connection means, said without the URL (it may hold a password).
CONNECT_PROBLEMS = (
    ("password authentication failed", "the database refused the user name or password"),
    ("does not exist", "the database named in it does not exist"),
    ("connection refused", "nothing is listening at its host and port (connection refused)"),
    ("timeout", "its host did not answer in time"),
    ("timed out", "its host did not answer in time"),
    ("could not translate host name", "its host name is unknown"),
    ("name or service not known", "its host name is unknown"),
    ("unable to open database file", "the SQLite file cannot be opened or created there"),
    ("readonly database", "the SQLite file is read-only"),
    ("disk is full", "the disk under the database is full"),
)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    "DATABASE_URL", f"names a folder that cannot be created ({error.strerror})"
                ) from None
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_timeout=10)
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def require_database(engine: Engine) -> None:
    """Connect once, so that a wrong or unreachable DATABASE_URL is one clear line at start
    (exit 2) rather than a traceback at the first request."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        folder = Path(database).resolve().parent
        # SQLite writes its WAL and lock files beside the database, so the folder must be
        # writable too (access(2) says no on a read-only mount, even to root).
        if not os.access(folder, os.W_OK):
            raise ConfigError(
                "DATABASE_URL", "names a SQLite file in a folder that is read-only here"
            )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        message = str(error.orig).lower()
        problem = next(
            (said for found, said in CONNECT_PROBLEMS if found in message),
            f"the database cannot be reached ({type(error.orig).__name__})",
        )
        raise ConfigError("DATABASE_URL", f"does not work: {problem}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web threads read while a job writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def insert_one(factory: SessionFactory, model: type[Any], row: dict[str, Any]) -> None:
    """One row, committed, in the fewest round trips: an autocommit connection sends the
    INSERT alone (no BEGIN, no COMMIT), and a single statement is atomic by itself. For the
    busiest ack path, where a session's bookkeeping is measurable."""
    engine = factory.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(insert(model), row)


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """Commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    # Imported here: a process that never migrates (the worker serve starts) does not load it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration; safe to run from several processes at once on PostgreSQL."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Serialise concurrent upgrades from replicas starting together.
            connection.execute(text("SELECT pg_advisory_xact_lock(874001)"))
        from alembic import command

        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
