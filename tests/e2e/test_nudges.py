"""Stalled kickoffs: one reminder after a day, one more after three days, never a third."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.jobs.nudges import send_due_nudges
from tests.support.bot import BotUnderTest

CHANNEL = "C0FEAT"


def nudges(bot: BotUnderTest) -> list[str]:
    bot.settle()
    return [
        m["text"]
        for m in bot.slack.bot_messages(CHANNEL)
        if "nudge" in m["text"].lower() or "reminder" in m["text"].lower()
    ]


def test_two_nudges_at_most_naming_who_is_awaited(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    clocked_bot.driver.command(
        "/kickoff", "Support answers <@U0PM|ana> <@U0ENG|raj>", user_id="U0PM", channel_id=CHANNEL
    )
    clocked_bot.settle()
    deps = clocked_bot.runtime.deps
    clock.advance(timedelta(hours=23))
    assert send_due_nudges(deps) == 0
    clock.advance(timedelta(hours=2))
    assert send_due_nudges(deps) == 1
    assert send_due_nudges(deps) == 0
    first = nudges(clocked_bot)
    assert len(first) == 1 and "<@U0PM>" in first[0] and "<@U0ENG>" in first[0]
    clock.advance(timedelta(days=2))
    assert send_due_nudges(deps) == 0
    clock.advance(timedelta(days=1, hours=1))
    assert send_due_nudges(deps) == 1
    clock.advance(timedelta(days=30))
    assert send_due_nudges(deps) == 0
    texts = nudges(clocked_bot)
    assert len(texts) == 2 and "won't nudge again" in texts[1]
    # Every nudge went into the kickoff thread, not the channel.
    assert all(
        m.get("thread_ts") for m in clocked_bot.slack.bot_messages(CHANNEL) if m["text"] in texts
    )


def test_an_answer_resets_the_idle_clock(clocked_bot: BotUnderTest, clock: ManualClock) -> None:
    clocked_bot.driver.command("/kickoff", "Search", user_id="U0PM", channel_id=CHANNEL)
    clocked_bot.settle()
    clock.advance(timedelta(hours=20))
    thread_ts = clocked_bot.slack.bot_messages(CHANNEL)[0]["ts"]
    clocked_bot.driver.message(CHANNEL, "10%", user="U0PM", thread_ts=thread_ts)
    clocked_bot.settle()
    clock.advance(timedelta(hours=20))
    assert send_due_nudges(clocked_bot.runtime.deps) == 0
