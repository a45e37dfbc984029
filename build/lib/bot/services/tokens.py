"""Per-feature upload tokens for the HTTP API. Only a SHA-256 of each token is stored, so a
leaked database does not leak working tokens; the token itself is shown once, when issued."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store.models import Feature, FeatureToken

PREFIX = "gl_"  # makes a pasted token recognisable (and findable by secret scanners)
MAX_TOKEN_CHARS = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, clock: Clock, feature: Feature, user_id: str) -> str:
    """A new token for `feature`; earlier ones keep working until revoked."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        FeatureToken(
            feature_id=feature.id,
            token_hash=token_hash(token),
            created_by=user_id,
            created_at=clock.now(),
            revoked_at=None,
        )
    )
    session.flush()
    return token


def revoke_all(session: Session, clock: Clock, feature: Feature) -> int:
    """Revoke every live token of `feature`; returns how many there were."""
    result = session.execute(
        update(FeatureToken)
        .where(FeatureToken.feature_id == feature.id, FeatureToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def verify(session: Session, token: str) -> Feature | None:
    """The feature a live token belongs to; None for an unknown, revoked or malformed token."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    wanted = token_hash(token)
    row = session.scalar(
        select(FeatureToken).where(
            FeatureToken.token_hash == wanted, FeatureToken.revoked_at.is_(None)
        )
    )
    # The lookup is by hash, so timing says nothing about the token; compare anyway for clarity.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return session.get(Feature, row.feature_id)
