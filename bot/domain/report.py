"""The report model: stored numbers in, verdicts against the agreed targets out.

Pure: built from plain values (runs' stored aggregates, metric samples, decisions) with `now`
passed in, so every number in a report traces back to a stored row and its sample size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.checklist import Step
from bot.domain.checks import CarriedCheck, RunChecks, carried_checks, check_run
from bot.domain.options import Option, OptionPlan, gives_way, plan_options
from bot.domain.runs import RunFacts
from bot.domain.stats import (
    MeanJudgement,
    RateChange,
    Verdict,
    compare_rates,
    judge_mean,
    wilson_interval,
)
from bot.domain.targets import SuccessMetric, Targets

TREND_RUNS = 12  # runs drawn in the sparkline and the chart
METRIC_SAMPLES = 10  # latest readings of a success measure that are judged together
_FROZEN = ConfigDict(frozen=True)


class DecisionFacts(BaseModel):
    """A recorded decision, with the run that was latest when it was taken and what the report
    it was taken on missed (so its option reads as it was offered)."""

    model_config = _FROZEN
    id: int
    option: Option
    by: str
    at: datetime
    note: str | None = None
    report_id: int | None = None
    run_before: RunFacts | None = None
    missed: list[str] = Field(default_factory=list)


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


class MetricCheck(BaseModel):
    model_config = _FROZEN
    metric: SuccessMetric
    judgement: MeanJudgement


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
    """The latest run of one label against every target an eval run measures."""

    model_config = _FROZEN
    run: RunFacts
    checks: RunChecks
    carried: list[CarriedCheck]  # success measures the run carries as checks
    meets_all: bool
    misses: list[str]  # targets this run clearly misses


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
    carried: list[CarriedCheck]  # success measures without readings, judged from the run's checks
    trend: list[RunFacts]
    sparkline: str
    change: RateChange | None  # since the previous report's run
    missed: list[str]  # target names this run clearly misses
    options: OptionPlan | None  # when something missed
    tradeoff: list[TradeoffRow]  # the latest run of every label, when there are several
    decisions: list[DecisionImpact]
    newly_met: NewlyMet | None

    @property
    def targets_agreed(self) -> bool:
        return self.inputs.targets is not None

    @property
    def revisit_step(self) -> Step | None:
        """Which kickoff step option C reopens."""
        return self.options.revisit_step if self.options is not None else None


_BARS = "▁▂▃▄▅▆▇█"
_GAP = "·"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value scaled between the lowest and highest; a missing run shows as "·".

    NaN and infinities count as missing (they have no place on the scale). A flat series is
    drawn mid-height so it does not read as "all zero".
    """
    present = [value for value in values if value is not None and math.isfinite(value)]
    if not present:
        return _GAP * len(values)
    lowest, highest = min(present), max(present)
    span = highest - lowest
    bars = []
    for value in values:
        if value is None or not math.isfinite(value):
            bars.append(_GAP)
        elif span == 0.0:
            bars.append(_BARS[len(_BARS) // 2 - 1])
        else:
            bars.append(_BARS[round((value - lowest) / span * (len(_BARS) - 1))])
    return "".join(bars)


def _missed(
    checks: RunChecks, metrics: list[MetricCheck], carried: list[CarriedCheck]
) -> list[str]:
    names = [name for name, v in checks.verdicts().items() if v is Verdict.MISSES]
    names += [m.metric.name for m in metrics if m.judgement.verdict is Verdict.MISSES]
    return names + [c.metric.name for c in carried if c.verdict is Verdict.MISSES]


def _tradeoff(inputs: ReportInputs) -> list[TradeoffRow]:
    """Every label's latest run against every target; shown when there are other labels."""
    if len(inputs.latest_by_label) < 2:
        return []
    rows = []
    for run in inputs.latest_by_label:
        checks = check_run(run, inputs.targets)
        carried = carried_checks(run, inputs.targets)
        verdicts = [*checks.verdicts().items(), *((c.metric.name, c.verdict) for c in carried)]
        meets_all = inputs.targets is not None and all(v is Verdict.MEETS for _, v in verdicts)
        misses = [name for name, v in verdicts if v is Verdict.MISSES]
        rows.append(
            TradeoffRow(run=run, checks=checks, carried=carried, meets_all=meets_all, misses=misses)
        )
    giving = gives_way(inputs.targets.tradeoff_priority if inputs.targets else None)

    def rank(row: TradeoffRow) -> tuple[int, int]:
        # Every target met first, then misses only on the budget agreed to give way first.
        return (0 if row.meets_all else 1 if row.misses == [giving] else 2, row.run.id)

    return sorted(rows, key=rank)


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
    from_run = {check.metric.name: check for check in carried_checks(run, inputs.targets)}
    carried = []
    for metric in inputs.targets.success_metrics if inputs.targets else []:
        samples = inputs.metric_samples.get(metric.name, [])[-METRIC_SAMPLES:]
        if not samples and metric.name in from_run:  # the eval run measures it instead
            carried.append(from_run[metric.name])
            continue
        judged = judge_mean(samples, metric.target, metric.direction)
        metrics.append(MetricCheck(metric=metric, judgement=judged))
    trend = inputs.runs[-TREND_RUNS:]
    previous_run = inputs.previous.run if inputs.previous else None
    change = None
    if run is not None and previous_run is not None and previous_run.id != run.id:
        change = compare_rates(previous_run.n_failed, previous_run.n, run.n_failed, run.n)
    missed = _missed(checks, metrics, carried)
    priority = inputs.targets.tradeoff_priority if inputs.targets else None
    return ReportModel(
        inputs=inputs,
        run=run,
        checks=checks,
        metrics=metrics,
        carried=carried,
        trend=trend,
        sparkline=sparkline([r.failure_rate for r in trend]),
        change=change,
        missed=missed,
        options=plan_options(missed, priority) if missed else None,
        tradeoff=_tradeoff(inputs) if missed else [],
        decisions=_impacts(inputs.decisions, run),
        newly_met=_newly_met(inputs, run, checks),
    )
