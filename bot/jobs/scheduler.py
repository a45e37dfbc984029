"""Periodic jobs. Each job function is claim-safe, so every replica may run the same schedule.

The jobs live in APScheduler's in-memory store on purpose. What must survive a restart is each
feature's schedule, and that is stored with the feature (`features.schedule`, its time zone,
the `reports` already posted). The APScheduler jobs are only ticks that look at those rows, so
they are re-created at start. APScheduler 3's database job store is not safe to share between
processes (two schedulers would race on its rows and both run every job anyway), and its jobs
must be picklable, which our dependencies are not. Several replicas each tick; the idempotency
key on reports and the row locks on the outbox make sure each report is posted once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps
from bot.jobs import due_reports, nudges, retention
from bot.jobs.due_reports import ClientFor

log = logging.getLogger(__name__)

NUDGE_EVERY_MINUTES = 10
PRUNE_EVERY_HOURS = 6


def _guarded(name: str, deps: Deps, client_for: ClientFor) -> None:
    try:
        if name == "nudges":
            nudges.send_due_nudges(deps)
        elif name == "reports":
            due_reports.refresh_timezones(deps, client_for)
            due_reports.post_due_reports(deps)
        elif name == "retention":
            retention.prune_case_rows(deps)
            retention.prune_delivery_keys(deps)
    except Exception:  # a failed pass must not stop the schedule; the next one retries
        log.exception("job %s failed", name)


def start_scheduler(deps: Deps, client_for: ClientFor) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")

    def every(name: str, **when: Any) -> None:
        scheduler.add_job(
            _guarded,
            "interval",
            args=[name, deps, client_for],
            id=name,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            **when,
        )

    every("nudges", minutes=NUDGE_EVERY_MINUTES)
    # First tick at start: a report missed while the bot was down goes out now (within grace).
    every(
        "reports",
        seconds=deps.settings.GROUNDLINE_REPORT_TICK_SECONDS,
        next_run_time=datetime.now(UTC),
    )
    every("retention", hours=PRUNE_EVERY_HOURS)
    scheduler.start()
    return scheduler
