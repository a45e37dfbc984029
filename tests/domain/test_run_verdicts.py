"""The gate's result when nothing could be judged: a run whose every case errored fails, with
or without --strict, and says why; a run judged on its error rate alone (no timings, no
costs) still passes without --strict."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.run_verdicts import Exit, check_text, judge_run, verdicts_json
from bot.domain.runs import RunFacts
from bot.domain.targets import Targets

TARGETS = Targets(max_error_rate=0.1, max_latency_p95_ms=2000, max_cost_per_query_usd=0.01)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_an_all_errored_run_fails_the_gate_and_says_why() -> None:
    verdicts = judge_run(RunFacts(id=4, created_at=T0, n=0, n_failed=0, n_errored=12), TARGETS)
    assert verdicts.exit_code() == verdicts.exit_code(strict=True) == Exit.MISSES
    text = check_text("Support answers", verdicts)
    assert "plus 12 that errored" in text
    assert text.endswith(
        "Result: nothing to judge (every case errored), and a gate with nothing to judge "
        "fails. Exit code 1."
    )
    assert "every judged target is met" not in text
    record = verdicts_json(verdicts)
    assert record["exit_code"] == 1 and record["nothing_judged"] is True


def test_a_run_judged_on_its_error_rate_alone_passes_without_strict() -> None:
    verdicts = judge_run(RunFacts(id=5, created_at=T0, n=200, n_failed=0), TARGETS)
    assert verdicts.exit_code() == Exit.MET and verdicts.exit_code(strict=True) == Exit.MISSES
    assert verdicts_json(verdicts)["nothing_judged"] is False
    assert "Result: every judged target is met; no data for latency p95, cost per query" in (
        check_text("Support answers", verdicts)
    )
