"""Posting a feature's report. The schedule, `/align report` and `groundline report F --post` all
call `queue_report`, so there is one code path.

A report for one period is one `reports` row (unique idempotency key `feature:period`) plus one
outbox row pointing at it, written in one transaction: asking twice for the same period, from
any number of replicas, posts once.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import outbox
from bot.services import reports as report_service
from bot.slack.blocks.report import report_message
from bot.store.models import Feature, Report
from bot.store.states import ReportStatus

log = logging.getLogger(__name__)


def report_key(feature_id: int, period: str) -> str:
    return f"{feature_id}:{period}"


def render_report(
    deps: Deps, feature: Feature, session: Session, report_id: int | None = None
) -> tuple[str, list[dict[str, object]]]:
    """The report's (text, blocks) from the stored numbers; with a report id, also keeps on that
    row what the report was based on (its run and the chart's series)."""
    model = report_service.build(session, feature, deps.clock.now(), report_id)
    if report_id is not None:
        report = session.get(Report, report_id)
        if report is not None:
            report.payload_json = report_service.payload(model)
    text, blocks = report_message(model)
    return text, list(blocks)


def queue_report(
    deps: Deps, feature_id: int, period: str, asked: outbox.Asked | None = None
) -> int | None:
    """Queue the report of `feature_id` for `period` (e.g. "2026-W48" or "manual:<uuid>").
    Returns the report id, or None when that period's report already exists (or the feature
    is gone). `asked`: the person who asked for it now, told if Slack refuses it for good."""
    key = report_key(feature_id, period)
    try:
        with deps.unit_of_work() as session:
            if session.scalar(select(Report.id).where(Report.idempotency_key == key)):
                return None
            feature = session.get(Feature, feature_id)
            if feature is None:
                return None
            now = deps.clock.now()
            report = Report(
                feature_id=feature.id,
                idempotency_key=key,
                period=period,
                status=ReportStatus.PENDING,
                attempts=0,
                created_at=now,
                channel_id=feature.channel_id,
            )
            session.add(report)
            session.flush()
            text, blocks = render_report(deps, feature, session, report.id)
            outbox.say(
                session,
                deps.clock,
                feature,
                text,
                blocks,
                where=outbox.CHANNEL,
                dedup_key=f"report:{key}",
                report_id=report.id,
                asked=asked,
            )
            report_service.queue_chart(session, deps.clock, feature, report)
            return report.id
    except IntegrityError:
        # Another replica queued this period between our check and our insert.
        log.info("report %s already queued elsewhere", key)
        return None
