"""Fixtures for a bot with a language model, against the model's loopback stand-in (registered
for every test in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.localopenai.server import LocalOpenAI
from bot.localslack.server import LocalSlack
from tests.support.bot import BotUnderTest, start_bot


@pytest.fixture
def openai() -> Iterator[LocalOpenAI]:
    with LocalOpenAI() as standin:
        yield standin


@pytest.fixture
def llm_bot(database_url: str, slack: LocalSlack, openai: LocalOpenAI) -> Iterator[BotUnderTest]:
    running = start_bot(
        database_url,
        slack,
        OPENAI_API_KEY="sk-test-key",
        OPENAI_BASE_URL=openai.base_url,
        GROUNDLINE_SCHEDULER=False,
    )
    yield running
    running.stop()
