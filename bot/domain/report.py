"""The report model: stored numbers in, verdicts against the agreed targets out.

Pure: built from plain values (runs' stored aggregates, metric samples, decisions) with `now`
passed in, so every number in a report traces back to a stored row and its sample size.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.checklist import Step
from bot.domain.stats import (
    MeanJudgement,
    RateChange,
    Verdict,
    compare_rates,
    judge_mean,
    judge_rate,
    judge_value,
    sparkline,
    wilson_interval,
)
from bot.domain.targets import Direction, SuccessMetric, Targets

TREND_RUNS = 12  # runs drawn in the sparkline and the chart
METRIC_SAMPLES = 10  # latest readings of a success measure that are judged together
_FROZEN = ConfigDict(frozen=True)


class Option(StrEnum):
    STRONGER_MODEL = "A"
    RETRIEVAL = "B"
    REVISIT_TARGET = "C"


class RunFacts(BaseModel):
    """One stored eval run's aggregates (EvalRun), as computed at ingest."""

    model_config = _FROZEN
    id: int
    label: str | None = None
    created_at: datetime
    n: int = Field(ge=0)
    n_failed: int = Field(ge=0)
    n_errored: int = Field(ge=0, default=0)
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    cost_per_query_usd: float | None = None
    wrong_means: str | None = None  # "wrong = failed groundedness or correctness" (ingest)

    @property
    def failure_rate(self) -> float | None:
        return self.n_failed / self.n if self.n else None


class DecisionFacts(BaseModel):
    """A recorded decision, with the run that was latest when it was taken."""

    model_config = _FROZEN
    id: int
    option: Option
    by: str
    at: datetime
    note: str | None = None
    report_id: int | None = None
    run_before: RunFacts | None = None


class PreviousReport(BaseModel):
    model_config = _FROZEN
    period: str
    created_at: datetime
    run: RunFacts | None = None  # the latest run when that report was made


class ReportInputs(BaseModel):
    model_config = _FROZEN
    feature_id: int
    feature_name: str
    report_id: int | None = None
    now: datetime
    targets: Targets | None = None  # None: nothing agreed yet
    runs: list[RunFacts] = Field(default_factory=list)  # recent runs, oldest first
    latest_by_label: list[RunFacts] = Field(default_factory=list)
    metric_samples: dict[str, list[float]] = Field(default_factory=dict)
    decisions: list[DecisionFacts] = Field(default_factory=list)  # oldest first
    previous: PreviousReport | None = None
    failing_cases: list[str] = Field(default_factory=list)


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


class ValueCheck(BaseModel):
    """Latency p95 or cost per query against its budget (budget None: none agreed)."""

    model_config = _FROZEN
    value: float | None
    budget: float | None
    verdict: Verdict


class MetricCheck(BaseModel):
    model_config = _FROZEN
    metric: SuccessMetric
    judgement: MeanJudgement


class RunChecks(BaseModel):
    """One run against the three run-level targets."""

    model_config = _FROZEN
    error_rate: RateCheck
    latency: ValueCheck
    cost: ValueCheck

    def verdicts(self) -> dict[str, Verdict]:
        return {
            "error rate": self.error_rate.verdict,
            "latency p95": self.latency.verdict,
            "cost per query": self.cost.verdict,
        }


class TrendPoint(BaseModel):
    """One run on the chart: its failure rate and 95% interval (None when nothing answered)."""

    model_config = _FROZEN
    run_id: int
    label: str | None
    created_at: datetime
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


def trend_points(runs: list[RunFacts]) -> list[TrendPoint]:
    points = []
    for run in runs:
        low, high = wilson_interval(run.n_failed, run.n) if run.n else (None, None)
        points.append(
            TrendPoint(
                run_id=run.id,
                label=run.label,
                created_at=run.created_at,
                n=run.n,
                rate=run.failure_rate,
                ci_low=low,
                ci_high=high,
            )
        )
    return points


class TradeoffRow(BaseModel):
    model_config = _FROZEN
    run: RunFacts
    checks: RunChecks
    meets_all: bool


class DecisionImpact(BaseModel):
    """The numbers before and after a decision (after: the latest run, when it came later)."""

    model_config = _FROZEN
    decision: DecisionFacts
    before: RunFacts | None
    after: RunFacts | None
    change: RateChange | None


class NewlyMet(BaseModel):
    model_config = _FROZEN
    targets: list[str]
    run: RunFacts
    decision: DecisionFacts | None  # the latest decision since the previous report, if any


class ReportModel(BaseModel):
    model_config = _FROZEN
    inputs: ReportInputs
    run: RunFacts | None
    checks: RunChecks
    metrics: list[MetricCheck]
    trend: list[RunFacts]
    sparkline: str
    change: RateChange | None  # since the previous report's run
    missed: list[str]  # target names this run clearly misses
    revisit_step: Step | None  # which kickoff step option C reopens
    tradeoff: list[TradeoffRow]
    decisions: list[DecisionImpact]
    newly_met: NewlyMet | None

    @property
    def targets_agreed(self) -> bool:
        return self.inputs.targets is not None


