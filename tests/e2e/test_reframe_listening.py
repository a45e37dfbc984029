"""Listening mode end to end: claims in a listening feature's channel get a threaded reply, at
most once an hour per thread, never to bots; a reaction on the reply mutes the thread."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.clock import ManualClock
from tests.support.bot import BotUnderTest
from tests.support.reframe import CHANNEL, add_run, bot_posts, quiet, start_feature, wait_for_post


def say(bot: BotUnderTest, text: str, thread_ts: str | None = None, **extra: str) -> str:
    """Post as a person (or a bot); returns the new message's ts. The ack is fast."""
    reply = bot.driver.message(CHANNEL, text, user="U0ENG", thread_ts=thread_ts, **extra)
    assert reply.status == 200 and reply.elapsed_ms < 1500
    mine = [m for m in bot.slack.messages(CHANNEL) if m.get("user") == "U0ENG"]
    return str(mine[-1]["ts"])


def replies(bot: BotUnderTest, thread_ts: str) -> list[dict[str, object]]:
    return [m for m in bot_posts(bot, thread_ts) if m["ts"] != thread_ts]


def listen(bot: BotUnderTest, feature: str, state: str) -> None:
    reply = bot.driver.command("/align", f"listen {feature} {state}", channel_id=CHANNEL)
    assert f"Listening is {state}" in reply.json()["text"]


def test_off_by_default_then_replies_once_per_thread_per_hour(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    bot = clocked_bot
    feature = start_feature(bot)
    add_run(bot, feature.id)
    quiet_ts = say(bot, "the model is hallucinating")
    quiet(bot)
    assert replies(bot, quiet_ts) == []  # listening is off by default

    listen(bot, "support-answers", "on")
    wait_for_post(bot, "turned on listening")
    root = say(bot, "the model is halucinating again")
    reply = wait_for_post(bot, "40% of 10 answered", thread_ts=root)
    assert reply["thread_ts"] == root
    assert "React to this reply" in str(reply["blocks"])

    say(bot, "it is also way too slow", thread_ts=root)
    quiet(bot)
    assert len(replies(bot, root)) == 1  # rate-limited

    clock.advance(timedelta(minutes=61))
    say(bot, "and way too slow", thread_ts=root)
    wait_for_post(bot, "95% of answers came back within 2.5 s", thread_ts=root)

    say(bot, "see you at lunch")  # no claim, no reply
    say(bot, "the model is hallucinating", bot_id="B0OTHER")  # never to bots
    quiet(bot)
    threaded = [m for m in bot.slack.bot_messages(CHANNEL) if m.get("thread_ts")]
    assert all(m.get("thread_ts") in (root, feature.thread_ts) for m in threaded)

    listen(bot, "support-answers", "off")
    off_ts = say(bot, "it is too expensive")
    quiet(bot)
    assert replies(bot, off_ts) == []


def test_a_reaction_on_the_reply_mutes_the_thread(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    bot = clocked_bot
    start_feature(bot)  # targets, no runs
    listen(bot, "support-answers", "on")
    root = say(bot, "this costs a fortune")
    reply = wait_for_post(bot, "no eval run is in yet", thread_ts=root)

    thanks = {"type": "message", "channel": CHANNEL, "ts": reply["ts"]}
    bot.driver.event({"type": "reaction_added", "user": "U0PM", "reaction": "+1", "item": thanks})
    bot.driver.event({"type": "reaction_added", "user": "U0PM", "reaction": "-1", "item": thanks})
    bot.settle()
    muted = bot.slack.ephemeral_messages(CHANNEL, "U0PM")
    assert [m["text"] for m in muted] == ["Got it: I'll stay out of this thread."]

    clock.advance(timedelta(hours=2))
    say(bot, "still way too pricey", thread_ts=root)
    quiet(bot)
    assert len(replies(bot, root)) == 1

    other = say(bot, "it is pricey")  # another thread is not muted
    wait_for_post(bot, "no eval run is in yet", thread_ts=other)


def test_no_targets_gets_the_question(clocked_bot: BotUnderTest) -> None:
    bot = clocked_bot
    start_feature(bot, targets=None)
    listen(bot, "support-answers", "on")
    root = say(bot, "users don't care about accuracy")
    reply = wait_for_post(bot, "5%, 10% or 20%", thread_ts=root)
    assert "Agree on a target" in str(reply["blocks"])


def test_a_slow_database_write_is_not_needed_for_the_ack(clocked_bot: BotUnderTest) -> None:
    bot = clocked_bot
    start_feature(bot)
    listen(bot, "support-answers", "on")
    started = time.monotonic()
    say(bot, "the model is hallucinating")
    assert time.monotonic() - started < 1.5
