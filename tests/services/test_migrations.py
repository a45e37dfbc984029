"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and downgrade cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.store.listening  # noqa: F401 - registers its table on Base.metadata
from bot.store.db import alembic_config, make_engine, upgrade
from bot.store.models import Base

LIBRARY_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states", "alembic_version"}


def _library_owned(change: tuple[object, ...]) -> bool:
    """slack_sdk's store tables (migration 0003) are not on our metadata."""
    kind, item = change[0], change[1]
    if kind == "remove_table":
        return getattr(item, "name", None) in LIBRARY_TABLES
    if kind == "remove_index":
        return getattr(getattr(item, "table", None), "name", None) in LIBRARY_TABLES
    return False


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [
            change
            for change in compare_metadata(context, Base.metadata)
            if not _library_owned(change)
        ]
    engine.dispose()
    assert diff == []


def test_downgrade_to_nothing_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    config = alembic_config(engine)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "inbox" in inspect(engine).get_table_names()
    engine.dispose()
