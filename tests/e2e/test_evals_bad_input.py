"""Every kind of bad input: a one-line message naming the problem, and nothing stored."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot.localslack.server import LocalSlack
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import (
    FIXTURES,
    drop_file,
    issue_token,
    run_cli,
    start_feature,
    stored_counts,
    upload,
    wait_for_thread_text,
)

BROKEN = FIXTURES / "broken"
# file, what the message must say
BAD_FILES = [
    ("truncated.jsonl", "the JSON ended early"),
    ("truncated_promptfoo.json", "truncated_promptfoo.json: the JSON ended early at byte"),
    ("wrong_format.json", "not a promptfoo, Inspect or DeepEval file"),
    ("notes.txt", "not a promptfoo, Inspect, DeepEval, JUnit, JSONL or CSV file"),
    ("empty.json", "no test cases (the file is empty)"),
    ("header_only.csv", "header_only.csv: no test cases"),
    ("no_results_promptfoo.json", "no test cases"),
    ("missing_passed.jsonl", "line 3: field 'passed' is missing"),
    ("negative_latency.jsonl", "field 'latency_ms' is negative"),
    ("not_boolean.csv", "field 'grounded' is 'maybe'"),
]
NEGATIVE_COST = b'{"id": "a", "passed": true, "cost_usd": -0.5}\n'


def test_cli_refuses_bad_files_and_stores_nothing(bot: BotUnderTest) -> None:
    start_feature(bot)
    for name, message in BAD_FILES:
        result = run_cli(bot, "ingest", str(BROKEN / name), "--feature", "support-answers")
        assert result.returncode == 1, (name, result.stderr)
        assert message in result.stderr, (name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert stored_counts(bot) == (0, 0), name


def test_cli_usage_and_lookup_errors(bot: BotUnderTest, tmp_path: object) -> None:
    start_feature(bot)
    good = str(FIXTURES / "ours" / "cases.jsonl")
    unknown = run_cli(bot, "ingest", good, "--feature", "no-such-thing")
    assert unknown.returncode == 1 and "unknown feature 'no-such-thing'" in unknown.stderr
    missing = run_cli(bot, "ingest", "/nonexistent/results.json", "--feature", "support-answers")
    assert missing.returncode == 1 and "/nonexistent/results.json" in missing.stderr
    wrong = run_cli(bot, "ingest", good, "--feature", "support-answers", "--format", "promptfoo")
    assert wrong.returncode == 1 and "cases.jsonl: not a promptfoo file" in wrong.stderr
    metric = run_cli(bot, "ingest", good, "--feature", "support-answers", "--metric", "tone")
    assert metric.returncode == 1 and "no check named 'tone' in cases.jsonl" in metric.stderr
    usage = run_cli(bot, "ingest", good, "--feature", "support-answers", "--format", "xml")
    assert usage.returncode == 2
    no_feature = run_cli(bot, "ingest", good)
    assert no_feature.returncode == 2
    assert stored_counts(bot) == (0, 0)


def test_api_refuses_bad_files_tokens_and_features(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    other = start_feature(bot, "Search", targets=None)
    token = issue_token(bot, "support-answers")
    for name, message in BAD_FILES:
        reply = upload(bot, "support-answers", (BROKEN / name).read_bytes(), token)
        assert reply.status == 400, (name, reply.body)
        assert (
            reply.body["error"] == "bad_input" and message.split(": ")[-1] in reply.body["message"]
        )
        assert "\n" not in reply.body["message"]
    negative = upload(bot, "support-answers", NEGATIVE_COST, token)
    assert negative.status == 400 and "cost_usd" in negative.body["message"]
    bad_format = upload(bot, str(feature.id), b'{"id": "a", "passed": true}\n', token, "format=xml")
    assert bad_format.status == 400 and "unknown format 'xml'" in bad_format.body["message"]
    good = (FIXTURES / "ours" / "cases.jsonl").read_bytes()
    for reply, status in [
        (upload(bot, "support-answers", good, None), 401),
        (upload(bot, "support-answers", good, "gl_not-a-real-token"), 401),
        (upload(bot, "support-answers", good, "Bearer"), 401),
        (upload(bot, "no-such-feature", good, token), 404),
        (upload(bot, other.slug, good, token), 401),  # a token opens its own feature only
    ]:
        assert reply.status == status, reply.body
        assert set(reply.body) == {"error", "message"} and reply.body["message"]
    assert stored_counts(bot) == (0, 0)


@pytest.fixture
def small_limit_bot(database_url: str, slack: LocalSlack) -> Iterator[BotUnderTest]:
    running = start_bot(database_url, slack, GROUNDLINE_MAX_UPLOAD_BYTES=1000)
    yield running
    running.stop()


def test_oversized_upload_is_refused_before_it_is_read(small_limit_bot: BotUnderTest) -> None:
    bot = small_limit_bot
    start_feature(bot)
    token = issue_token(bot, "support-answers")
    # The route refuses from Content-Length alone (waitress itself buffers a request's body
    # before calling the app, so this cannot prove from outside that the app read nothing).
    parts = urlsplit(bot.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    body = (FIXTURES / "ours" / "cases.jsonl").read_bytes() * 3
    assert len(body) > 1000
    connection.request(
        "POST",
        "/api/v1/features/support-answers/eval-runs",
        body=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    response = connection.getresponse()
    reply = json.loads(response.read())
    connection.close()
    assert response.status == 413 and reply["error"] == "too_large"
    assert "1,000 bytes" in reply["message"]
    assert stored_counts(bot) == (0, 0)


def test_oversized_or_broken_file_in_thread(small_limit_bot: BotUnderTest) -> None:
    bot = small_limit_bot
    feature = start_feature(bot)
    assert feature.thread_ts is not None
    big = (FIXTURES / "real" / "promptfoo-v1.json").read_bytes()
    drop_file(bot, feature.thread_ts, "big.json", big, "FBIG")
    refusal = wait_for_thread_text(bot, feature.thread_ts, "upload limit")
    assert "big.json" in refusal
    assert bot.slack.calls_to("file_download") == []  # refused from the size, never fetched
    broken = (BROKEN / "missing_passed.jsonl").read_bytes()
    drop_file(bot, feature.thread_ts, "missing_passed.jsonl", broken, "FBAD")
    error = wait_for_thread_text(bot, feature.thread_ts, "couldn't store")
    assert "line 3: field 'passed' is missing" in error
    assert stored_counts(bot) == (0, 0)
