"""Taking work in before the ack: a message event, a slash command or a job, one insert each."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.deps import AlreadyHandled, Deps
from bot.store.db import insert_one
from bot.store.models import InboxMessage


def conversation_of(event: dict[str, Any]) -> str:
    """Messages in one thread (or one channel's top level) are handled in arrival order."""
    return str(event.get("thread_ts") or "top")[:80]


def accept(deps: Deps, body: dict[str, Any]) -> None:
    """Store a message event or a slash command; the unique delivery key makes a retried
    delivery fail here (or, spooled, at import)."""
    event = body.get("event") or {}
    if "command" in body:  # slash commands are not retried; trigger_id is unique per use
        key = f"command:{body.get('trigger_id') or uuid.uuid4().hex}"
        channel, conversation = body.get("channel_id"), "commands"
    else:
        key = f"event:{body.get('event_id') or event.get('ts')}"
        channel, conversation = event.get("channel"), conversation_of(event)
    row = _row(deps.clock, key, body.get("team_id") or event.get("team"), channel, conversation)
    _store(deps, None, {**row, "body_json": body})


def accept_job(
    deps: Deps,
    session: Session,
    key: str,
    team_id: str,
    channel_id: str,
    body: dict[str, Any],
) -> None:
    """Store work an ack decided on (a reframe), for the worker: in the ack's own session
    unless spooled. Each job is its own conversation: jobs never wait for one another."""
    row = _row(deps.clock, f"job:{key}", team_id, channel_id, f"job:{key}")
    _store(deps, session, {**row, "body_json": body})


def _row(
    clock: Clock, key: str, team_id: object, channel_id: object, conversation: str
) -> dict[str, Any]:
    now = clock.now()
    return {
        "delivery_key": key[:200],
        "team_id": str(team_id or "")[:32],
        "channel_id": str(channel_id or "")[:32],
        "conversation": conversation[:80],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }


def _store(deps: Deps, session: Session | None, row: dict[str, Any]) -> None:
    if deps.inbox_spool is not None:  # SQLite: never wait for the worker's write lock
        deps.inbox_spool.put(row)
        return
    # This runs inside Slack's ack, where every fraction of a millisecond shows: Core, and
    # without a session of its own, one autocommitted statement.
    try:
        if session is None:
            insert_one(deps.session_factory, InboxMessage, row)
        else:
            session.connection().execute(insert(InboxMessage), row)
    except IntegrityError:
        raise AlreadyHandled(row["delivery_key"]) from None
