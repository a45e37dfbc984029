"""A kickoff through the running bot, up to the summary and its sign-offs, for tests that start
from there (sign-offs, changes after agreement, concurrency)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.store.models import Feature, SignOff, TargetVersion
from tests.support.bot import BotUnderTest

CHANNEL = "C0FEAT"
PM, ENG, OTHER = "U0PM", "U0ENG", "U0OTHER"
PLAIN_ANSWERS = ["10%", "a refund", "say I'm not sure", "CSAT ≥ 4", "2 s", "$0.01 per query"]
PLAIN_ANSWERS += ["cost"]


def thread_messages(bot: BotUnderTest, thread_ts: str) -> list[dict[str, Any]]:
    bot.settle()
    return [m for m in bot.slack.bot_messages(CHANNEL, thread_ts) if m.get("ts") != thread_ts]


def start(bot: BotUnderTest, text: str = f"Support answers <@{PM}|ana> <@{ENG}|raj>") -> str:
    reply = bot.driver.command("/kickoff", text, user_id=PM, channel_id=CHANNEL)
    assert reply.status == 200, reply.body
    bot.settle()
    with bot.session() as session:
        thread_ts = session.scalars(select(Feature)).one().thread_ts
    assert thread_ts is not None
    return thread_ts


def last_bot_text(bot: BotUnderTest, thread_ts: str) -> str:
    """The bot's newest post in the thread, its blocks and text as one string to search."""
    message = thread_messages(bot, thread_ts)[-1]
    return json.dumps(message.get("blocks")) + message.get("text", "")


def answer(bot: BotUnderTest, thread_ts: str, text: str, user: str = PM) -> str:
    """A reply in the thread, and what the bot said last after it."""
    reply = bot.driver.message(CHANNEL, text, user=user, thread_ts=thread_ts)
    assert reply.status == 200
    return last_bot_text(bot, thread_ts)


def kickoff_targets(feature: Feature) -> dict[str, Any]:
    return dict(feature.target_versions[-1].values_json)


def say(bot: BotUnderTest, thread_ts: str, text: str, user: str = PM) -> None:
    reply = bot.driver.message(CHANNEL, text, user=user, thread_ts=thread_ts)
    assert reply.status == 200
    bot.settle()


def to_summary(bot: BotUnderTest) -> str:
    thread_ts = start(bot)
    for text in PLAIN_ANSWERS:
        say(bot, thread_ts, text)
    return thread_ts


def latest_summary(bot: BotUnderTest, thread_ts: str) -> dict[str, Any]:
    """The newest message in the thread with sign-off buttons, as Slack holds it now."""
    for message in reversed(thread_messages(bot, thread_ts)):
        if "signoff_pm" in json.dumps(message.get("blocks")):
            return message
    raise AssertionError("no summary with sign-off buttons in the thread")


def press(bot: BotUnderTest, message: dict[str, Any], label: str, user: str) -> None:
    assert bot.driver.press(message, label=label, user=user).status == 200
    bot.settle()


def agree(bot: BotUnderTest, thread_ts: str) -> None:
    summary = latest_summary(bot, thread_ts)
    press(bot, summary, "Sign off as PM", PM)
    press(bot, latest_summary(bot, thread_ts), "Sign off as engineer", ENG)


def versions(bot: BotUnderTest) -> list[TargetVersion]:
    with bot.session() as session:
        found = list(session.scalars(select(TargetVersion).order_by(TargetVersion.version)))
        for version in found:
            _ = version.signoffs
        session.expunge_all()
    return found


def signoffs(bot: BotUnderTest) -> list[SignOff]:
    with bot.session() as session:
        found = list(session.scalars(select(SignOff).order_by(SignOff.id)))
        session.expunge_all()
    return found


def told(bot: BotUnderTest, user: str) -> str:
    """Everything said privately to `user` (response_url replies and ephemeral messages)."""
    bot.settle()
    said = [str(c.params.get("text", "")) for c in bot.slack.calls_to("response_url")]
    said += [
        str(c.params.get("text", ""))
        for c in bot.slack.calls_to("chat.postEphemeral")
        if c.params.get("user") == user
    ]
    return "\n".join(said)
