"""The inbox: a reply that arrives before the kickoff thread's ts is saved waits for it."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.store.models import Answer, Feature, InboxMessage, OutboxMessage
from tests.support.bot import BotUnderTest

CHANNEL = "C0FEAT"


def wait_inbox(
    bot: BotUnderTest, status: str, attempts: int | None = None, error: str | None = None
) -> InboxMessage:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        bot.runtime.deps.inbox_ready.set()
        with bot.session() as session:
            query = select(InboxMessage).where(InboxMessage.delivery_key.like("event:%"))
            row = session.scalars(query).first()
            if (
                row is not None
                and row.status == status
                and attempts in (None, row.attempts)
                and error in (None, row.last_error)
            ):
                return row
        time.sleep(0.02)
    raise AssertionError(f"no inbox row reached {status}")


def test_reply_racing_the_kickoff_thread_is_retried_not_dropped(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    bot = clocked_bot
    bot.driver.command("/kickoff", "Support answers", channel_id=CHANNEL)
    bot.settle()
    with bot.session() as session:  # put the bot back in the instant before it saved the ts
        feature = session.scalars(select(Feature)).one()
        real_ts, feature.thread_ts = feature.thread_ts, None
        root = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "kickoff_root")
        ).one()
        root.status = "sending"
        root.next_attempt_at = clock.now() + timedelta(minutes=5)
    assert real_ts is not None
    bot.driver.message(CHANNEL, "10%", thread_ts=real_ts)
    # Waiting for the thread's first message is not a failure: no attempt is spent on it.
    wait_inbox(bot, "pending", attempts=0, error="kickoff thread not recorded yet")
    with bot.session() as session:
        session.scalars(select(Feature)).one().thread_ts = real_ts
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "kickoff_root")
        ).one().status = "sent"
    clock.advance(timedelta(seconds=1))
    wait_inbox(bot, "done")
    with bot.session() as session:
        assert [a.text for a in session.scalars(select(Answer))] == ["10%"]
