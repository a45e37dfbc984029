"""Whole-workspace operations: removing everything a workspace stored."""

from __future__ import annotations

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from bot.store.models import Feature, OutboxMessage, Workspace

# slack_sdk's installation tables (migration 0002); present in every database we manage.
INSTALL_TABLES = ("slack_installations", "slack_bots")


def purge(session: Session, team_id: str) -> dict[str, int]:
    """Delete a workspace's features (and with them answers, targets, runs, cases, samples,
    decisions, reports, tokens), its queued messages and its installation tokens."""
    features = session.scalar(
        select(func.count()).select_from(Feature).where(Feature.team_id == team_id)
    )
    for feature in session.scalars(select(Feature).where(Feature.team_id == team_id)):
        session.delete(feature)
    session.flush()
    queued = session.execute(delete(OutboxMessage).where(OutboxMessage.team_id == team_id))
    session.execute(delete(Workspace).where(Workspace.team_id == team_id))
    installs = 0
    for table in INSTALL_TABLES:
        result = session.execute(
            text(f"DELETE FROM {table} WHERE team_id = :team"), {"team": team_id}
        )
        installs += int(getattr(result, "rowcount", 0) or 0)
    return {
        "features": int(features or 0),
        "queued messages": int(getattr(queued, "rowcount", 0) or 0),
        "installation rows": installs,
    }
