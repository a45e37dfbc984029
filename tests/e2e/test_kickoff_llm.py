"""With a language model configured: a reply our reader cannot place gets the model's reading
(structured output, through the real openai client against the loopback stand-in) shown back
for confirmation, only where every number it read is in the reply; a failing or slow model
falls back to our own follow-up. The ack never waits."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.localopenai.server import LocalOpenAI
from bot.store.models import Feature
from tests.support.bot import BotUnderTest

CHANNEL = "C0FEAT"


def kickoff(bot: BotUnderTest) -> str:
    bot.driver.command("/kickoff", "Support answers", user_id="U0PM", channel_id=CHANNEL)
    bot.settle()
    return str(bot.slack.bot_messages(CHANNEL)[0]["ts"])


def wait_for_thread_post(bot: BotUnderTest, thread_ts: str, count: int) -> list[dict[str, object]]:
    bot.slack.wait_for(
        "chat.postMessage",
        count=count,
        timeout=15,
        predicate=lambda call: call.params.get("thread_ts") == thread_ts,
    )
    bot.settle()
    return [m for m in bot.slack.bot_messages(CHANNEL, thread_ts) if m["ts"] != thread_ts]


def stage(bot: BotUnderTest) -> str:
    with bot.session() as session:
        return session.scalars(select(Feature)).one().stage


def test_model_reading_is_confirmed_before_it_counts(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"error_rate": 0.07, "latency_p95_ms": 2000}))
    said = "what our agents manage now: they slip on 7 tickets a day across ~100 chats"
    reply = llm_bot.driver.message(CHANNEL, said, thread_ts=thread_ts)
    assert reply.status == 200
    posts = wait_for_thread_post(llm_bot, thread_ts, count=2)
    question = posts[-1]
    assert "7%" in question["text"] and "Is that right" in question["text"]
    # 2000 ms is in no number of the reply: the guard dropped it.
    assert "2 s" not in question["text"] and "latency" not in question["text"]
    assert stage(llm_bot) == "error_rate"  # nothing stored as an answer yet
    llm_bot.driver.press(question, label="Yes, that's right", user="U0ENG")
    llm_bot.settle()
    assert stage(llm_bot) == "error_impact"
    request = openai.requests[-1]
    assert "they slip on 7 tickets" in json.dumps(request)


def test_a_reading_with_a_number_not_in_the_reply_is_never_shown(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"error_rate": 0.07}))
    llm_bot.driver.message(CHANNEL, "a handful per batch, tops", thread_ts=thread_ts)
    posts = wait_for_thread_post(llm_bot, thread_ts, count=2)
    assert "Is that right" not in posts[-1]["text"] and "7%" not in posts[-1]["text"]
    assert stage(llm_bot) == "error_rate"


def test_typed_no_rejects_the_reading(llm_bot: BotUnderTest, openai: LocalOpenAI) -> None:
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"error_rate": 0.07}))
    llm_bot.driver.message(CHANNEL, "7 bad ones a day out of 100 chats", thread_ts=thread_ts)
    wait_for_thread_post(llm_bot, thread_ts, count=2)
    llm_bot.driver.message(CHANNEL, "no", thread_ts=thread_ts)
    posts = wait_for_thread_post(llm_bot, thread_ts, count=3)
    assert "Is that right" not in posts[-1]["text"]
    assert stage(llm_bot) == "error_rate"


def test_a_zero_reading_from_the_model_is_still_refused(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"error_rate": 0.0}))
    llm_bot.driver.message(CHANNEL, "we cannot afford a single mistake", thread_ts=thread_ts)
    posts = wait_for_thread_post(llm_bot, thread_ts, count=2)
    assert "Is that right" not in posts[-1]["text"]
    assert stage(llm_bot) == "error_rate"


def test_model_failure_falls_back_to_our_follow_up(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    thread_ts = kickoff(llm_bot)
    openai.fail(status=500)
    reply = llm_bot.driver.message(CHANNEL, "hmm, whatever the industry does", thread_ts=thread_ts)
    assert reply.status == 200
    posts = wait_for_thread_post(llm_bot, thread_ts, count=2)
    assert "Is that right" not in posts[-1]["text"] and "%" in posts[-1]["text"]


def test_a_slow_model_does_not_delay_the_ack(llm_bot: BotUnderTest, openai: LocalOpenAI) -> None:
    thread_ts = kickoff(llm_bot)
    openai.delay(3.0)
    openai.reply_with(json.dumps({"error_rate": 0.05}))
    reply = llm_bot.driver.message(
        CHANNEL,
        "what support tolerates today: 5 complaints a week out of 100 chats",
        thread_ts=thread_ts,
    )
    assert reply.status == 200 and reply.elapsed_ms < 2400  # well before the model's 3 s
    posts = wait_for_thread_post(llm_bot, thread_ts, count=2)
    assert "error rate at most 5%" in posts[-1]["text"]


def test_the_part_of_a_reply_our_reader_could_not_place_goes_to_the_model(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"latency_p95_ms": 1500}))
    said = "10% is our limit. speed-wise the old widget is fine by me, it did 1.5 on the p95 board"
    llm_bot.driver.message(CHANNEL, said, thread_ts=thread_ts)
    posts = wait_for_thread_post(llm_bot, thread_ts, count=3)
    assert "Noted: error rate at most 10%" in json.dumps(posts[1]["blocks"])
    assert "p95 latency at most 1.5 s" in posts[-1]["text"] and "Is that right" in posts[-1]["text"]
    asked = json.dumps(openai.requests[-1])
    assert "it did 1.5 on the p95 board" in asked and "10% is our limit" not in asked


def test_a_refused_reply_to_yes_on_a_reading_is_told_to_whoever_pressed(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    """Slack refuses the bot's reply to the press for good: the presser hears it through the
    click's response_url (tests/e2e/test_asked_refusals.py has the other paths)."""
    thread_ts = kickoff(llm_bot)
    openai.reply_with(json.dumps({"error_rate": 0.07}))
    said = "what our agents manage now: they slip on 7 tickets a day across ~100 chats"
    llm_bot.driver.message(CHANNEL, said, thread_ts=thread_ts)
    question = wait_for_thread_post(llm_bot, thread_ts, count=2)[-1]
    llm_bot.slack.fail("chat.postMessage", status=200, error="is_archived", channel=CHANNEL)
    marked = len(llm_bot.slack.calls_to("response_url"))
    llm_bot.driver.press(question, label="Yes, that's right", user="U0ENG")
    llm_bot.settle()
    assert stage(llm_bot) == "error_impact"  # the answer is stored all the same
    told = [
        str(c.params.get("text"))
        for c in llm_bot.slack.wait_for("response_url", count=marked + 1)[marked:]
    ]
    assert len(told) == 1 and "I couldn't post my reply in the kickoff thread" in told[0]
    assert "is archived" in told[0] and "recorded all the same" in told[0]
