"""The language model may word a reframe reply, but only with our numbers: an invented number,
an error or a slow answer means our own template. The ack never waits for the model."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.localopenai.server import LocalOpenAI
from bot.localslack.server import LocalSlack
from tests.support.bot import BotUnderTest, start_bot
from tests.support.reframe import CHANNEL, add_run, start_feature, wait_for_post

TEMPLATE_SNIPPET = "40% of 10 answered test cases failed"


def llm_settings(openai: LocalOpenAI) -> dict[str, object]:
    return {
        "OPENAI_API_KEY": "sk-test-key",
        "OPENAI_BASE_URL": openai.base_url,
        "GROUNDLINE_SCHEDULER": False,
    }


@pytest.fixture
def llm_bot(database_url: str, slack: LocalSlack, openai: LocalOpenAI) -> Iterator[BotUnderTest]:
    running = start_bot(database_url, slack, **llm_settings(openai))
    yield running
    running.stop()


def ask(bot: BotUnderTest, text: str = "the model is hallucinating") -> float:
    feature = start_feature(bot)
    add_run(bot, feature.id)
    started = time.monotonic()
    reply = bot.driver.command("/align", f"reframe {text}", user_id="U0ENG", channel_id=CHANNEL)
    assert reply.status == 200 and reply.elapsed_ms < 1500
    return started


def test_an_invented_number_falls_back_to_our_template(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    openai.reply_with(json.dumps({"text": "Heads up: 73% of 999 answers failed last week."}))
    ask(llm_bot)
    post = wait_for_post(llm_bot, TEMPLATE_SNIPPET)
    assert "73" not in post["text"] and "999" not in post["text"]
    sent = json.dumps(openai.requests[-1])
    assert "40%" in sent and "at most 10%" in sent  # the model got our facts


def test_wording_that_keeps_to_the_facts_is_used(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    worded = "Quick check: 40% of 10 answered test cases failed, and we agreed on at most 10%."
    openai.reply_with(json.dumps({"text": worded}))
    ask(llm_bot)
    post = wait_for_post(llm_bot, "Quick check")
    assert post["text"] == worded


def test_a_failing_model_falls_back(llm_bot: BotUnderTest, openai: LocalOpenAI) -> None:
    openai.fail(status=500)
    ask(llm_bot)
    wait_for_post(llm_bot, TEMPLATE_SNIPPET)


def test_a_slow_model_gets_our_template_after_the_cap(
    tmp_path: Path, slack: LocalSlack, openai: LocalOpenAI
) -> None:
    """SQLite only: this test waits out the 8-second cap once."""
    bot = start_bot(f"sqlite:///{tmp_path}/groundline.db", slack, **llm_settings(openai))
    try:
        openai.delay(20.0)
        openai.reply_with(json.dumps({"text": "Too late: 40% of 10 answered test cases."}))
        started = ask(bot)
        post = wait_for_post(bot, TEMPLATE_SNIPPET, timeout=20.0)
        waited = time.monotonic() - started
        assert not post["text"].startswith("Too late")
        assert 7.0 <= waited < 14.0
    finally:
        bot.stop()
