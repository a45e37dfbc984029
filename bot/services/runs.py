"""Stored eval runs and their one snapshot of numbers (RunFacts): written once at ingest, read by
every place that reports or judges a run."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.costs import CostSummary, summarise_costs
from bot.domain.quantiles import LatencySummary, summarise_latencies
from bot.domain.runs import CheckTally, RunFacts
from bot.store.models import EvalCase, EvalRun


def record_numbers(run: EvalRun, latencies: Iterable[float], costs: Iterable[float]) -> None:
    """Store the latency and cost aggregates of a run's answered cases (NaN = not measured)."""
    latency = summarise_latencies(latencies)
    run.latency_n = latency.n if latency else None
    run.latency_p50_ms = latency.p50_ms if latency else None
    run.latency_p95_ms = latency.p95_ms if latency else None
    run.latency_p95_low_ms = latency.p95_low_ms if latency else None
    run.latency_p95_high_ms = latency.p95_high_ms if latency else None
    cost = summarise_costs(costs)
    run.cost_n = cost.n if cost else None
    run.cost_per_query_usd = cost.mean_usd if cost else None
    run.cost_sd_usd = cost.sd_usd if cost else None
    run.cost_min_usd = cost.min_usd if cost else None
    run.cost_max_usd = cost.max_usd if cost else None


def _latency(run: EvalRun) -> LatencySummary | None:
    if run.latency_p95_ms is None or run.latency_p50_ms is None:
        return None
    return LatencySummary(
        # Runs stored before intervals were kept, whose cases are gone: no interval (None ends).
        n=run.latency_n if run.latency_n is not None else run.n,
        p50_ms=run.latency_p50_ms,
        p95_ms=run.latency_p95_ms,
        p95_low_ms=run.latency_p95_low_ms,
        p95_high_ms=run.latency_p95_high_ms,
        interval_known=run.latency_n is not None,
    )


def _cost(run: EvalRun) -> CostSummary | None:
    mean = run.cost_per_query_usd
    if mean is None:
        return None
    return CostSummary(
        n=run.cost_n if run.cost_n is not None else run.n,
        mean_usd=mean,
        sd_usd=run.cost_sd_usd,
        min_usd=run.cost_min_usd if run.cost_min_usd is not None else mean,
        max_usd=run.cost_max_usd if run.cost_max_usd is not None else mean,
        interval_known=run.cost_n is not None,
    )


def run_facts(run: EvalRun) -> RunFacts:
    return RunFacts(
        id=run.id,
        label=run.label,
        created_at=run.created_at,
        n=run.n,
        n_failed=run.n_failed,
        n_errored=run.n_errored,
        latency=_latency(run),
        cost=_cost(run),
        wrong_means=(run.checks_json or {}).get("wrong_means"),
        checks=_checks(run),
    )


def _checks(run: EvalRun) -> list[CheckTally]:
    """The run's checks as ingest kept them (eval_runs.checks_json); odd entries are skipped."""
    tallies = []
    for entry in (run.checks_json or {}).get("checks") or []:
        try:
            tallies.append(CheckTally.model_validate(entry))
        except ValidationError:
            continue
    return tallies


def judged_facts(session: Session, run: EvalRun, latency_budget_ms: float | None) -> RunFacts:
    """The snapshot of a run about to be judged: with its timed cases within the latency budget
    counted (one indexed query), so a too-close latency can say how many cases would settle it."""
    facts = run_facts(run)
    if latency_budget_ms is None or facts.latency is None or run.latency_n is None:
        return facts
    within = session.scalar(
        select(func.count())
        .select_from(EvalCase)
        .where(
            EvalCase.run_id == run.id,
            EvalCase.errored.is_(False),
            EvalCase.latency_ms <= latency_budget_ms,
        )
    )
    if within is None or within > facts.latency.n:  # cases pruned or changed: do not guess
        return facts
    return facts.model_copy(update={"within_latency_budget": (latency_budget_ms, int(within))})


def latest_run(session: Session, feature_id: int, label: str | None = None) -> EvalRun | None:
    """The feature's newest run (of `label`, when given)."""
    query = select(EvalRun).where(EvalRun.feature_id == feature_id)
    if label is not None:
        query = query.where(EvalRun.label == label)
    return session.scalar(query.order_by(EvalRun.created_at.desc(), EvalRun.id.desc()).limit(1))
