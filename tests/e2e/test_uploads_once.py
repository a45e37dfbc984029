"""The same results are stored once, by any path; an all-errored run is said and alerted; the
team chooses what counts as a wrong answer. Through the signed HTTP app, the CLI and a file
drop, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.support.bot import BotUnderTest
from tests.support.evals import (
    CHANNEL,
    PM,
    drop_file,
    export,
    issue_token,
    run_cli,
    start_feature,
    stored_counts,
    upload,
    wait_for_thread_text,
)
from tests.support.paths import EVAL_FIXTURES

REAL = EVAL_FIXTURES / "real"


def test_idempotency_key_and_same_content_by_every_path(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    token = issue_token(bot, "support-answers")
    body = (REAL / "promptfoo.json").read_bytes()
    key = {"Idempotency-Key": "ci-run-4711"}

    first = upload(bot, "support-answers", body, token, headers=key)
    retry = upload(bot, "support-answers", body, token, headers=key)
    assert first.status == 201 and "duplicate" not in first.body
    assert retry.status == 200 and retry.body["duplicate"] is True
    assert retry.body["id"] == first.body["id"]
    assert f"run {first.body['id']}" in retry.body["message"]

    other = upload(
        bot, "support-answers", (REAL / "promptfoo.jsonl").read_bytes(), token, headers=key
    )
    assert other.status == 409 and other.body["error"] == "conflict"

    no_key = upload(bot, "support-answers", body, token)  # the same bytes without a key
    assert no_key.status == 200 and no_key.body["id"] == first.body["id"]

    cli = run_cli(bot, "ingest", str(REAL / "promptfoo.json"), "--feature", "support-answers")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith(f"already stored: the same results are run {first.body['id']}")

    assert feature.thread_ts is not None
    drop_file(bot, feature.thread_ts, "results.json", body, "F0SAME")
    reply = wait_for_thread_text(bot, feature.thread_ts, "didn't store it twice")
    assert f"run {first.body['id']}" in reply
    assert stored_counts(bot) == (1, 12)

    # Read another way (judged by one check), the same bytes are another run.
    metric = upload(bot, "support-answers", body, token, query="metric=groundedness")
    assert metric.status == 201 and metric.body["id"] != first.body["id"]


def test_an_all_errored_run_says_so_and_alerts(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    lines = [
        json.dumps({"id": f"q{n}", "error": "upstream model timed out after 30 s"})
        for n in range(4)
    ]
    token = issue_token(bot, "support-answers")
    reply = upload(
        bot, "support-answers", "\n".join(lines).encode(), token, query="name=outage.jsonl"
    )
    assert reply.status == 201
    assert reply.body["n"] == 0 and reply.body["n_errored"] == 4 and reply.body["all_errored"]
    gate = reply.body["verdicts"]  # the CI gate fails: nothing was judged
    assert gate["exit_code"] == 1 and gate["nothing_judged"] is True
    assert feature.thread_ts is not None
    text = wait_for_thread_text(bot, feature.thread_ts, "Every case errored")
    assert "4 of 4" in text and "no data" not in text.lower()
    bot.settle()
    alerts = [
        m["text"] for m in bot.slack.bot_messages(CHANNEL) if "every case" in m.get("text", "")
    ]
    assert any("errored (4 cases)" in text for text in alerts)


def test_choosing_what_counts_as_wrong(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    assert feature.thread_ts is not None
    cli = run_cli(bot, "ingest", str(REAL / "promptfoo.json"), "--feature", "support-answers")
    assert cli.returncode == 0, cli.stderr
    assert (
        "3 of 11 failed" in cli.stdout
        and "wrong = failed groundedness or correctness" in cli.stdout
    )
    listing = wait_for_thread_text(bot, feature.thread_ts, "what counts as a wrong answer")
    assert "`latency` (latency" in listing and "never a wrong answer" in listing
    assert "`length` (other, 1 of 11 failed): does not count" in listing

    refused = bot.driver.command(
        "/align", "wrong support-answers latency", user_id=PM, channel_id=CHANNEL
    )
    assert "latency budget judges it" in str(refused.json()["text"])

    chosen = bot.driver.command(
        "/align", "wrong support-answers cites-source", user_id=PM, channel_id=CHANNEL
    )
    assert "wrong = failed cites-source" in str(chosen.json()["text"])
    bot.settle()  # the stored runs are recounted after the ack
    record = export(bot, "support-answers")
    assert record["feature"]["wrong_answer_checks"]["checks"] == ["cites-source"]
    (run,) = record["eval_runs"]
    assert run["n_failed"] == 2 and run["wrong_means"] == "wrong = failed cites-source"

    later = run_cli(bot, "ingest", str(REAL / "promptfoo.jsonl"), "--feature", "support-answers")
    assert "2 of 11 failed" in later.stdout, later.stdout  # the choice holds for later runs

    outsider = bot.driver.command(
        "/align", "wrong support-answers default", user_id="U0OTHER", channel_id=CHANNEL
    )
    assert "Only the feature's PM" in str(outsider.json()["text"])
    back = bot.driver.command(
        "/align", "wrong support-answers default", user_id=PM, channel_id=CHANNEL
    )
    assert "wrong = failed groundedness or correctness" in str(back.json()["text"])
    bot.settle()
    assert [r["n_failed"] for r in export(bot, "support-answers")["eval_runs"]] == [3, 3]
