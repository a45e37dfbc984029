"""Loading what a report needs (the team's decisions on it are services/decisions.py).

Reads only the aggregates stored on each EvalRun at ingest, so a report costs the same for runs
of 100 or 100,000 cases; EvalCase is read only for the latest run: a few failing cases' names,
and the count of its timed cases within the latency budget.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.charts import failure_rate_png
from bot.clock import Clock
from bot.domain.options import Option
from bot.domain.report import (
    METRIC_SAMPLES,
    TREND_RUNS,
    DecisionFacts,
    PreviousReport,
    ReportInputs,
    ReportModel,
    TrendPoint,
    build_report,
    trend_points,
)
from bot.domain.runs import RunFacts
from bot.domain.targets import Targets
from bot.services import kickoff
from bot.services.runs import judged_facts, run_facts
from bot.store.models import (
    Decision,
    EvalCase,
    EvalRun,
    Feature,
    MetricSample,
    OutboxMessage,
    Report,
)
from bot.store.states import OutboxKind, OutboxStatus, ReportStatus

log = logging.getLogger(__name__)

FAILING_CASES_SHOWN = 5
DECISIONS_SHOWN = 3


def agreed_targets(feature: Feature) -> Targets | None:
    version = kickoff.agreed_version(feature)
    return kickoff.targets_of(version) if version is not None else None


def _runs_of(feature_id: int) -> Any:
    return select(EvalRun).where(EvalRun.feature_id == feature_id)


def _run_at(session: Session, feature_id: int, moment: datetime) -> RunFacts | None:
    """The latest run stored at or before `moment`."""
    run = session.scalar(
        _runs_of(feature_id).where(EvalRun.created_at <= moment).order_by(EvalRun.id.desc())
    )
    return run_facts(run) if run is not None else None


def _previous_report(
    session: Session, feature: Feature, report_id: int | None
) -> PreviousReport | None:
    query = select(Report).where(
        Report.feature_id == feature.id, Report.status != ReportStatus.FAILED
    )
    if report_id is not None:
        query = query.where(Report.id < report_id)
    report = session.scalar(query.order_by(Report.id.desc()).limit(1))
    if report is None:
        return None
    # The run the report was based on is kept in its payload; older rows fall back to time.
    run_id = (report.payload_json or {}).get("run_id")
    run = session.get(EvalRun, run_id) if isinstance(run_id, int) else None
    facts = run_facts(run) if run is not None else _run_at(session, feature.id, report.created_at)
    return PreviousReport(period=report.period, created_at=report.created_at, run=facts)


def _samples(session: Session, feature_id: int, targets: Targets | None) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    for metric in targets.success_metrics if targets else []:
        values = session.scalars(
            select(MetricSample.value)
            .where(MetricSample.feature_id == feature_id, MetricSample.name == metric.name)
            .order_by(MetricSample.id.desc())
            .limit(METRIC_SAMPLES)
        )
        samples[metric.name] = list(values)[::-1]
    return samples


def _missed_in(session: Session, report_id: int | None) -> list[str]:
    """What the report a decision was taken on missed, as stored in its payload."""
    report = session.get(Report, report_id) if report_id is not None else None
    missed = (report.payload_json or {}).get("missed") if report is not None else None
    return [str(name) for name in missed] if isinstance(missed, list) else []


def _decisions(session: Session, feature_id: int) -> list[DecisionFacts]:
    rows = session.scalars(
        select(Decision)
        .where(Decision.feature_id == feature_id)
        .order_by(Decision.id.desc())
        .limit(DECISIONS_SHOWN)
    )
    return [
        DecisionFacts(
            id=d.id,
            option=Option(d.option),
            by=d.by,
            at=d.at,
            note=d.note,
            report_id=d.report_id,
            run_before=_run_at(session, feature_id, d.at),
            missed=_missed_in(session, d.report_id),
        )
        for d in reversed(list(rows))
        if d.option in Option.__members__.values()
    ]


def _failing_cases(session: Session, run: EvalRun | None) -> list[str]:
    if run is None or run.n_failed == 0:
        return []
    return list(
        session.scalars(
            select(EvalCase.case_id)
            .where(EvalCase.run_id == run.id, EvalCase.passed.is_(False))
            .order_by(EvalCase.case_id)
            .limit(FAILING_CASES_SHOWN)
        )
    )


def load_inputs(
    session: Session, feature: Feature, now: datetime, report_id: int | None = None
) -> ReportInputs:
    targets = agreed_targets(feature)
    recent = list(
        session.scalars(_runs_of(feature.id).order_by(EvalRun.id.desc()).limit(TREND_RUNS))
    )
    recent.reverse()
    latest_ids = (
        select(func.max(EvalRun.id)).where(EvalRun.feature_id == feature.id).group_by(EvalRun.label)
    )
    by_label = session.scalars(
        select(EvalRun).where(EvalRun.id.in_(latest_ids)).order_by(EvalRun.id)
    )
    budget = targets.max_latency_p95_ms if targets else None
    facts = [run_facts(run) for run in recent[:-1]]
    facts += [judged_facts(session, run, budget) for run in recent[-1:]]
    return ReportInputs(
        feature_id=feature.id,
        feature_name=feature.name,
        report_id=report_id,
        now=now,
        targets=targets,
        runs=facts,
        latest_by_label=[run_facts(run) for run in by_label],
        metric_samples=_samples(session, feature.id, targets),
        decisions=_decisions(session, feature.id),
        previous=_previous_report(session, feature, report_id),
        failing_cases=_failing_cases(session, recent[-1] if recent else None),
    )


def build(
    session: Session, feature: Feature, now: datetime, report_id: int | None = None
) -> ReportModel:
    return build_report(load_inputs(session, feature, now, report_id))


def latest_of(
    session: Session, features: Iterable[Feature], now: datetime
) -> dict[int, ReportModel]:
    """The report model of each feature whose numbers matter: agreed targets or a stored run.
    Reads only stored aggregates, like a report."""
    models = {}
    for feature in features:
        one_run = select(EvalRun.id).where(EvalRun.feature_id == feature.id).limit(1)
        has_run = session.scalar(one_run) is not None
        if has_run or agreed_targets(feature) is not None:
            models[feature.id] = build(session, feature, now)
    return models


def payload(model: ReportModel) -> dict[str, Any]:
    """What a posted report was based on, kept on its row: the run and the chart's series."""
    limit = model.inputs.targets.max_error_rate if model.inputs.targets else None
    return {
        "run_id": model.run.id if model.run else None,
        "n": model.run.n if model.run else None,
        "verdicts": {name: v.value for name, v in model.checks.verdicts().items()},
        "missed": model.missed,
        "limit": limit,
        "trend": [point.model_dump(mode="json") for point in trend_points(model.trend)],
    }


def queue_chart(session: Session, clock: Clock, feature: Feature, report: Report) -> None:
    """Queue the chart as a file for the report's thread; it follows the report in the
    channel's outbox queue, so the report's ts is known when it is sent."""
    data = report.payload_json or {}
    points = [TrendPoint.model_validate(point) for point in data.get("trend") or []]
    try:
        png = failure_rate_png(points, data.get("limit"), f"{feature.name}: failure rate per run")
    except Exception:  # a chart is a nice extra; never let it hold the report back
        log.exception("could not draw the chart for report %s", report.id)
        return
    if png is None:
        return
    now = clock.now()
    session.add(
        OutboxMessage(
            kind=OutboxKind.FILE,
            team_id=feature.team_id,
            channel_id=feature.channel_id,
            feature_id=feature.id,
            report_id=report.id,
            text=f"{feature.name}: failure rate per run",
            blocks_json=[
                {
                    "png_base64": base64.b64encode(png).decode("ascii"),
                    "filename": f"{feature.slug}-failure-rate.png",
                }
            ],
            dedup_key=f"report-chart:{report.id}",
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
