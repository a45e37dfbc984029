"""What the command line needs around the services: a migrated database and feature lookup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import BadInput, NotFound
from bot.services.kickoff import features_named
from bot.store.db import (
    make_engine,
    make_session_factory,
    require_database,
    session_scope,
    upgrade,
)
from bot.store.models import Feature


@contextmanager
def session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.DATABASE_URL)
    try:
        require_database(engine)  # a wrong DATABASE_URL is one line and exit 2, as for serve
        upgrade(engine)
        with session_scope(make_session_factory(engine)) as db_session:
            yield db_session
    finally:
        engine.dispose()


def find_feature(db_session: Session, key: str, team_id: str | None) -> Feature:
    """F is an id or a slug. With several workspaces, a slug may be ambiguous: then --team."""
    matches = features_named(db_session, key, team_id or None)
    if not matches:
        raise NotFound(f"unknown feature '{key[:80]}' (give its id or slug; see /align status)")
    if len(matches) > 1:
        teams = ", ".join(sorted(f.team_id for f in matches))
        raise BadInput(f"feature '{key[:80]}' exists in several workspaces ({teams}); add --team")
    return matches[0]
