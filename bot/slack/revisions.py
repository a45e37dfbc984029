"""A message edited or deleted in Slack, as the Events API says it (`message_changed` with the
message as it is now and as it was; `message_deleted` with the message as it was:
https://docs.slack.dev/reference/events/message/message_changed/ and …/message_deleted/),
parsed into a typed value when it is a person's reply in a thread whose words changed, and
what it means for a kickoff (after the ack; bot/slack/after_ack.py routes it here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain.said import Said
from bot.services import access, kickoff
from bot.services.access import Need
from bot.services.kickoff import revisions
from bot.slack import text as slack_text
from bot.slack.kickoff_replies import say
from bot.store.models import Feature

CHANGED, DELETED = "message_changed", "message_deleted"


@dataclass(frozen=True)
class Revision:
    channel: str
    thread_ts: str
    user: str
    before: Said  # what the reply said when it was read
    now: dict[str, Any] | None  # the message as it is now; None when deleted


def revision_of(event: dict[str, Any]) -> Revision | None:
    """A person's thread reply whose text was edited, or that was deleted; None for anything
    else: Slack also sends message_changed when only an unfurl or language metadata changed,
    and for the bot's own updates."""
    subtype = event.get("subtype")
    if subtype not in (CHANGED, DELETED):
        return None
    before = event.get("previous_message") or {}
    now = event.get("message") if subtype == CHANGED else None
    shown = now if now is not None else before
    user, thread_ts = shown.get("user"), shown.get("thread_ts")
    if not user or shown.get("bot_id") or before.get("bot_id") or before.get("user") != user:
        return None
    if not thread_ts or thread_ts == shown.get("ts") or not event.get("channel"):
        return None
    if now is not None and (now.get("text") or "") == (before.get("text") or ""):
        return None
    return Revision(
        str(event["channel"]),
        str(thread_ts),
        str(user),
        slack_text.read(before.get("text")),
        now,
    )


def revised(
    deps: Deps, session: Session, body: dict[str, Any], revision: Revision, gone: str
) -> tuple[Feature, dict[str, Any]] | None:
    """A reply in a kickoff thread edited or deleted: what was noted from it stands and the
    thread is told. An edited reply that gave nothing comes back (its feature and the message
    as it is now, as an event) to be read as if just posted."""
    team_id = str(body.get("team_id") or "")
    feature = kickoff.find_by_thread(session, team_id, revision.channel, revision.thread_ts)
    if feature is None:
        return None
    access.require_after_ack(deps.directory, feature, revision.user, Need.ACT, gone)
    deleted = revision.now is None
    outcome = revisions.revised(session, feature, revision.user, revision.before, deleted=deleted)
    if outcome is not None:
        say(session, deps, outcome)
        return None
    if revision.now is None:
        return None
    return feature, {**revision.now, "channel": revision.channel}