def check_error_rate(run: RunFacts | None, limit: float | None) -> RateCheck:
    if run is None or run.n == 0:
        n, failed = (run.n, run.n_failed) if run else (0, 0)
        return RateCheck(verdict=Verdict.NO_DATA, n=n, n_failed=failed, limit=limit)
    if limit is None:
        low, high = wilson_interval(run.n_failed, run.n)
        rate = run.n_failed / run.n
        return RateCheck(
            verdict=Verdict.NO_DATA,
            n=run.n,
            n_failed=run.n_failed,
            rate=rate,
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
    )


def _check_value(value: float | None, budget: float | None) -> ValueCheck:
    verdict = Verdict.NO_DATA if budget is None else judge_value(value, budget, Direction.AT_MOST)
    return ValueCheck(value=value, budget=budget, verdict=verdict)


def check_run(run: RunFacts | None, targets: Targets | None) -> RunChecks:
    """A run's error rate, latency p95 and cost per query against whatever is agreed."""
    agreed = targets or Targets()
    return RunChecks(
        error_rate=check_error_rate(run, agreed.max_error_rate),
        latency=_check_value(run.latency_p95_ms if run else None, agreed.max_latency_p95_ms),
        cost=_check_value(run.cost_per_query_usd if run else None, agreed.max_cost_per_query_usd),
    )


def _missed(checks: RunChecks, metrics: list[MetricCheck]) -> list[str]:
    names = [name for name, v in checks.verdicts().items() if v is Verdict.MISSES]
    return names + [m.metric.name for m in metrics if m.judgement.verdict is Verdict.MISSES]


_STEP_OF = {"error rate": Step.ERROR_RATE, "latency p95": Step.LATENCY, "cost per query": Step.COST}


def _tradeoff(inputs: ReportInputs) -> list[TradeoffRow]:
    rows = []
    for run in inputs.latest_by_label:
        checks = check_run(run, inputs.targets)
        agreed = [v for v in checks.verdicts().values()]
        meets_all = inputs.targets is not None and all(v is Verdict.MEETS for v in agreed)
        rows.append(TradeoffRow(run=run, checks=checks, meets_all=meets_all))
    return rows


def _impacts(decisions: list[DecisionFacts], latest: RunFacts | None) -> list[DecisionImpact]:
    impacts = []
    for decision in decisions:
        before = decision.run_before
        after = latest if latest is not None and latest.created_at > decision.at else None
        if after is not None and before is not None and after.id == before.id:
            after = None
        change = None
        if before is not None and after is not None:
            change = compare_rates(before.n_failed, before.n, after.n_failed, after.n)
        impacts.append(DecisionImpact(decision=decision, before=before, after=after, change=change))
    return impacts


def _newly_met(inputs: ReportInputs, run: RunFacts | None, now: RunChecks) -> NewlyMet | None:
    previous = inputs.previous
    if run is None or previous is None or previous.run is None or previous.run.id == run.id:
        return None
    before = check_run(previous.run, inputs.targets).verdicts()
    met = [
        name
        for name, verdict in now.verdicts().items()
        if verdict is Verdict.MEETS and before[name] is Verdict.MISSES
    ]
    if not met:
        return None
    since = [d for d in inputs.decisions if previous.created_at < d.at <= run.created_at]
    return NewlyMet(targets=met, run=run, decision=since[-1] if since else None)


def build_report(inputs: ReportInputs) -> ReportModel:
    run = inputs.runs[-1] if inputs.runs else None
    checks = check_run(run, inputs.targets)
    metrics = []
    for metric in inputs.targets.success_metrics if inputs.targets else []:
        samples = inputs.metric_samples.get(metric.name, [])[-METRIC_SAMPLES:]
        judged = judge_mean(samples, metric.target, metric.direction)
        metrics.append(MetricCheck(metric=metric, judgement=judged))
    trend = inputs.runs[-TREND_RUNS:]
    previous_run = inputs.previous.run if inputs.previous else None
    change = None
    if run is not None and previous_run is not None and previous_run.id != run.id:
        change = compare_rates(previous_run.n_failed, previous_run.n, run.n_failed, run.n)
    missed = _missed(checks, metrics)
    revisit = None
    if missed:
        revisit = _STEP_OF.get(missed[0], Step.SUCCESS_METRICS)
    return ReportModel(
        inputs=inputs,
        run=run,
        checks=checks,
        metrics=metrics,
        trend=trend,
        sparkline=sparkline([r.failure_rate for r in trend]),
        change=change,
        missed=missed,
        revisit_step=revisit,
        tradeoff=_tradeoff(inputs) if missed else [],
        decisions=_impacts(inputs.decisions, run),
        newly_met=_newly_met(inputs, run, checks),
    )
