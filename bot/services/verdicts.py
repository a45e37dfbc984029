"""A run judged against the agreed targets, as the CI gate (`groundline check`) and the upload
API's answer need it: the same snapshot and verdicts the report uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.run_verdicts import RunVerdicts, judge_run, verdicts_json
from bot.errors import NotFound
from bot.services.reports import agreed_targets
from bot.services.runs import judged_facts, latest_run
from bot.store.models import EvalRun, Feature


def judge(session: Session, feature: Feature, run: EvalRun) -> RunVerdicts | None:
    """`run` against the feature's agreed targets; None when nothing is agreed yet."""
    targets = agreed_targets(feature)
    if targets is None:
        return None
    return judge_run(judged_facts(session, run, targets.max_latency_p95_ms), targets)


def judge_latest(session: Session, feature: Feature, label: str | None) -> RunVerdicts:
    """The feature's latest run (of `label`) against the agreed targets. Nothing agreed, or no
    such run, is NotFound: a gate with nothing to judge must not pass."""
    if agreed_targets(feature) is None:
        raise NotFound(
            f"'{feature.slug}' has no agreed targets yet, so there is nothing to check against "
            "(agree on them in the kickoff thread first)"
        )
    run = latest_run(session, feature.id, label)
    if run is None:
        if label is None:
            raise NotFound(f"'{feature.slug}' has no eval run yet; upload one first")
        labels = session.scalars(
            select(EvalRun.label).where(EvalRun.feature_id == feature.id).distinct()
        )
        known = ", ".join(sorted(repr(name) for name in labels if name)) or "none"
        raise NotFound(f"'{feature.slug}' has no eval run labelled {label[:80]!r}; labels: {known}")
    verdicts = judge(session, feature, run)
    assert verdicts is not None  # targets were checked above
    return verdicts


def upload_verdicts(session: Session, feature: Feature, run: EvalRun) -> dict[str, Any] | None:
    """The verdicts the upload API's answer carries (None: nothing agreed yet)."""
    verdicts = judge(session, feature, run)
    return verdicts_json(verdicts) if verdicts is not None else None
