"""Report schedules of features: read, change, and what is due. Slack-free."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.domain import schedule as sched
from bot.domain.checklist import AGREED
from bot.domain.schedule import Schedule
from bot.store.models import Feature, Report
from bot.store.states import ReportStatus

# A report missed by more than this (the bot was down) is skipped, not posted late.
GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class Due:
    feature_id: int
    period: str
    due_at: datetime


def schedule_of(feature: Feature) -> Schedule:
    """The stored schedule; a value we can no longer read falls back to the default."""
    try:
        return sched.parse_schedule(feature.schedule)
    except sched.ScheduleError:
        return sched.DEFAULT


def set_schedule(feature: Feature, text: str, now: datetime) -> Schedule:
    """Store a new schedule, and the time zone if one was named after it (raises
    ScheduleError with our wording when unreadable). A zone said here is the team's choice:
    the kickoff starter's zone, looked up later, never replaces it."""
    new, zone_name = sched.parse_schedule_and_zone(text)
    if new is not None:
        feature.schedule = str(new)
    if zone_name is not None:
        feature.timezone, feature.timezone_checked = zone_name, True
    feature.schedule_changed_at = now  # a due time just passed in the new zone does not fire
    return schedule_of(feature)


def next_report_at(feature: Feature, now: datetime) -> datetime | None:
    return sched.next_due(schedule_of(feature), sched.zone(feature.timezone), now)


def reports_start_at(feature: Feature) -> datetime | None:
    """Scheduled reports begin once targets were first agreed, and never look back past a
    schedule change."""
    agreed = [v.agreed_at for v in feature.target_versions if v.agreed_at is not None]
    if feature.stage != AGREED or not agreed:
        return None
    start = min(agreed)
    if feature.schedule_changed_at is not None:
        start = max(start, feature.schedule_changed_at)
    return start


def due_now(feature: Feature, now: datetime, grace: timedelta = GRACE) -> Due | None:
    """This feature's latest due report if it is due and still within grace, else None.

    Only the latest period counts: after a long outage there is no backlog to post."""
    start = reports_start_at(feature)
    if start is None:
        return None
    schedule, tz = schedule_of(feature), sched.zone(feature.timezone)
    due_at = sched.last_due(schedule, tz, now)
    if due_at is None or due_at < start or now - due_at > grace:
        return None
    return Due(feature.id, sched.period_for(schedule, tz, due_at), due_at)


def scheduled_features(session: Session) -> list[Feature]:
    """Features with agreed targets whose reports are not switched off."""
    query = (
        select(Feature)
        .options(selectinload(Feature.target_versions))
        .where(Feature.stage == AGREED)
        .where((Feature.schedule.is_(None)) | (Feature.schedule != "off"))
        .order_by(Feature.id)
    )
    return list(session.scalars(query))


def last_report_failures(session: Session, feature_ids: Iterable[int]) -> dict[int, str]:
    """Feature id -> error, for features whose most recent report gave up."""
    ids = list(feature_ids)
    if not ids:
        return {}
    latest = (
        select(func.max(Report.id))
        .where(Report.feature_id.in_(ids))
        .group_by(Report.feature_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Report.feature_id, Report.last_error).where(
            Report.id.in_(latest), Report.status == ReportStatus.FAILED
        )
    )
    return {feature_id: error or "unknown error" for feature_id, error in rows}
