"""Taking work in: a message event, a slash command or a sign-off press before the ack (one
insert each), and jobs (slow work after the ack) from the ack or from the inbox worker's own
transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.deps import AlreadyHandled, Deps
from bot.store.db import insert_one
from bot.store.models import InboxMessage
from bot.store.states import InboxStatus

JOB = "job"  # the key naming a job's kind in an inbox body
LEGACY_REFRAME = "reframe_job"  # how reframe jobs were stored before jobs had kinds


class JobKind(StrEnum):
    """Slow work after the ack, each run by the inbox worker outside any transaction and
    stored in the one that marks it done (bot/jobs/inbox.py)."""

    FILE = "file"  # fetch an eval file dropped in a kickoff thread, store the run
    READING = "reading"  # the language model's reading of an answer our parser could not read
    REFRAME = "reframe"  # compose and word a reframe reply
    REJUDGE = "rejudge"  # recount a feature's stored runs after its wrong-answer choice changed


@dataclass(frozen=True)
class StoredJob:
    kind: str  # a JobKind, as stored (an unknown one is kept and reported, not dropped)
    payload: dict[str, Any]


def conversation_of(event: dict[str, Any]) -> str:
    """Messages in one thread (or one channel's top level) are handled in arrival order. A
    message with files is a conversation of its own: its slow download never holds up the
    answers typed after it."""
    if event.get("files"):
        return f"files:{event.get('ts')}"
    # An edit or deletion names its thread inside the message (message_changed/_deleted).
    inner = event.get("message") or event.get("previous_message") or {}
    return str(event.get("thread_ts") or inner.get("thread_ts") or "top")[:80]


def accept(deps: Deps, body: dict[str, Any]) -> None:
    """Store a message event or a slash command; the unique delivery key makes a retried
    delivery fail here (or, spooled, at import). A refused retry loses nothing: the stored
    item is handled, and marked done only once its work (and its jobs') is."""
    event = body.get("event") or {}
    if "command" in body:  # slash commands are not retried; trigger_id is unique per use
        key = f"command:{body.get('trigger_id') or uuid.uuid4().hex}"
        channel, conversation = body.get("channel_id"), "commands"
    else:
        key = f"event:{body.get('event_id') or event.get('ts')}"
        channel, conversation = event.get("channel"), conversation_of(event)
    row = _row(deps.clock, key, body.get("team_id") or event.get("team"), channel, conversation)
    _store(deps, None, {**row, "body_json": body})


def accept_press(deps: Deps, body: dict[str, Any], key: str, conversation: str) -> None:
    """Store a button press whose work waits for a lock (a sign-off): `key` is the request's
    replay key, so a replayed press is refused here (or, spooled, at import) and runs once.
    Presses in one `conversation` are handled in arrival order."""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    channel = (body.get("channel") or {}).get("id")
    row = _row(deps.clock, key, team, channel, conversation)
    _store(deps, None, {**row, "body_json": body})


def job_body(
    kind: JobKind,
    payload: dict[str, Any],
    team_id: str,
    channel_id: str,
    user_id: str | None,
    *,
    gave_up: str | None = None,
) -> dict[str, Any]:
    """A job as stored; team, channel and user say whom to tell (privately) if it cannot be
    done, and `gave_up` what to tell them when it kept failing (else a general apology)."""
    return {
        JOB: kind.value,
        "payload": payload,
        "team_id": team_id,
        "channel_id": channel_id,
        "user_id": user_id,
        "gave_up": gave_up,
    }


def accept_job(deps: Deps, session: Session, key: str, body: dict[str, Any]) -> None:
    """Store a job an ack decided on (a reframe), for the worker: in the ack's own session
    unless spooled. Each job is its own conversation: jobs never wait for one another."""
    row = _row(deps.clock, f"job:{key}", body["team_id"], body["channel_id"], f"job:{key}")
    _store(deps, session, {**row, "body_json": body})


def add_job(session: Session, clock: Clock, key: str, body: dict[str, Any]) -> None:
    """Store a job from the inbox worker's transaction, which marks the item that asked for it
    done: the item is done exactly when its job exists."""
    row = _row(clock, f"job:{key}", body["team_id"], body["channel_id"], f"job:{key}")
    session.add(InboxMessage(**row, body_json=body))


def job_of(body: dict[str, Any]) -> StoredJob | None:
    """The job an inbox body holds, or None for a message event or a slash command."""
    if JOB in body:
        return StoredJob(str(body[JOB]), dict(body.get("payload") or {}))
    if LEGACY_REFRAME in body:
        return StoredJob(JobKind.REFRAME.value, dict(body[LEGACY_REFRAME]))
    return None


def _row(
    clock: Clock, key: str, team_id: object, channel_id: object, conversation: str
) -> dict[str, Any]:
    now = clock.now()
    return {
        "delivery_key": key[:200],
        "team_id": str(team_id or "")[:32],
        "channel_id": str(channel_id or "")[:32],
        "conversation": conversation[:80],
        "status": InboxStatus.PENDING,
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
