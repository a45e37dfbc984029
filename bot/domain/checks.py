"""One run against the agreed targets: the error rate, latency p95 and cost per query, each with
its interval and a verdict (meets, misses, too close to call, no data). Reports, reframe answers,
the thread summary, `groundline check` and the upload API's answer all read these."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.costs import CostSummary, judge_cost
from bot.domain.quantiles import LatencySummary, fewest_for_upper_end, judge_latency
from bot.domain.runs import CheckTally, RunFacts
from bot.domain.stats import Verdict, judge_rate, wilson_interval
from bot.domain.targets import Direction, SuccessMetric, Targets

_FROZEN = ConfigDict(frozen=True)


class Measure(StrEnum):
    """The run-level targets, by the names reports and stored payloads use."""

    ERROR_RATE = "error rate"
    LATENCY = "latency p95"
    COST = "cost per query"


class RateCheck(BaseModel):
    """The error rate of one run against the agreed ceiling (limit None: none agreed)."""

    model_config = _FROZEN
    verdict: Verdict
    n: int
    n_failed: int
    rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    limit: float | None = None
    cases_needed: int | None = None
    on_the_limit: bool = False
    fewest_to_meet: int | None = None


class LatencyCheck(BaseModel):
    """The p95 against the budget (budget None: none agreed; summary None: no timings)."""

    model_config = _FROZEN
    verdict: Verdict
    summary: LatencySummary | None
    budget_ms: float | None
    within: int | None = None
    cases_needed: int | None = None
    on_the_limit: bool = False
    fewest_to_meet: int = fewest_for_upper_end()


class CostCheck(BaseModel):
    """The mean cost per answered query against the budget (None: none agreed / no costs)."""

    model_config = _FROZEN
    verdict: Verdict
    summary: CostSummary | None
    budget_usd: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    cases_needed: int | None = None
    on_the_limit: bool = False


class RunChecks(BaseModel):
    """One run against the three run-level targets."""

    model_config = _FROZEN
    error_rate: RateCheck
    latency: LatencyCheck
    cost: CostCheck

    def verdicts(self) -> dict[str, Verdict]:
        return {
            Measure.ERROR_RATE: self.error_rate.verdict,
            Measure.LATENCY: self.latency.verdict,
            Measure.COST: self.cost.verdict,
        }


def check_error_rate(run: RunFacts | None, limit: float | None) -> RateCheck:
    if run is None or run.n == 0:
        n, failed = (run.n, run.n_failed) if run else (0, 0)
        return RateCheck(verdict=Verdict.NO_DATA, n=n, n_failed=failed, limit=limit)
    if limit is None:
        low, high = wilson_interval(run.n_failed, run.n)
        return RateCheck(
            verdict=Verdict.NO_DATA,
            n=run.n,
            n_failed=run.n_failed,
            rate=run.n_failed / run.n,
            ci_low=low,
            ci_high=high,
        )
    judged = judge_rate(run.n_failed, run.n, limit)
    return RateCheck(
        verdict=judged.verdict,
        n=run.n,
        n_failed=run.n_failed,
        rate=judged.rate,
        ci_low=judged.ci_low,
        ci_high=judged.ci_high,
        limit=limit,
        cases_needed=judged.cases_needed,
        on_the_limit=judged.on_the_limit,
        fewest_to_meet=judged.fewest_to_meet,
    )


def check_latency(run: RunFacts | None, budget_ms: float | None) -> LatencyCheck:
    summary = run.latency if run is not None else None
    if summary is None or budget_ms is None:
        return LatencyCheck(verdict=Verdict.NO_DATA, summary=summary, budget_ms=budget_ms)
    assert run is not None  # a summary comes from a run
    within = run.within(budget_ms)
    if not summary.interval_known:  # an older run whose cases are gone: no interval to judge
        return LatencyCheck(verdict=Verdict.TOO_CLOSE, summary=summary, budget_ms=budget_ms)
    judged = judge_latency(summary, budget_ms, within)
    return LatencyCheck(
        verdict=judged.verdict,
        summary=summary,
        budget_ms=budget_ms,
        within=within,
        cases_needed=judged.cases_needed,
        on_the_limit=judged.on_the_limit,
        fewest_to_meet=judged.fewest_to_meet,
    )


def check_cost(run: RunFacts | None, budget_usd: float | None) -> CostCheck:
    summary = run.cost if run is not None else None
    if summary is None or budget_usd is None:
        return CostCheck(verdict=Verdict.NO_DATA, summary=summary, budget_usd=budget_usd)
    judged = judge_cost(summary, budget_usd)
    return CostCheck(
        verdict=judged.verdict,
        summary=summary,
        budget_usd=budget_usd,
        ci_low=judged.ci_low,
        ci_high=judged.ci_high,
        cases_needed=judged.cases_needed,
        on_the_limit=judged.on_the_limit,
    )


def check_run(run: RunFacts | None, targets: Targets | None) -> RunChecks:
    """A run's error rate, latency p95 and cost per query against whatever is agreed."""
    agreed = targets or Targets()
    return RunChecks(
        error_rate=check_error_rate(run, agreed.max_error_rate),
        latency=check_latency(run, agreed.max_latency_p95_ms),
        cost=check_cost(run, agreed.max_cost_per_query_usd),
    )


