"""Reports through the running bot: stored runs of made-up cases, the reports the bot posted,
and their text as people read it."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from bot.services import evals
from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, PM


def cases(n: int, failed: int) -> bytes:
    rows = [
        {"id": f"q{i:03d}", "passed": i >= failed, "latency_ms": 10.0 * i, "cost_usd": 0.002}
        for i in range(n)
    ]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def ingest(bot: BotUnderTest, feature_id: int, body: bytes, label: str) -> int:
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        upload = evals.Upload(io.BytesIO(body), f"{label}.jsonl", "cli", "jsonl", None, label)
        run = evals.store_run(session, bot.runtime.deps.clock, feature, upload)
        return run.id


def blocks_text(message: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found)


def reports(bot: BotUnderTest) -> list[dict[str, Any]]:
    bot.settle()
    return [
        m
        for m in bot.slack.bot_messages(CHANNEL)
        if "thread_ts" not in m and "Report for" in blocks_text(m)
    ]


def ask_for_report(bot: BotUnderTest, count: int) -> dict[str, Any]:
    reply = bot.driver.command("/align", "report support-answers", user_id=PM, channel_id=CHANNEL)
    assert "Posting the report" in reply.json()["text"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        posted = reports(bot)
        if len(posted) >= count:
            return posted[count - 1]
        time.sleep(0.05)
    raise AssertionError("the report was not posted")
