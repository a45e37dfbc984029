"""A captured slash command or interaction, sent again byte for byte inside Slack's five-minute
signature window (so the signature still checks out), runs once: one sample, one token, one
decision, one note. Through signed HTTP on SQLite and PostgreSQL, one after another and all at
once, and across two `serve` replicas on one PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.localslack.driver import Delivered, SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Decision, FeatureToken, MetricSample
from tests.support.bot import SIGNING_SECRET, BotUnderTest
from tests.support.evals import CHANNEL, PM, run_cli, start_feature
from tests.support.postgres import PostgresServer
from tests.support.serve import ServeProcess, wait_drained

TARGETS = {
    "max_error_rate": 0.10,
    "max_latency_p95_ms": 2000.0,
    "max_cost_per_query_usd": 0.01,
    "success_metrics": [{"name": "CSAT", "target": 4.2, "direction": "at_least", "unit": ""}],
}
ENGINEER = "U0ENG"
REPLAYS = 3


def replay_at_once(send: list[Any]) -> list[Delivered]:
    """Every replay in its own thread, released together."""
    answers: list[Delivered] = []
    start = threading.Barrier(len(send))

    def one(resend: Any) -> None:
        start.wait(timeout=10)
        answers.append(resend())

    threads = [threading.Thread(target=one, args=(resend,)) for resend in send]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def count(bot: BotUnderTest, model: type[Any]) -> int:
    with bot.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_replayed_metric_stores_one_sample(bot: BotUnderTest) -> None:
    start_feature(bot, targets=TARGETS)
    first = bot.driver.command("/align", "metric support-answers CSAT 4.4", user_id=PM)
    assert "Noted" in first.json()["text"]
    later = [bot.driver.replay(first) for _ in range(REPLAYS)]
    assert all(reply.status == 200 for reply in later)
    assert all("handled it once" in reply.json()["text"] for reply in later)
    at_once = replay_at_once([lambda: bot.driver.replay(first)] * REPLAYS)
    assert [reply.status for reply in at_once] == [200] * REPLAYS
    assert count(bot, MetricSample) == 1
    # A new command with the same words is a new request (a new trigger_id): it counts.
    bot.driver.command("/align", "metric support-answers CSAT 4.4", user_id=PM)
    assert count(bot, MetricSample) == 2


def test_a_replayed_token_command_mints_nothing_and_shows_no_token(bot: BotUnderTest) -> None:
    start_feature(bot)
    first = bot.driver.command("/align", "token support-answers", user_id=PM)
    assert "gl_" in first.body
    replays = [bot.driver.replay(first) for _ in range(REPLAYS)]
    replays += replay_at_once([lambda: bot.driver.replay(first)] * REPLAYS)
    # Whoever replays a captured request reads the answer: it must not carry a token.
    assert all(reply.status == 200 and "gl_" not in reply.body for reply in replays)
    assert count(bot, FeatureToken) == 1


def decision_confirmation(bot: BotUnderTest, tmp_path: Path) -> tuple[dict[str, Any], Delivered]:
    """A report in the channel and the engineer's press of A; returns the report and the press."""
    feature = start_feature(bot, targets=TARGETS)
    rows = [{"id": f"q{i}", "passed": i >= 12, "latency_ms": 10.0} for i in range(40)]
    results = tmp_path / "run.jsonl"
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = run_cli(bot, "ingest", str(results), "--feature", str(feature.id), "--label", "small")
    assert done.returncode == 0, done.stderr
    asked = bot.driver.command("/align", "report support-answers", user_id=PM, channel_id=CHANNEL)
    assert "Posting the report" in asked.json()["text"]
    report = wait_for(bot, lambda m: "thread_ts" not in m and "Report for" in json.dumps(m))
    pressed = bot.driver.press(report, label="A) Stronger model", user=ENGINEER)
    assert pressed.status == 200
    return report, pressed


def wait_for(bot: BotUnderTest, wanted: Any, thread_ts: str | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        found = [m for m in bot.slack.bot_messages(CHANNEL, thread_ts) if wanted(m)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the message did not appear")


def test_a_replayed_decision_and_note_are_recorded_and_posted_once(
    bot: BotUnderTest, tmp_path: Path
) -> None:
    report, pressed = decision_confirmation(bot, tmp_path)
    replays = [bot.driver.replay(pressed) for _ in range(REPLAYS)]
    replays += replay_at_once([lambda: bot.driver.replay(pressed)] * REPLAYS)
    assert all(reply.status == 200 for reply in replays)
    confirmation = wait_for(bot, lambda m: "chose A)" in m.get("text", ""), report["ts"])
    bot.driver.press(confirmation, label="Add a note", user=ENGINEER)
    bot.slack.wait_for("views.open", count=1)
    form = bot.slack.calls_to("views.open")[-1]
    saved = bot.driver.view_submission(form, {"decision_note": "one week, then compare"}, ENGINEER)
    assert saved.status == 200 and "errors" not in saved.body
    notes = [bot.driver.replay(saved) for _ in range(REPLAYS)]
    notes += replay_at_once([lambda: bot.driver.replay(saved)] * REPLAYS)
    assert all(reply.status == 200 and "errors" not in reply.body for reply in notes)
    bot.settle()
    time.sleep(0.3)  # a wrongly repeated post would be queued by now
    bot.settle()
    thread = [m["text"] for m in bot.slack.bot_messages(CHANNEL, report["ts"])]
    assert sum("chose A)" in text for text in thread) == 1
    assert sum("note on A)" in text for text in thread) == 1
    assert count(bot, Decision) == 1


def test_replays_at_two_replicas_on_one_postgresql_run_once(
    postgres: PostgresServer, slack: LocalSlack, tmp_path: Path
) -> None:
    name = postgres.fresh_database("replays")
    url = postgres.url(name)
    replicas = [
        ServeProcess(url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start() for _ in range(2)
    ]
    drivers = [SlackDriver(f"{r.url}/slack/events", SIGNING_SECRET, slack) for r in replicas]
    try:
        assert drivers[0].command("/kickoff", "Support answers", channel_id=CHANNEL).status == 200
        wait_drained(url)
        first = drivers[0].command("/align", "metric support-answers CSAT 4.4", user_id=PM)
        assert "Noted" in first.json()["text"], first.body
        token = drivers[1].command("/align", "token support-answers", user_id=PM)
        assert "gl_" in token.body
        sends = [
            lambda driver=driver, delivered=delivered: driver.replay(delivered)
            for driver in drivers
            for delivered in (first, token)
            for _ in range(REPLAYS)
        ]
        replies = replay_at_once(sends)
        assert len(replies) == len(sends) and all(r.status == 200 for r in replies)
        assert all("gl_" not in reply.body for reply in replies)
    finally:
        for replica in replicas:
            replica.stop()
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            samples = session.scalar(select(func.count()).select_from(MetricSample))
            tokens = session.scalar(select(func.count()).select_from(FeatureToken))
    finally:
        engine.dispose()
        postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert (samples, tokens) == (1, 1)
