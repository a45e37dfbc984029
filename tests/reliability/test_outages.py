"""Faults outside the bot: the database goes away and comes back, Slack answers with storms of
429s and 500s, and the language model times out. Nothing lost, nothing posted twice."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.localopenai.server import LocalOpenAI
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Feature
from tests.support.bot import SIGNING_SECRET, BotUnderTest, start_bot
from tests.support.figures import FULL, Report, backends, scaled
from tests.support.postgres import PostgresServer, _binary
from tests.support.reliability import ANSWERS, Database, Thread, backend_of, question_counts, roots
from tests.support.serve import ServeProcess

STORM_FAULTS = scaled(3, 10)
# Replies with no number our reader can use (it reads "maybe 1" as 1%): the model is asked.
VAGUE = ["not many, honestly", "hard to say, fewer than the agents", "way less than now"]
MODEL_TIMEOUTS = scaled(1, 3)


def healthz(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
    return status, (time.perf_counter() - started) * 1000


def pg_ctl(server: PostgresServer, *args: str) -> None:
    argv = server._run_as_owner([_binary("pg_ctl"), "-D", str(server.data), "-w", *args])
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def restart_postgres(server: PostgresServer) -> None:
    options = f"-p {server.port} -k {server.root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl(server, "-l", str(server.root / "restarted.log"), "-o", options, "start")


def wait_health(url: str, want: int, timeout: float, figures_acks: list[float]) -> int:
    deadline, status = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        status, elapsed = healthz(url)
        figures_acks.append(elapsed)
        if status == want:
            return status
        time.sleep(0.1)
    return status


@pytest.mark.timeout(180)
def test_database_outage_gives_503_then_recovers_without_a_restart(
    slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    figures = report.open("PostgreSQL stopped and restarted under serve", "postgresql")
    server = PostgresServer().start()
    serve: ServeProcess | None = None
    try:
        server.execute("CREATE DATABASE outage")
        url = server.url("outage")
        serve = ServeProcess(url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start()
        database = Database(url)
        first = Thread(serve_driver(serve, slack), "C0OUT1", "Before the outage")
        assert first.kickoff(figures).status == 200
        pg_ctl(server, "stop", "-m", "fast")
        figures.faults += 1
        assert wait_health(serve.url, 503, 20, figures.acks_ms) == 503
        during = Thread(serve_driver(serve, slack), "C0OUT2", "During the outage")
        refused = during.kickoff(figures)
        restart_postgres(server)
        assert wait_health(serve.url, 200, 30, figures.acks_ms) == 200
        after = Thread(serve_driver(serve, slack), "C0OUT3", "After the outage")
        assert after.kickoff(figures).status == 200
        database.wait_drained(timeout=60)  # skips the backoff the outage caused
        assert database.feature("After the outage") is not None
        assert database.feature("Before the outage") is not None
        # A command that reached a dead database is refused in words (an ephemeral "try again")
        # or, if acknowledged as done, kept.
        kept = database.feature("During the outage") is not None
        told_to_retry = "try again" in refused.body
        figures.lost += refused.status == 200 and not told_to_retry and not kept
        assert refused.status < 500
        database.close()
    finally:
        report.close(figures)
        if serve is not None:
            serve.stop()
        pg_ctl(server, "stop", "-m", "fast")
        server.stop()
    figures.requests = len(figures.acks_ms)
    assert figures.lost == 0


def serve_driver(serve: ServeProcess, slack: LocalSlack) -> SlackDriver:
    return SlackDriver(f"{serve.url}/slack/events", SIGNING_SECRET, slack)


def run_kickoff(bot: BotUnderTest, thread: Thread, acks: list[float]) -> tuple[int, str]:
    reply = thread.kickoff()
    assert reply.status == 200
    acks.append(reply.elapsed_ms)
    bot.settle(timeout=60)
    with bot.session() as session:
        feature = session.query(Feature).filter_by(name=thread.name).one()
        assert feature.thread_ts is not None
        return feature.id, feature.thread_ts


@pytest.mark.timeout(600 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_slack_storms_of_429_and_500_deliver_every_message_once(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open("Slack 429 and 500 storms during a kickoff", backend_of(database_url))
    try:
        thread = Thread(bot.driver, "C0STORM", "Storm feature")
        feature_id, thread_ts = run_kickoff(bot, thread, figures.acks_ms)
        bot.slack.fail("*", status=429, retry_after=1, times=STORM_FAULTS)
        bot.slack.fail("*", status=500, times=STORM_FAULTS)
        for text in ANSWERS:
            reply = thread.send_event(thread.event_body(text, thread_ts))
            assert reply.status == 200
            figures.ack(reply.elapsed_ms)
        bot.settle(timeout=300 if FULL else 100)
        statuses = [call.status for call in bot.slack.calls]
        figures.faults = statuses.count(429) + statuses.count(500)
        counts = question_counts(bot.slack, thread.channel, thread_ts)
        figures.duplicates = sum(max(0, n - 1) for n in counts.values())
        figures.duplicates += roots(bot.slack, thread.channel, thread.name) - 1
        stored = answers_of(database_url, feature_id)
        figures.lost = sum(1 for text in ANSWERS if text not in stored)
    finally:
        report.close(figures)
    figures.requests += 1
    assert figures.faults == 2 * STORM_FAULTS
    assert all(n == 1 for n in counts.values()), counts
    assert figures.lost == 0 and figures.duplicates == 0


@pytest.mark.timeout(300 if FULL else 90)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_model_timeouts_still_bring_our_follow_up_and_fast_acks(
    database_url: str, slack: LocalSlack, report: Report
) -> None:
    figures = report.open("language model times out during a kickoff", backend_of(database_url))
    with LocalOpenAI() as model:
        bot = start_bot(
            database_url, slack, OPENAI_API_KEY="sk-local", OPENAI_BASE_URL=model.base_url
        )
        try:
            thread = Thread(bot.driver, "C0MODEL", "Model timeout feature")
            feature_id, thread_ts = run_kickoff(bot, thread, figures.acks_ms)
            for attempt in range(MODEL_TIMEOUTS):
                model.delay(20.0)  # longer than the bot's 8 s budget: a timeout
                before = len(bot.slack.bot_messages(thread.channel, thread_ts))
                reply = thread.send_event(thread.event_body(VAGUE[attempt % len(VAGUE)], thread_ts))
                assert reply.status == 200
                figures.ack(reply.elapsed_ms)
                figures.faults += 1
                follow_up = wait_new_message(bot, thread.channel, thread_ts, before, 20)
                assert "Confirm" not in json.dumps(follow_up.get("blocks"))
            for text in ANSWERS:
                reply = thread.send_event(thread.event_body(text, thread_ts))
                assert reply.status == 200
                figures.ack(reply.elapsed_ms)
            bot.settle(timeout=30)
            stored = answers_of(database_url, feature_id)
            with bot.session() as session:
                stage = session.get(Feature, feature_id).stage  # type: ignore[union-attr]
            figures.lost = sum(1 for text in ANSWERS if text not in stored)
            figures.duplicates = len(stored) - len(set(stored))
        finally:
            report.close(figures)
            bot.stop()
    figures.requests += 1
    assert stage == "review"
    assert len(model.requests) == MODEL_TIMEOUTS
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.worst_ms < 3000


def wait_new_message(
    bot: BotUnderTest, channel: str, thread_ts: str, before: int, timeout: float
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bot.runtime.deps.outbox_ready.set()
        posted = bot.slack.bot_messages(channel, thread_ts)
        if len(posted) > before:
            return posted[-1]
        time.sleep(0.1)
    raise AssertionError("no follow-up after the model timed out")


def answers_of(database_url: str, feature_id: int) -> list[str]:
    database = Database(database_url)
    try:
        return [text for text in database.answers(feature_id) if text not in VAGUE]
    finally:
        database.close()