# ---- success measures an eval run carries ----------------------------------------------------


def share_target(metric: SuccessMetric) -> float | None:
    """A success measure read as a share of cases that pass a check: "groundedness ≥ 90%" is
    0.9, and so is a plain 0.9; anything else ("CSAT ≥ 4.2") is not a share of cases."""
    unit = metric.unit.strip()
    if unit.startswith("%"):
        share = metric.target / 100.0
    elif not unit and 0.0 < metric.target < 1.0:
        share = metric.target
    else:
        return None
    return share if 0.0 < share < 1.0 else None


def _key(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


class CarriedCheck(BaseModel):
    """A success measure the run carries as a check of the same name: the share of answered
    cases that passed it, with its Wilson interval, against the agreed share."""

    model_config = _FROZEN
    metric: SuccessMetric
    check_name: str
    target_share: float
    n: int
    n_passed: int
    verdict: Verdict
    share: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    cases_needed: int | None = None
    on_the_limit: bool = False
    fewest_to_meet: int | None = None


def _carried(metric: SuccessMetric, tally: CheckTally, target: float) -> CarriedCheck:
    passed = tally.n - tally.n_failed
    base = {
        "metric": metric,
        "check_name": tally.name,
        "target_share": target,
        "n": tally.n,
        "n_passed": passed,
    }
    if tally.n == 0:
        return CarriedCheck(verdict=Verdict.NO_DATA, **base)
    if metric.direction is Direction.AT_LEAST:  # passing ≥ t is failing ≤ 1 − t
        judged = judge_rate(tally.n_failed, tally.n, 1.0 - target)
        low, high = 1.0 - (judged.ci_high or 0.0), 1.0 - (judged.ci_low or 0.0)
    else:
        judged = judge_rate(passed, tally.n, target)
        low, high = judged.ci_low or 0.0, judged.ci_high or 0.0
    return CarriedCheck(
        verdict=judged.verdict,
        share=passed / tally.n,
        ci_low=low,
        ci_high=high,
        cases_needed=judged.cases_needed,
        on_the_limit=judged.on_the_limit,
        fewest_to_meet=judged.fewest_to_meet,
        **base,
    )


def carried_checks(run: RunFacts | None, targets: Targets | None) -> list[CarriedCheck]:
    """Each agreed success measure that names one of the run's checks and reads as a share."""
    if run is None or targets is None:
        return []
    by_name = {_key(tally.name): tally for tally in run.checks}
    carried = []
    for metric in targets.success_metrics:
        tally, target = by_name.get(_key(metric.name)), share_target(metric)
        if tally is not None and target is not None:
            carried.append(_carried(metric, tally, target))
    return carried
