"""Reminders for stalled kickoffs: one after a day idle, one more three days later, never more."""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.services import kickoff, outbox
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import section

log = logging.getLogger(__name__)


def send_due_nudges(deps: Deps) -> int:
    """Queue the nudges that are due now; returns how many. Safe to run from several replicas."""
    with deps.unit_of_work() as session:
        due = kickoff.stalled(session, deps.clock.now(), deps.settings.GROUNDLINE_NUDGE_AFTER_HOURS)
        for feature, number in due:
            text = kickoff_blocks.nudge(feature, kickoff.waiting_on(feature), second=number == 2)
            outbox.say(
                session,
                deps.clock,
                feature,
                text,
                [section(text)],
                dedup_key=f"nudge:{feature.id}:{number}",
            )
            feature.nudges_sent = number
    if due:
        log.info("queued %d kickoff nudges", len(due))
    return len(due)
