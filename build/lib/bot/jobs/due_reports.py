"""The schedule's tick: learn each kickoff starter's time zone, then queue the reports due now.

Every replica runs this same tick. Correctness does not depend on which one runs it or how
often: `queue_report` writes one report per feature and period (unique idempotency key), and a
due time older than the grace window is skipped, so a long outage never leaves a backlog.
Reports are for features whose targets are agreed: before that there is nothing to measure
against, and the kickoff thread is where the talking happens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from bot.deps import Deps
from bot.domain.schedule import is_known_zone
from bot.jobs.reports import queue_report, report_key
from bot.services import schedules
from bot.store.models import Feature, Report

log = logging.getLogger(__name__)

ClientFor = Callable[[str], WebClient]
# users.info answers that will not change on a retry: keep UTC and stop asking.
UNKNOWN_USER = {"user_not_found", "user_not_visible", "account_inactive"}
LOOKUPS_PER_TICK = 50


def post_due_reports(deps: Deps) -> int:
    """Queue every report that is due now and not queued yet; returns how many were queued."""
    now = deps.clock.now()
    with deps.unit_of_work() as session:
        features = schedules.scheduled_features(session)
        due = [d for d in (schedules.due_now(f, now) for f in features) if d is not None]
        keys = [report_key(d.feature_id, d.period) for d in due]
        queued_before = set(
            session.scalars(select(Report.idempotency_key).where(Report.idempotency_key.in_(keys)))
        )
    queued = 0
    for item in due:
        if report_key(item.feature_id, item.period) in queued_before:
            continue
        if queue_report(deps, item.feature_id, item.period) is not None:
            queued += 1
    if queued:
        log.info("queued %d scheduled reports", queued)
    return queued


def refresh_timezones(deps: Deps, client_for: ClientFor) -> int:
    """Look up the zone of each kickoff starter not looked up yet (users.info), outside any
    Slack request so the ack never waits for it. Returns how many features were settled."""
    with deps.unit_of_work() as session:
        pending = session.execute(
            select(Feature.id, Feature.team_id, Feature.created_by)
            .where(Feature.timezone_checked.is_(False))
            .order_by(Feature.id)
            .limit(LOOKUPS_PER_TICK)
        ).all()
    zones: dict[tuple[str, str], str | None] = {}
    settled = 0
    for feature_id, team_id, user_id in pending:
        if (team_id, user_id) not in zones:
            zones[(team_id, user_id)] = _lookup_zone(client_for(team_id), user_id)
        name = zones[(team_id, user_id)]
        if name is None:
            continue  # Slack did not answer this time; the next tick asks again
        with deps.unit_of_work() as session:
            session.execute(
                update(Feature)
                .where(Feature.id == feature_id, Feature.timezone_checked.is_(False))
                .values(timezone=name, timezone_checked=True)
            )
        settled += 1
    return settled


def _lookup_zone(client: WebClient, user_id: str) -> str | None:
    """The user's IANA zone; "UTC" when Slack has none for them; None to ask again later."""
    try:
        response = client.users_info(user=user_id)
    except SlackApiError as exc:
        if exc.response.get("error") in UNKNOWN_USER:
            return "UTC"
        log.info("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return None
    except OSError:
        return None
    name = str((response.get("user") or {}).get("tz") or "UTC")
    # A zone our tz database does not know would make every due time wrong: use UTC instead.
    return name if is_known_zone(name) else "UTC"
