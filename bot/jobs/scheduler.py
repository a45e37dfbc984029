"""Periodic jobs. Each job function is claim-safe, so every replica may run the same schedule."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps
from bot.jobs import nudges

log = logging.getLogger(__name__)

NUDGE_EVERY_MINUTES = 10


def _guarded(name: str, deps: Deps) -> None:
    try:
        if name == "nudges":
            nudges.send_due_nudges(deps)
    except Exception:  # a failed pass must not stop the schedule; the next one retries
        log.exception("job %s failed", name)


def start_scheduler(deps: Deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        _guarded,
        "interval",
        minutes=NUDGE_EVERY_MINUTES,
        args=["nudges", deps],
        id="nudges",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
