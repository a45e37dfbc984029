"""Real promptfoo and Inspect outputs, and JSONL/CSV files, in through all three paths; then
`groundline export` must show the numbers computed independently from the raw files."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.models import EvalCase, EvalRun
from tests.support.bot import BotUnderTest
from tests.support.evals import (
    FIXTURES,
    assert_matches,
    drop_file,
    expected_numbers,
    export,
    issue_token,
    run_cli,
    start_feature,
    upload,
    wait_for_thread_text,
)

FILES = {  # under tests/fixtures/evals/: two real tools' files and our own generic format
    "real/promptfoo-v1.json": "promptfoo",
    "real/inspect-0.3.285.json": "inspect",
    "ours/cases.jsonl": "jsonl",
    "ours/cases.csv": "csv",
}


def check_export(bot: BotUnderTest, source: str) -> None:
    runs = export(bot, "support-answers")["eval_runs"]
    assert [run["format"] for run in runs] == list(FILES.values())
    for run, name in zip(runs, FILES, strict=True):
        assert run["source"] == source
        assert_matches(run, expected_numbers(name))
    with bot.session() as session:  # every case kept, errored ones included
        for run_id, name in zip([r["id"] for r in runs], FILES, strict=True):
            count = session.scalar(
                select(func.count()).select_from(EvalCase).where(EvalCase.run_id == run_id)
            )
            expected = expected_numbers(name)
            assert count == expected["n"] + expected["n_errored"]


def test_cli_ingest_of_every_format(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    for name in FILES:
        result = run_cli(bot, "ingest", str(FIXTURES / name), "--feature", "support-answers")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("stored run") and len(result.stdout.splitlines()) == 1
    check_export(bot, "cli")
    assert feature.thread_ts is not None
    summary = wait_for_thread_text(bot, feature.thread_ts, "New eval run")
    assert "Error rate" in summary and "Agreed limit: 10%" in summary


def test_cli_label_format_and_metric(bot: BotUnderTest) -> None:
    start_feature(bot)
    path = str(FIXTURES / "real" / "promptfoo-v1.json")
    args = ["--label", "v2 prompt", "--format", "promptfoo", "--metric", "cites-source"]
    result = run_cli(bot, "ingest", path, "--feature", "support-answers", *args)
    assert result.returncode == 0, result.stderr
    run = export(bot, "support-answers")["eval_runs"][0]
    assert run["label"] == "v2 prompt" and run["metric"] == "cites-source"
    unlabelled = run_cli(bot, "ingest", path, "--feature", "support-answers")
    assert unlabelled.returncode == 0, unlabelled.stderr
    assert export(bot, "support-answers")["eval_runs"][1]["label"] == "support-bot-v1"


def test_http_upload_of_every_format(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    token = issue_token(bot, "support-answers")
    for index, name in enumerate(FILES):
        key = "support-answers" if index % 2 else str(feature.id)  # slug or id
        reply = upload(bot, key, (FIXTURES / name).read_bytes(), token, "label=ci")
        assert reply.status == 201, reply.body
        assert reply.body["label"] == "ci"
        assert_matches(reply.body, expected_numbers(name))
    check_export(bot, "api")


def test_file_dropped_in_the_kickoff_thread(bot: BotUnderTest) -> None:
    feature = start_feature(bot)
    assert feature.thread_ts is not None
    for index, name in enumerate(FILES):
        file = FIXTURES / name
        drop_file(bot, feature.thread_ts, file.name, file.read_bytes(), f"F{index}")
        wait_for_run_count(bot, index + 1)
    check_export(bot, "slack_file")
    downloads = bot.slack.calls_to("file_download")
    assert len(downloads) == len(FILES)


def wait_for_run_count(bot: BotUnderTest, count: int) -> None:
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with bot.session() as session:
            if session.scalar(select(func.count()).select_from(EvalRun)) == count:
                return
        time.sleep(0.05)
    raise AssertionError(f"expected {count} runs")
