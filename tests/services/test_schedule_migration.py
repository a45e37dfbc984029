"""Migration 0002 on SQLite and PostgreSQL: existing features get `timezone_checked` false (so
their starter's zone is looked up once) and no schedule change time; downgrade removes both."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bot.store.db import alembic_config, make_engine, upgrade


def test_upgrade_keeps_features_and_marks_zones_unknown(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "0001")
        columns = {c["name"] for c in inspect(engine).get_columns("features")}
        assert "timezone_checked" not in columns and "schedule_changed_at" not in columns
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO features (team_id, name, slug, channel_id, created_by,"
                    " created_at, stage, last_activity_at, nudges_sent, timezone, listening)"
                    " VALUES ('T1', 'Search', 'search', 'C1', 'U1', :at, 'agreed', :at, 0,"
                    " 'UTC', :no)"
                ),
                {"at": "2026-01-01 00:00:00+00:00", "no": False},
            )
        upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT timezone_checked, schedule_changed_at, schedule FROM features")
            ).one()
        assert not row[0] and row[1] is None and row[2] is None
    finally:
        engine.dispose()
