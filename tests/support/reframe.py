"""Helpers for the reframe tests: a feature in a given state, a small run, waiting for replies."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from bot.services.evals import Upload, store_run
from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, TARGETS, start_feature

__all__ = ["CHANNEL", "TARGETS", "add_run", "bot_posts", "quiet", "start_feature", "wait_for_post"]


def add_run(bot: BotUnderTest, feature_id: int, failed: int = 4, n: int = 10) -> None:
    """A run of n cases, `failed` of them failed; latencies 2.5 s (over a 2 s budget)."""
    rows = [
        {"id": f"case-{i}", "passed": i >= failed, "latency_ms": 2500, "cost_usd": 0.002}
        for i in range(n)
    ]
    data = "\n".join(json.dumps(row) for row in rows).encode()
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        upload = Upload(stream=io.BytesIO(data), name="run.jsonl", source="cli")
        store_run(session, bot.runtime.deps.clock, feature, upload)


def bot_posts(bot: BotUnderTest, thread_ts: str | None = None) -> list[dict[str, Any]]:
    return list(bot.slack.bot_messages(CHANNEL, thread_ts))


def wait_for_post(
    bot: BotUnderTest, needle: str, thread_ts: str | None = None, timeout: float = 15.0
) -> dict[str, Any]:
    """The first bot message (in the channel, or one thread) whose text contains `needle`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bot.settle()
        for message in bot_posts(bot, thread_ts):
            if needle in str(message.get("text", "")):
                return message
        time.sleep(0.05)
    texts = [m.get("text") for m in bot_posts(bot, thread_ts)]
    raise AssertionError(f"no bot message containing {needle!r}; saw {texts}")


def quiet(bot: BotUnderTest, seconds: float = 0.6) -> None:
    """Give background work time to run (or not), then let the outbox drain."""
    time.sleep(seconds)
    bot.settle()
