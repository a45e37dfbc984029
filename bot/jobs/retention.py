"""Per-case rows are kept for a while, then pruned; every run keeps its aggregates for good.

Reports, trends, the trade-off table and the export read the aggregates stored on each run at
ingest; only "which cases failed" reads per-case rows, and only of the latest run. So after
`GROUNDLINE_CASE_RETENTION_DAYS` a run's cases are deleted, except for the latest run of each
label of each feature, whatever its age. Deleting in small batches keeps each transaction short
(SQLite has one writer) and lets acks go first between batches. Safe on several replicas: a row
is deleted once, whoever gets there first.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, select

from bot.deps import Deps
from bot.store.models import EvalCase, EvalRun, ProcessedDelivery

log = logging.getLogger(__name__)

BATCH = 5000
# Keys of handled deliveries (event ids, replay keys of commands and interactions) matter
# while Slack may retry (within the hour) or a captured request still has a valid signature
# (five minutes): a day is plenty.
DELIVERY_KEY_DAYS = 1
MAX_BATCHES = 200  # a million rows a pass at most; the next pass goes on


def prune_case_rows(deps: Deps) -> int:
    """Delete the per-case rows that are past retention; returns how many."""
    days = deps.settings.GROUNDLINE_CASE_RETENTION_DAYS
    if days == 0:
        return 0
    cutoff = deps.clock.now() - timedelta(days=days)
    latest_per_label = select(func.max(EvalRun.id)).group_by(EvalRun.feature_id, EvalRun.label)
    expired_runs = select(EvalRun.id).where(
        EvalRun.created_at < cutoff, EvalRun.id.not_in(latest_per_label)
    )
    total = 0
    for _ in range(MAX_BATCHES):
        deps.gate.wait_quiet()
        with deps.unit_of_work() as session:
            batch = select(EvalCase.id).where(EvalCase.run_id.in_(expired_runs)).limit(BATCH)
            result = session.execute(delete(EvalCase).where(EvalCase.id.in_(batch)))
            deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < BATCH:
            break
    if total:
        log.info("pruned %s per-case rows older than %s days", total, days)
    return total


def prune_delivery_keys(deps: Deps) -> int:
    """Forget handled deliveries older than a day; returns how many."""
    cutoff = deps.clock.now() - timedelta(days=DELIVERY_KEY_DAYS)
    total = 0
    for _ in range(MAX_BATCHES):
        deps.gate.wait_quiet()
        with deps.unit_of_work() as session:
            old = (
                select(ProcessedDelivery.key)
                .where(ProcessedDelivery.received_at < cutoff)
                .limit(BATCH)
            )
            result = session.execute(
                delete(ProcessedDelivery).where(ProcessedDelivery.key.in_(old))
            )
            deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < BATCH:
            break
    return total
