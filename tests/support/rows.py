"""Rows built straight into the database, for tests that start from a state rather than walk a
conversation to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.models import Feature

PM, ENG = "U0PM", "U0ENG"


def feature_row(now: datetime, **fields: Any) -> Feature:
    """A feature in review with a PM and an engineer named; `fields` override any column."""
    values: dict[str, Any] = {
        "team_id": "T0LOCAL",
        "name": "Search",
        "slug": "search",
        "channel_id": "C0FEAT",
        "thread_ts": "1.1",
        "created_by": PM,
        "created_at": now,
        "pm_user_id": PM,
        "engineer_user_id": ENG,
        "stage": "review",
        "last_activity_at": now,
        "nudges_sent": 0,
        "timezone": "UTC",
        "listening": False,
    }
    return Feature(**(values | fields))
