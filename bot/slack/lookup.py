"""The feature a click or form names, looked up within the workspace it came from and
only if the person may do what they ask (services/access.py has the rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotFound
from bot.services import access, kickoff
from bot.services.access import Need
from bot.store.models import Feature


def team_of(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


def user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def clicked_feature(
    session: Session,
    deps: Deps,
    body: dict[str, Any],
    key: str,
    missing: str,
    need: Need = Need.ACT,
) -> Feature:
    """The feature by id or slug in the clicking workspace, if the clicking person may `need`
    it; `missing` is said otherwise (also when it is private to a channel they are not in)."""
    feature = kickoff.get_feature(session, team_of(body), key)
    if feature is None:
        raise NotFound(missing)
    access.require(deps.directory, feature, user_of(body), need, hidden=missing)
    return feature
