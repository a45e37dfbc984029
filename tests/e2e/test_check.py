"""`groundline check`, the CI gate, against runs uploaded through the API: exit 0 when every
agreed target is met, 1 when one misses, 3 when one is too close to call, 2 for bad usage;
no data fails only with --strict; the API's 201 carries the same verdicts."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.cli import main
from tests.support.bot import BotUnderTest
from tests.support.evals import issue_token, start_feature, upload


def cases(n: int, failed: int, latency_ms: float | None = 100.0, salt: str = "") -> bytes:
    """n cases, the first `failed` failing; latencies rise 1 ms a case from `latency_ms`;
    costs vary between $0.001 and $0.002."""
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "id": f"{salt}q{i:03d}",
            "passed": i >= failed,
            "cost_usd": 0.001 + (i % 3) * 0.0005,
        }
        if latency_ms is not None:
            row["latency_ms"] = latency_ms + i
        rows.append(row)
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


class Gate:
    """`groundline check …` run in this process against the bot's database."""

    def __init__(self, bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
        monkeypatch.setenv("DATABASE_URL", bot.runtime.settings.DATABASE_URL)
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        # main() configures logging for a process of its own; give the test run its own back.
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            code = main(["check", *args])
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


def test_exit_codes_follow_the_verdicts(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    start_feature(bot)  # agreed: error rate ≤ 10%, p95 ≤ 2 s, cost ≤ $0.01 per query
    token = issue_token(bot, "support-answers")
    gate = Gate(bot, monkeypatch, capsys)

    key = {"Idempotency-Key": "ci-run-1"}
    good = upload(bot, "support-answers", cases(200, 2), token, "label=small", key)
    assert good.status == 201, good.body
    retried = upload(bot, "support-answers", cases(200, 2), token, "label=small", key)
    assert retried.status == 200 and retried.body["verdicts"] == good.body["verdicts"]
    assert good.body["verdicts"]["result"] == "meets" and good.body["verdicts"]["exit_code"] == 0
    code, out, _ = gate("support-answers")
    assert code == 0, out
    assert "✓ Error rate: 1% of answers failed" in out and "✓ Latency p95" in out
    assert "Result: every judged target is met. Exit code 0." in out
    code, out, _ = gate("support-answers", "--json")
    record = json.loads(out)
    assert code == 0 and record["result"] == "meets" and record["label"] == "small"
    assert record["measures"] == good.body["verdicts"]["measures"]  # the API said the same

    bad = upload(bot, "support-answers", cases(200, 60, salt="b"), token, "label=big")
    assert bad.status == 201 and bad.body["verdicts"]["result"] == "misses"
    code, out, _ = gate("support-answers")  # the latest run, whatever its label
    assert code == 1 and "✗ Error rate: 30% of answers failed" in out
    assert "Result: misses (error rate). Exit code 1." in out
    assert gate("support-answers", "--label", "small")[0] == 0

    tiny = upload(bot, "support-answers", cases(40, 0, salt="t"), token, "label=tiny")
    assert tiny.status == 201
    code, out, _ = gate("support-answers", "--label", "tiny")
    assert code == 3, out  # 40 timed cases can never show the p95 within budget
    assert "~ Latency p95" in out and "No run of 40 timed cases can show the p95 meets" in out
    assert "it takes at least 72, all within budget" in out
    assert "Result: too close to call (latency p95). Exit code 3." in out

    untimed = upload(bot, "support-answers", cases(200, 1, None, "u"), token, "label=untimed")
    assert untimed.status == 201
    code, out, _ = gate("support-answers", "--label", "untimed")
    assert code == 0 and "– Latency p95: no data yet (the run has no timings)." in out
    assert "no data for latency p95 (fails only with --strict)" in out
    code, out, _ = gate("support-answers", "--label", "untimed", "--strict")
    assert code == 1 and "Result: misses (latency p95). Exit code 1." in out
    strict = json.loads(gate("support-answers", "--label", "untimed", "--json", "--strict")[1])
    assert strict["result"] == "misses" and strict["strict"] is True

    code, _, err = gate("support-answers", "--label", "nope")
    assert code == 1 and "no eval run labelled 'nope'" in err and "'tiny'" in err


def test_nothing_to_judge_fails_and_bad_usage_is_2(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    start_feature(bot, targets=None)
    gate = Gate(bot, monkeypatch, capsys)
    code, _, err = gate("support-answers")
    assert code == 1 and "no agreed targets yet" in err
    code, _, err = gate("no-such-feature")
    assert code == 1 and "unknown feature 'no-such-feature'" in err
    with pytest.raises(SystemExit) as usage:
        gate()
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as unknown_flag:
        gate("support-answers", "--verbose")
    assert unknown_flag.value.code == 2


def test_no_run_yet_fails_rather_than_passing(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    start_feature(bot)
    code, _, err = Gate(bot, monkeypatch, capsys)("support-answers")
    assert code == 1 and "has no eval run yet" in err
