"""Taking a Slack message event in: one insert before the ack."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.deps import AlreadyHandled
from bot.store.models import InboxMessage


def conversation_of(event: dict[str, Any]) -> str:
    """Messages in one thread (or one channel's top level) are handled in arrival order."""
    return str(event.get("thread_ts") or "top")[:80]


def accept(session: Session, clock: Clock, body: dict[str, Any]) -> None:
    """Store a message event or a slash command; the unique delivery key makes a retried
    delivery fail here."""
    event = body.get("event") or {}
    if "command" in body:  # slash commands are not retried; trigger_id is unique per use
        key = f"command:{body.get('trigger_id') or uuid.uuid4().hex}"
        channel, conversation = body.get("channel_id"), "commands"
    else:
        key = f"event:{body.get('event_id') or event.get('ts')}"
        channel, conversation = event.get("channel"), conversation_of(event)
    now = clock.now()
    # A Core insert: this runs inside Slack's ack, where every fraction of a millisecond shows.
    row = {
        "delivery_key": key[:200],
        "team_id": str(body.get("team_id") or event.get("team") or "")[:32],
        "channel_id": str(channel or "")[:32],
        "conversation": conversation,
        "body_json": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }
    try:
        session.execute(insert(InboxMessage), [row])
    except IntegrityError:
        raise AlreadyHandled(str(body.get("event_id"))) from None
