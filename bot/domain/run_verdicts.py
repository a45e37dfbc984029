"""Every target an eval run measures, judged for a CI gate (`groundline check`) and the upload
API's answer: the same verdicts and sentences as the report, as plain data.

Exit codes (the contract's): 0 when every judged measure meets its target, 1 when one misses, 3
when one is too close to call and none misses. A measure with no data (the run has no timings,
no costs) is listed and fails the gate only with `strict`, as exit 1. A run with nothing judged
at all (every case errored) fails like a gate with no run: a broken provider must not pass CI.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.domain import measure_text
from bot.domain.checks import Measure, carried_checks, check_run
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.style import PLAIN, Style
from bot.domain.targets import Targets


class Exit(IntEnum):
    MET = 0
    MISSES = 1
    USAGE = 2
    TOO_CLOSE = 3


class MeasureVerdict(BaseModel):
    """One target against the run: the verdict, the numbers behind it, the report's sentence."""

    model_config = ConfigDict(frozen=True)
    measure: str  # "error rate", "latency p95", "cost per query", or a success measure's name
    verdict: Verdict
    value: float | None  # rate, p95 in ms, mean cost in USD, or pass share
    ci95: tuple[float | None, float | None] | None
    target: float | None
    n: int | None  # cases behind the number
    cases_needed: int | None  # more cases that would settle a too-close verdict
    text: str


class RunVerdicts(BaseModel):
    model_config = ConfigDict(frozen=True)
    run: RunFacts
    measures: list[MeasureVerdict]
    not_judged: list[str]  # targets an eval run does not measure, each with why

    def nothing_judged(self) -> bool:
        return all(m.verdict is Verdict.NO_DATA for m in self.measures)

    def exit_code(self, strict: bool = False) -> Exit:
        verdicts = [m.verdict for m in self.measures]
        if Verdict.MISSES in verdicts or (strict and Verdict.NO_DATA in verdicts):
            return Exit.MISSES
        if self.nothing_judged():
            return Exit.MISSES
        if Verdict.TOO_CLOSE in verdicts:
            return Exit.TOO_CLOSE
        return Exit.MET

    def result(self, strict: bool = False) -> str:
        return {
            Exit.MET: "meets",
            Exit.MISSES: "misses",
            Exit.TOO_CLOSE: "too_close",
            Exit.USAGE: "usage",
        }[self.exit_code(strict)]


def judge_run(run: RunFacts, targets: Targets, style: Style = PLAIN) -> RunVerdicts:
    """Every agreed target an eval run measures; budgets not agreed are left out."""
    checks = check_run(run, targets)
    why = "every case in the run errored" if run.n == 0 else "no answered cases"
    measures: list[MeasureVerdict] = []
    not_judged: list[str] = []
    rate = checks.error_rate
    if rate.limit is not None:
        measures.append(
            MeasureVerdict(
                measure=Measure.ERROR_RATE,
                verdict=rate.verdict,
                value=rate.rate,
                ci95=(rate.ci_low, rate.ci_high) if rate.rate is not None else None,
                target=rate.limit,
                n=rate.n,
                cases_needed=rate.cases_needed,
                text=measure_text.error_rate_line(rate, why, style, run.wrong_means),
            )
        )
    latency = checks.latency
    if latency.budget_ms is not None:
        summary = latency.summary
        measures.append(
            MeasureVerdict(
                measure=Measure.LATENCY,
                verdict=latency.verdict,
                value=summary.p95_ms if summary else None,
                ci95=(summary.p95_low_ms, summary.p95_high_ms) if summary else None,
                target=latency.budget_ms,
                n=summary.n if summary else None,
                cases_needed=latency.cases_needed,
                text=measure_text.latency_line(latency, "the run has no timings", style),
            )
        )
    cost = checks.cost
    if cost.budget_usd is not None:
        measures.append(
            MeasureVerdict(
                measure=Measure.COST,
                verdict=cost.verdict,
                value=cost.summary.mean_usd if cost.summary else None,
                ci95=(cost.ci_low, cost.ci_high) if cost.summary else None,
                target=cost.budget_usd,
                n=cost.summary.n if cost.summary else None,
                cases_needed=cost.cases_needed,
                text=measure_text.cost_line(cost, "the run has no costs", style),
            )
        )
    carried = {check.metric.name: check for check in carried_checks(run, targets)}
    for metric in targets.success_metrics:
        check = carried.get(metric.name)
        if check is None:
            not_judged.append(
                f"{metric.name}: not measured by this eval run (no check of that name that "
                "reads as a share of cases); reports judge it from /align metric readings"
            )
            continue
        measures.append(
            MeasureVerdict(
                measure=metric.name,
                verdict=check.verdict,
                value=check.share,
                ci95=(check.ci_low, check.ci_high) if check.share is not None else None,
                target=check.target_share,
                n=check.n,
                cases_needed=check.cases_needed,
                text=measure_text.carried_line(check, style),
            )
        )
    for name, agreed in (
        ("error rate", targets.max_error_rate),
        ("latency p95", targets.max_latency_p95_ms),
        ("cost per query", targets.max_cost_per_query_usd),
    ):
        if agreed is None:
            not_judged.append(f"{name}: nothing agreed")
    return RunVerdicts(run=run, measures=measures, not_judged=not_judged)


