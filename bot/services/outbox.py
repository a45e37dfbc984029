"""Queueing what the bot says. Rows are written in the caller's transaction; jobs/delivery posts.
(Just over 300 lines: every way of saying something, and who is told when Slack refuses it,
in one place.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store.models import Feature, OutboxMessage
from bot.store.states import OutboxKind, OutboxStatus

Blocks = list[dict[str, Any]]


class _Place(Enum):
    KICKOFF_THREAD = "the feature's kickoff thread"


# Where `say` puts a message: the kickoff thread (its ts may not be known yet: the row waits
# for it), the channel's top level, or any other thread of the feature's channel, by its ts.
KICKOFF_THREAD: Final = _Place.KICKOFF_THREAD
CHANNEL: Final = None
Where = str | None | Literal[_Place.KICKOFF_THREAD]


@dataclass(frozen=True)
class ReplyTarget:
    """Where a reply to one Slack request goes."""

    team_id: str
    channel_id: str
    user_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ReplyTarget | None:
        """Find team, channel and user in any request shape (command, interaction, event)."""
        event = body.get("event") or {}
        team = body.get("team_id") or (body.get("team") or {}).get("id") or event.get("team")
        channel = (
            body.get("channel_id") or (body.get("channel") or {}).get("id") or event.get("channel")
        )
        user = body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user")
        if not team or not channel:
            return None
        response_urls = body.get("response_urls") or [{}]
        return cls(
            team_id=str(team),
            channel_id=str(channel),
            user_id=str(user) if user else None,
            thread_ts=event.get("thread_ts"),
            response_url=body.get("response_url") or response_urls[0].get("response_url"),
        )


@dataclass(frozen=True)
class Asked:
    """A post a person asked for (by a slash command, a click or a form), and how to tell them
    if Slack refuses it for good: through their request's response_url, in our words. `what`
    names the post ("the report for *Support answers*", read as "I couldn't post … in #c");
    `kept` says what is stored all the same ("Your choice is recorded.")."""

    target: ReplyTarget
    what: str
    kept: str = ""

    @classmethod
    def of(
        cls,
        body: dict[str, Any],
        what: str,
        kept: str = "",
        *,
        reply_to: str | None = None,
        feature: Feature | None = None,
    ) -> Asked | None:
        """From the request's body; `reply_to` is the response_url to use instead (a form
        has none of its own: it carries its opener's, and names no channel: the `feature`'s).
        None without a response_url: nothing could tell them later."""
        target = ReplyTarget.from_body(body)
        if target is None and feature is not None:
            target = ReplyTarget.from_body({**body, "channel_id": feature.channel_id})
        response_url = reply_to or (target.response_url if target is not None else None)
        if target is None or response_url is None:
            return None
        return cls(replace(target, response_url=response_url), what, kept)


def _queue(session: Session, clock: Clock, **fields: Any) -> OutboxMessage:
    now = clock.now()
    row = OutboxMessage(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now, **fields
    )
    session.add(row)
    return row


def post(
    session: Session,
    clock: Clock,
    *,
    team_id: str,
    channel_id: str,
    text: str,
    blocks: Blocks | None = None,
    thread_ts: str | None = None,
    feature_id: int | None = None,
    in_feature_thread: bool = False,
    dedup_key: str | None = None,
    report_id: int | None = None,
    asked: Asked | None = None,
) -> OutboxMessage:
    """A message in a channel, or in a thread (given, or the feature's kickoff thread).
    `asked`: the request it answers; if Slack refuses the message for good, the person who
    asked is told through that request's response_url (bot/jobs/delivery/effects.py)."""
    return _queue(
        session,
        clock,
        kind=OutboxKind.MESSAGE,
        team_id=team_id,
        channel_id=channel_id,
        text=text,
        blocks_json=blocks,
        thread_ts=thread_ts,
        feature_id=feature_id,
        in_feature_thread=in_feature_thread,
        dedup_key=dedup_key[:200] if dedup_key else None,
        report_id=report_id,
        user_id=asked.target.user_id if asked is not None else None,
        response_url=asked.target.response_url if asked is not None else None,
        asked_json={"what": asked.what, "kept": asked.kept} if asked is not None else None,
    )


def say(
    session: Session,
    clock: Clock,
    feature: Feature,
    text: str,
    blocks: Blocks | None = None,
    *,
    where: Where = KICKOFF_THREAD,
    dedup_key: str | None = None,
    report_id: int | None = None,
    asked: Asked | None = None,
) -> OutboxMessage:
    """Say something about a feature where its people talk: in its kickoff thread (the
    default), at the top of its channel (`where=CHANNEL`) or in a thread of that channel
    (`where=<thread ts>`, e.g. a report's). The one way to post for a feature. Pass `asked`
    (the slash command or click it answers) so a refusal is told to whoever asked."""
    in_kickoff_thread = where is KICKOFF_THREAD
    return post(
        session,
        clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        text=text,
        blocks=blocks,
        thread_ts=None if in_kickoff_thread or where is None else str(where),
        feature_id=feature.id,
        in_feature_thread=in_kickoff_thread,
        dedup_key=dedup_key,
        report_id=report_id,
        asked=asked,
    )


def kickoff_root(
    session: Session,
    clock: Clock,
    *,
    team_id: str,
    channel_id: str,
    feature_id: int,
    text: str,
    blocks: Blocks,
    response_url: str | None,
) -> OutboxMessage:
    """The message a kickoff thread hangs off; its ts becomes the feature's thread_ts."""
    return _queue(
        session,
        clock,
        kind=OutboxKind.KICKOFF_ROOT,
        team_id=team_id,
        channel_id=channel_id,
        feature_id=feature_id,
        text=text,
        blocks_json=blocks,
        response_url=response_url,
    )


def ephemeral(
    session: Session,
    clock: Clock,
    target: ReplyTarget,
    text: str,
    blocks: Blocks | None = None,
) -> OutboxMessage:
    """A message only one person sees; through response_url when we have one (it works even
    where the bot is not a channel member), else chat.postEphemeral."""
    return _queue(
        session,
        clock,
        kind=OutboxKind.RESPONSE if target.response_url else OutboxKind.EPHEMERAL,
        team_id=target.team_id,
        channel_id=target.channel_id,
        user_id=target.user_id,
        thread_ts=target.thread_ts,
        response_url=target.response_url,
        text=text,
        blocks_json=blocks,
    )


def update(
    session: Session,
    clock: Clock,
    *,
    team_id: str,
    channel_id: str,
    ts: str,
    text: str,
    blocks: Blocks | None,
    dedup_key: str | None = None,
) -> OutboxMessage:
    """Replace a posted message (e.g. remove buttons once they have been used)."""
    return _queue(
        session,
        clock,
        kind=OutboxKind.UPDATE,
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=ts,
        text=text,
        blocks_json=blocks,
        dedup_key=dedup_key,
    )


def update_summary(
    session: Session, clock: Clock, feature: Feature, text: str, blocks: Blocks
) -> OutboxMessage:
    """Edit the feature's summary once it is posted: for a change that lands while the summary
    is being sent (delivery learns its ts when the post is recorded, and waits for it)."""
    return _queue(
        session,
        clock,
        kind=OutboxKind.UPDATE,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        feature_id=feature.id,
        in_feature_thread=True,
        text=text,
        blocks_json=blocks,
    )


def queued(session: Session, dedup_key: str) -> bool:
    """Whether a message with this dedup key was queued already."""
    found = select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
    return session.scalar(found) is not None


@dataclass(frozen=True)
class Undelivered:
    """A feature's message Slack would not take, with Slack's reason."""

    error: str
    channel_id: str


def undelivered(session: Session, feature_ids: Iterable[int]) -> dict[int, Undelivered]:
    """Feature id -> its last message (thread post, channel post, update or chart) that could
    not be delivered, while no later message of the feature has got through. Reports have their
    own line (schedules.last_report_failures); ephemerals and response_url replies were
    themselves the telling."""
    ids = list(feature_ids)
    if not ids:
        return {}
    of_features = OutboxMessage.feature_id.in_(ids)
    failed = (
        select(func.max(OutboxMessage.id))
        .where(
            of_features,
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.report_id.is_(None),
        )
        .where(OutboxMessage.kind.in_((OutboxKind.MESSAGE, OutboxKind.UPDATE, OutboxKind.FILE)))
        .group_by(OutboxMessage.feature_id)
    )
    last_sent = session.execute(
        select(OutboxMessage.feature_id, func.max(OutboxMessage.id))
        .where(of_features, OutboxMessage.status == OutboxStatus.SENT)
        .group_by(OutboxMessage.feature_id)
    )
    sent = {feature_id: row_id for feature_id, row_id in last_sent}
    found: dict[int, Undelivered] = {}
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.feature_id,
            OutboxMessage.last_error,
            OutboxMessage.channel_id,
        ).where(OutboxMessage.id.in_(failed))
    )
    for row_id, feature_id, error, channel_id in rows:
        if feature_id is not None and sent.get(feature_id, 0) < row_id:
            found[feature_id] = Undelivered(error or "unknown_error", channel_id)
    return found
