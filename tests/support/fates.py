"""What the outbox-fate tests share: Slack's permanent refusals and transient errors, our words
for each, lookups of what the bot stored, and waiting for the outbox on a manual clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.store.models import Feature, OutboxMessage
from bot.store.queue import work_in_flight
from tests.support.bot import BotUnderTest

PM = "U0PM"
PERMANENT = [
    "invalid_auth",
    "token_revoked",
    "account_inactive",
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "msg_too_long",
    "invalid_blocks",
]
# Errors trying again may cure, as the stand-in's fault arguments (docs.slack.dev/apis/web-api/
# rate-limits: a 429 carries Retry-After; one without it must still not be retried in a tight
# loop). Keyed by the reason the row records.
TRANSIENT: dict[str, dict[str, Any]] = {
    "internal_error": {"status": 200, "error": "internal_error"},  # "a transient issue"
    "http_504": {"status": 504},  # a gateway timeout (500 and 503 are retried inside the call)
    "ratelimited": {"status": 429, "retry_after": None},  # a 429 without Retry-After
}
GAVE_UP = "I gave up after several tries"  # what App Home and /align status then say
# What the person is told, by code (our words, bot/slack/blocks/undelivered.py).
TOLD = {
    "invalid_auth": "my access to this workspace is gone",
    "token_revoked": "my access to this workspace is gone",
    "account_inactive": "my access to this workspace is gone",
    "not_in_channel": "/invite @Groundline",
    "channel_not_found": "/invite @Groundline",
    "is_archived": "is archived",
    "msg_too_long": "too long",
    "invalid_blocks": "refused the message's layout",
}


def kickoff(bot: BotUnderTest, channel: str, name: str) -> None:
    reply = bot.driver.command("/kickoff", name, user_id=PM, channel_id=channel)
    assert reply.status == 200
    bot.settle()


def feature_named(bot: BotUnderTest, name: str) -> Feature | None:
    with bot.session() as session:
        return session.scalars(select(Feature).where(Feature.name == name)).one_or_none()


def stage_of(bot: BotUnderTest, feature_id: int) -> str:
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        return feature.stage


def rows_in(bot: BotUnderTest, channel: str) -> list[OutboxMessage]:
    with bot.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.channel_id == channel)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def wait_until(bot: BotUnderTest, done: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the outbox did not get there in time"
        bot.runtime.deps.outbox_ready.set()
        bot.runtime.deps.inbox_ready.set()
        time.sleep(0.02)


def nothing_due(bot: BotUnderTest, clock: ManualClock) -> bool:
    """Everything due on the manual clock has been handled (later retries may wait)."""
    with bot.session() as session:
        return work_in_flight(session, due_before=clock.now()) == 0


def retry_waits(bot: BotUnderTest, clock: ManualClock, channel: str, most: int) -> list[float]:
    """Move the clock to each retry of the channel's unsent rows until none is left (or `most`
    rounds); the waits the outbox asked for, in seconds."""
    waits: list[float] = []
    for _ in range(most):
        wait_until(bot, lambda: nothing_due(bot, clock))
        pending = [r for r in rows_in(bot, channel) if r.status not in ("sent", "failed")]
        if not pending:
            break
        waits.append(max((r.next_attempt_at - clock.now()).total_seconds() for r in pending))
        clock.advance(timedelta(seconds=waits[-1]))
    return waits