def verdicts_json(verdicts: RunVerdicts, strict: bool = False) -> dict[str, Any]:
    """The gate's verdicts as JSON (also in the upload API's 201)."""
    return {
        "result": verdicts.result(strict),
        "exit_code": int(verdicts.exit_code(strict)),
        "strict": strict,
        "nothing_judged": verdicts.nothing_judged(),  # every case errored: exit 1 regardless
        "measures": [
            {
                "measure": m.measure,
                "verdict": m.verdict.value,
                "value": m.value,
                "ci95": list(m.ci95) if m.ci95 is not None else None,
                "target": m.target,
                "n": m.n,
                "cases_needed": m.cases_needed,
                "text": m.text,
            }
            for m in verdicts.measures
        ],
        "not_judged": verdicts.not_judged,
    }


_MARKS = {Verdict.MEETS: "✓", Verdict.MISSES: "✗", Verdict.TOO_CLOSE: "~", Verdict.NO_DATA: "–"}
_RESULT_WORDS = {
    Exit.MET: "every judged target is met",
    Exit.MISSES: "misses",
    Exit.TOO_CLOSE: "too close to call",
}


def check_text(feature_name: str, verdicts: RunVerdicts, strict: bool = False) -> str:
    """What `groundline check` prints: the run, one report sentence per target, the result."""
    run = verdicts.run
    label = f' "{run.label}"' if run.label else ""
    errored = f", plus {run.n_errored} that errored" if run.n_errored else ""
    lines = [
        f"{feature_name}: run #{run.id}{label} from {run.created_at:%Y-%m-%d %H:%M} UTC, "
        f"{measure_text.count(run.n, 'answered test case')}{errored}."
    ]
    lines += [f"{_MARKS[m.verdict]} {m.text}" for m in verdicts.measures]
    if verdicts.not_judged:
        lines.append("Not judged here: " + "; ".join(verdicts.not_judged) + ".")
    code = verdicts.exit_code(strict)
    if verdicts.nothing_judged():
        why = "every case errored" if run.n == 0 else "the run has no data for any target"
        lines.append(
            f"Result: nothing to judge ({why}), and a gate with nothing to judge fails. "
            f"Exit code {int(code)}."
        )
        return "\n".join(lines)
    names = {
        Exit.MISSES: [m.measure for m in verdicts.measures if m.verdict is Verdict.MISSES]
        + (
            [m.measure for m in verdicts.measures if m.verdict is Verdict.NO_DATA] if strict else []
        ),
        Exit.TOO_CLOSE: [m.measure for m in verdicts.measures if m.verdict is Verdict.TOO_CLOSE],
    }.get(code, [])
    which = f" ({', '.join(names)})" if names else ""
    no_data = [m.measure for m in verdicts.measures if m.verdict is Verdict.NO_DATA]
    if no_data and not strict:
        which += f"; no data for {', '.join(no_data)} (fails only with --strict)"
    lines.append(f"Result: {_RESULT_WORDS[code]}{which}. Exit code {int(code)}.")
    return "\n".join(lines)
