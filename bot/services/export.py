"""A feature's whole record as plain data (the `groundline export` JSON of the contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import kickoff
from bot.store.models import Decision, EvalRun, Feature, MetricSample, Report, TargetVersion


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def version_json(version: TargetVersion) -> dict[str, Any]:
    values = version.values_json
    return {
        "version": version.version,
        "status": version.status.value,
        "max_error_rate": values.get("max_error_rate"),
        "error_impact": values.get("error_impact"),
        "fallback": values.get("fallback"),
        "success_metrics": values.get("success_metrics") or [],
        "max_latency_p95_ms": values.get("max_latency_p95_ms"),
        "max_cost_per_query_usd": values.get("max_cost_per_query_usd"),
        "tradeoff_priority": values.get("tradeoff_priority"),
        "agreed_by": [
            {"user_id": s.user_id, "role": s.role, "at": _iso(s.at)} for s in version.signoffs
        ],
        "agreed_at": _iso(version.agreed_at),
        "created_at": _iso(version.created_at),
        "changed_by": version.changed_by,
        "reason": version.reason,
    }


def run_json(run: EvalRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "label": run.label,
        "source": run.source,
        "format": run.file_format,
        "metric": run.metric,
        "created_at": _iso(run.created_at),
        "n": run.n,
        "n_failed": run.n_failed,
        "n_errored": run.n_errored,
        "failure_rate": run.failure_rate,
        "failure_rate_ci95": (
            [run.ci_low, run.ci_high]
            if run.ci_low is not None and run.ci_high is not None
            else None
        ),
        "latency_p50_ms": run.latency_p50_ms,
        "latency_p95_ms": run.latency_p95_ms,
        # Nearest-rank p50/p95 over `latency_n` timed cases; an end is null when too few cases.
        "latency_n": run.latency_n,
        "latency_p95_ci95": [run.latency_p95_low_ms, run.latency_p95_high_ms],
        "cost_per_query_usd": run.cost_per_query_usd,
        "cost_n": run.cost_n,
        "cost_sd_usd": run.cost_sd_usd,
        "cost_min_usd": run.cost_min_usd,
        "cost_max_usd": run.cost_max_usd,
        # Which checks the file carried and which counted as a wrong answer for this run.
        "checks": (run.checks_json or {}).get("checks") or [],
        "wrong_means": (run.checks_json or {}).get("wrong_means"),
        "all_errored": run.n == 0 and run.n_errored > 0,
    }


def export_feature(session: Session, feature: Feature) -> dict[str, Any]:
    versions = list(feature.target_versions)
    current = kickoff.current_version(feature)  # withdrawn and replaced proposals are history
    runs = session.scalars(
        select(EvalRun).where(EvalRun.feature_id == feature.id).order_by(EvalRun.id)
    )
    samples = session.scalars(
        select(MetricSample).where(MetricSample.feature_id == feature.id).order_by(MetricSample.id)
    )
    decisions = session.scalars(
        select(Decision).where(Decision.feature_id == feature.id).order_by(Decision.id)
    )
    reports = session.scalars(
        select(Report).where(Report.feature_id == feature.id).order_by(Report.id)
    )
    return {
        "feature": {
            "id": feature.id,
            "name": feature.name,
            "slug": feature.slug,
            "team_id": feature.team_id,
            "channel_id": feature.channel_id,
            "thread_ts": feature.thread_ts,
            "created_by": feature.created_by,
            "created_at": _iso(feature.created_at),
            "stage": feature.stage,
            "pm_user_id": feature.pm_user_id,
            "engineer_user_id": feature.engineer_user_id,
            "timezone": feature.timezone,
            "schedule": feature.schedule,
            # The team's choice of checks that count as a wrong answer; null: the default
            # (failed correctness or groundedness checks).
            "wrong_answer_checks": feature.wrong_checks_json,
        },
        "targets": version_json(current),
        "target_history": [version_json(v) for v in versions if v is not current],
        "eval_runs": [run_json(run) for run in runs],
        "metric_samples": [
            {"name": s.name, "value": s.value, "at": _iso(s.at), "by": s.by} for s in samples
        ],
        "decisions": [
            {
                "option": d.option,
                "by": d.by,
                "at": _iso(d.at),
                "report_id": d.report_id,
                "note": d.note,
            }
            for d in decisions
        ],
        "reports": [
            {
                "id": r.id,
                "posted_at": _iso(r.posted_at),
                "channel_id": r.channel_id,
                "ts": r.ts,
                "period": r.period,
                "status": r.status,
            }
            for r in reports
        ],
    }
