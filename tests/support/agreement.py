"""A kickoff at its summary, stored directly (no questions asked first), for trials that start
there: simultaneous sign-offs, stale presses, changes after agreement, replays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.domain.targets import Targets
from bot.localslack.server import LocalSlack
from bot.localslack.workspace import BOT_USER_ID
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Feature, OutboxMessage, TargetVersion
from bot.store.states import OutboxKind, OutboxStatus
from tests.support.rows import ENG, PM, feature_row

__all__ = ["ENG", "PM", "TARGETS", "feature_in_review", "feature_with_summary"]
TARGETS = {
    "max_error_rate": 0.1,
    "error_impact": "a refund",
    "fallback": {"kind": "say_unsure", "detail": ""},
    "success_metrics": [{"name": "CSAT", "target": 4.0, "direction": "at_least", "unit": ""}],
    "max_latency_p95_ms": 2000.0,
    "max_cost_per_query_usd": 0.01,
    "tradeoff_priority": "cost_gives",
}


def _stored_at_summary(
    session: Session, slack: LocalSlack, label: str, index: int, now: datetime
) -> tuple[Feature, TargetVersion, str]:
    """A kickoff thread in its own channel and its feature, version 1 drafted with TARGETS."""
    channel = f"C0{label.upper()}{index:03d}"
    thread_ts = slack.workspace.add_message(channel, {"user": BOT_USER_ID, "text": "Kickoff"})["ts"]
    feature = feature_row(
        now,
        name=f"{label} {index}",
        slug=f"{label.lower()}-{index}-{uuid.uuid4().hex[:6]}",
        channel_id=channel,
        thread_ts=thread_ts,
    )
    version = TargetVersion(version=1, status="draft", values_json=TARGETS, created_at=now)
    feature.target_versions.append(version)
    session.add(feature)
    session.flush()
    return feature, version, str(thread_ts)


def feature_in_review(url: str, slack: LocalSlack, index: int) -> dict[str, object]:
    """A kickoff at its summary, stored directly, and the summary message as Slack holds it."""
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        feature, version, thread_ts = _stored_at_summary(
            session, slack, "Agreement", index, datetime.now(UTC)
        )
        session.commit()
        text, blocks = kickoff_blocks.summary(feature, version, Targets.model_validate(TARGETS))
    engine.dispose()
    message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
    return slack.workspace.add_message(feature.channel_id, message)


def feature_with_summary(
    url: str, slack: LocalSlack, index: int, *, older: dict[str, object] | None = None
) -> tuple[dict[str, object], dict[str, object] | None]:
    """A kickoff at its summary as the bot leaves it once the summary is posted: the message is
    in the thread and is the outbox row the feature updates in place. With `older` (values
    merged into TARGETS), an earlier copy showing those numbers is in the thread above it, with
    its buttons (a press there must sign nothing). Returns (summary, older copy or None)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        feature, version, thread_ts = _stored_at_summary(session, slack, "Burst", index, now)
        channel = feature.channel_id
        copy = None
        if older is not None:
            shown = Targets.model_validate(TARGETS | older)
            text, blocks = kickoff_blocks.summary(feature, version, shown)
            posted = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
            copy = slack.workspace.add_message(channel, posted)
        text, blocks = kickoff_blocks.summary(feature, version, Targets.model_validate(TARGETS))
        message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
        summary = slack.workspace.add_message(channel, message)
        row = OutboxMessage(
            team_id=feature.team_id,
            channel_id=channel,
            kind=OutboxKind.MESSAGE,
            feature_id=feature.id,
            in_feature_thread=True,
            thread_ts=thread_ts,
            text=text,
            blocks_json=blocks,
            status=OutboxStatus.SENT,
            next_attempt_at=now,
            created_at=now,
            sent_at=now,
            ts=str(summary["ts"]),
        )
        session.add(row)
        session.flush()
        feature.summary_outbox_id = row.id
        session.commit()
    engine.dispose()
    return summary, copy
