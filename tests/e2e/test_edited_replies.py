"""Kickoff replies edited or deleted in Slack (`message_changed` / `message_deleted` events, as
the stand-in's driver sends them). Found by the adversarial pass: an answer "15%" edited to
"5%" kept 15% without a word, and a deleted answer still counted, silently. What was noted
from a reply stays (an edit never changes agreed-to-be numbers behind anyone's back) and the
thread is told, with how to change it; a reply from which nothing was noted is read again as
edited, as if just posted."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.localopenai.server import LocalOpenAI
from bot.store.models import Answer, InboxMessage
from bot.store.states import InboxStatus
from tests.support.bot import BotUnderTest
from tests.support.kickoff import CHANNEL, ENG, PM, say, start, thread_messages


def texts(bot: BotUnderTest, thread_ts: str) -> list[str]:
    return [str(m.get("text", "")) for m in thread_messages(bot, thread_ts)]


def reply_ts(bot: BotUnderTest, thread_ts: str, user: str = PM) -> str:
    return str(
        [m for m in bot.slack.messages(CHANNEL, thread_ts) if m.get("user") == user][-1]["ts"]
    )


def error_rates(bot: BotUnderTest) -> list[object]:
    with bot.session() as session:
        rows = session.scalars(
            select(Answer).where(Answer.step == "error_rate", Answer.accepted).order_by(Answer.id)
        )
        return [row.value_json["value"] for row in rows if row.value_json]


def test_an_edited_answer_keeps_what_was_noted_and_says_how_to_change_it(bot: BotUnderTest) -> None:
    thread_ts = start(bot)
    say(bot, thread_ts, "15%")
    before = texts(bot, thread_ts)
    assert bot.driver.edit(CHANNEL, reply_ts(bot, thread_ts), "5%").status == 200
    bot.settle()
    after = texts(bot, thread_ts)
    assert len(after) == len(before) + 1
    note = after[-1]
    assert "edited" in note and "15%" in note and "change error rate to" in note
    assert error_rates(bot) == [0.15]  # the edit changed nothing stored

    say(bot, thread_ts, "a refund and an angry customer")
    assert bot.driver.delete(CHANNEL, reply_ts(bot, thread_ts)).status == 200
    bot.settle()
    note = texts(bot, thread_ts)[-1]
    assert "deleted" in note and "a refund and an angry customer" in note and "still" in note
    with bot.session() as session:
        assert session.scalars(select(Answer.step).where(Answer.accepted)).all() == [
            "error_rate",
            "error_impact",
        ]


def test_an_edited_reply_that_gave_nothing_is_read_as_edited(bot: BotUnderTest) -> None:
    thread_ts = start(bot)
    say(bot, thread_ts, "hmm, let me think about it", user=ENG)
    count = len(texts(bot, thread_ts))
    assert bot.driver.edit(CHANNEL, reply_ts(bot, thread_ts, ENG), "12%").status == 200
    bot.settle()
    (read,) = thread_messages(bot, thread_ts)[count:]
    assert "Noted: error rate at most 12%" in json.dumps(read["blocks"], ensure_ascii=False)
    assert error_rates(bot) == [0.12]


def test_edits_that_change_no_words_and_others_messages_are_left_alone(bot: BotUnderTest) -> None:
    thread_ts = start(bot)
    say(bot, thread_ts, "15%")
    count = len(texts(bot, thread_ts))
    ts = reply_ts(bot, thread_ts)
    # Slack also sends message_changed when only an unfurl or language metadata changed.
    assert bot.driver.edit(CHANNEL, ts, "15%").status == 200
    # The bot's own messages change whenever it updates them: never an answer.
    own = thread_messages(bot, thread_ts)[-1]
    assert bot.driver.edit(CHANNEL, str(own["ts"]), "10%").status == 200
    # A top-level message edited in the channel is no kickoff reply.
    bot.driver.message(CHANNEL, "lunch?", user=ENG)
    top = [m for m in bot.slack.messages(CHANNEL) if m.get("text") == "lunch?"][-1]
    assert bot.driver.edit(CHANNEL, str(top["ts"]), "10%").status == 200
    bot.settle()
    assert len(texts(bot, thread_ts)) == count
    assert error_rates(bot) == [0.15]


def test_an_edited_reply_goes_to_the_model_again(
    llm_bot: BotUnderTest,
    openai: LocalOpenAI,
) -> None:
    """The edit of a reply the model was asked about is asked about again: the model's job
    was keyed by the message's ts alone, so the edit's job collided with the first one and the
    edit was never read (found by the adversarial pass)."""
    bot = llm_bot
    thread_ts = start(bot)
    openai.reply_with(json.dumps({}))  # the model reads nothing in the first version
    say(bot, thread_ts, "our agents slip up a handful of times, roughly", user=ENG)
    bot.settle()
    openai.reply_with(json.dumps({"error_rate": 0.07}))
    edited = "our agents slip on 7 tickets a day across ~100 chats"
    assert bot.driver.edit(CHANNEL, reply_ts(bot, thread_ts, ENG), edited).status == 200
    bot.settle()
    assert "7%" in texts(bot, thread_ts)[-1] and "Is that right" in texts(bot, thread_ts)[-1]
    with bot.session() as session:
        failed = session.scalars(
            select(InboxMessage).where(InboxMessage.status == InboxStatus.FAILED)
        ).all()
        assert failed == []
