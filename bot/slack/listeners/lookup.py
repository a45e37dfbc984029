"""What a click or a submitted form names, looked up only within the workspace it came from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.errors import NotFound
from bot.services import kickoff
from bot.store.models import Feature


def team_of(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


def clicked_feature(session: Session, body: dict[str, Any], key: str, missing: str) -> Feature:
    """The feature by id or slug in the clicking workspace; `missing` is said otherwise."""
    feature = kickoff.get_feature(session, team_of(body), key)
    if feature is None:
        raise NotFound(missing)
    return feature
