"""Rows built straight into the database, for tests that start from a state rather than walk a
conversation to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.store.models import Feature, SignOff

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


def mark_agreed(feature: Feature, targets: Mapping[str, Any], pm: str, engineer: str) -> None:
    """The feature's latest targets agreed and signed by both people, as the sign-off stores
    them, without walking the conversation there."""
    version = feature.target_versions[-1]
    version.values_json = dict(targets)
    version.status, version.agreed_at = "agreed", feature.created_at
    version.signoffs += [
        SignOff(user_id=pm, role="pm", at=feature.created_at),
        SignOff(user_id=engineer, role="engineer", at=feature.created_at),
    ]
    feature.stage = "agreed"
