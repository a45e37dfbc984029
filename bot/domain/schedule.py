"""When a feature's report is due: parse `weekly mon 09:00 | daily 10:00 | off`, and find due
times and their periods in the feature's time zone. Pure: the caller passes the moment.

Due times are wall-clock times in the zone. On the spring-forward day a time that does not exist
(02:30 in Berlin) falls at the same offset as just before the jump (so 03:30 local); on the
fall-back day a time that happens twice is due at its first occurrence. A period ("2026-W48" or
"2026-11-26") names the local week or day, so a report is posted at most once per period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Cadence = Literal["weekly", "daily", "off"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
USAGE = "Try `weekly mon 09:00`, `daily 10:00` or `off`."
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


class ScheduleError(ValueError):
    """The schedule text could not be read; the message is ours and safe to show."""


@dataclass(frozen=True)
class Schedule:
    cadence: Cadence
    weekday: int = 0  # Monday = 0, as datetime.weekday(); only used when weekly
    at: time = time(9, 0)

    def __str__(self) -> str:
        if self.cadence == "off":
            return "off"
        clock = self.at.strftime("%H:%M")
        if self.cadence == "daily":
            return f"daily {clock}"
        return f"weekly {WEEKDAYS[self.weekday][:3]} {clock}"


DEFAULT = Schedule("weekly", 0, time(9, 0))
OFF = Schedule("off")


def parse_schedule(text: str | None) -> Schedule:
    """Read a schedule; None or empty means the default (weekly, Monday 09:00)."""
    words = " ".join((text or "").lower().replace(",", " ").split()).split()
    if not words:
        return DEFAULT
    cadence, rest = words[0], words[1:]
    if cadence in ("off", "none", "never", "stop", "pause"):
        if rest:
            raise ScheduleError(f"`off` takes nothing after it. {USAGE}")
        return OFF
    if cadence == "daily":
        if len(rest) != 1:
            raise ScheduleError(f"Say when each day, e.g. `daily 10:00`. {USAGE}")
        return Schedule("daily", 0, parse_time(rest[0]))
    if cadence == "weekly":
        if len(rest) != 2:
            raise ScheduleError(f"Say the day and time, e.g. `weekly mon 09:00`. {USAGE}")
        return Schedule("weekly", parse_weekday(rest[0]), parse_time(rest[1]))
    raise ScheduleError(f"I can't read `{text}` as a schedule. {USAGE}")


def parse_schedule_and_zone(text: str) -> tuple[Schedule | None, str | None]:
    """A schedule with a time zone after it, as people add one ("daily 10:00 Europe/Berlin",
    "… in asia/tokyo"): the schedule (None when only a zone was said, so the current one stays)
    and the zone's IANA name (None when none was said). A last word that is not a zone we know,
    after a schedule that reads, is named as such rather than blamed on the schedule."""
    words = text.replace(",", " ").split()
    zone_name = known_zone(words[-1]) if words else None
    if zone_name is not None:
        words = words[:-1]
        if words and words[-1].lower() == "in":
            words = words[:-1]
        schedule = parse_schedule(" ".join(words)) if words else None
        if schedule == OFF:
            raise ScheduleError(f"`off` takes nothing after it. {USAGE}")
        return schedule, zone_name
    before = words[:-1]
    if before and before[-1].lower() == "in":
        before = before[:-1]
    if before and _reads(" ".join(before)):
        raise ScheduleError(
            f"`{words[-1].lower()[:40]}` is not a time zone I know; name it as Slack's profile "
            "does, e.g. `Europe/Berlin` or `America/New_York`."
        )
    return parse_schedule(" ".join(words)), None


def _reads(text: str) -> bool:
    try:
        parse_schedule(text)
    except ScheduleError:
        return False
    return text.split()[0].lower() not in ("off", "none", "never", "stop", "pause")


def known_zone(word: str) -> str | None:
    """The IANA name of a zone named in any case ("asia/tokyo" is Asia/Tokyo), or None."""
    return _zones_by_lower_name().get(word.lower())


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_weekday(word: str) -> int:
    word = word.lower().rstrip("s") if len(word) > 3 else word.lower()
    if len(word) >= 2:  # any two letters already tell the days apart
        for number, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return number
    raise ScheduleError(f"`{word}` is not a day of the week; use mon, tue, … sun.")


def parse_time(word: str) -> time:
    match = _TIME.match(word.lower())
    if match is None:
        raise ScheduleError(f"`{word}` is not a time of day; use 24-hour `HH:MM`, e.g. `09:00`.")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = match.group(3)
    if suffix is not None:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"`{word}` is not a time of day.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"`{word}` is not a time of day; hours go to 23, minutes to 59.")
    return time(hour, minute)


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or UTC when the name is unknown (the report still goes out)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _due_on(day: date, schedule: Schedule, tz: tzinfo) -> datetime:
    # fold=0: a skipped time keeps the offset from before the jump, a repeated time its first.
    return datetime.combine(day, schedule.at, tzinfo=tz).astimezone(UTC)


def _candidate_days(schedule: Schedule, local_day: date) -> list[date]:
    """Days whose due time could be the latest one at or before a moment on `local_day`."""
    if schedule.cadence == "daily":
        return [local_day + timedelta(days=d) for d in (1, 0, -1, -2)]
    this_week = local_day - timedelta(days=(local_day.weekday() - schedule.weekday) % 7)
    return [this_week + timedelta(days=d) for d in (7, 0, -7, -14)]


def last_due(schedule: Schedule, tz: tzinfo, now: datetime) -> datetime | None:
    """The most recent due time at or before `now` (UTC), or None when reports are off."""
    if schedule.cadence == "off":
        return None
    local_day = now.astimezone(tz).date()
    for day in _candidate_days(schedule, local_day):
        due = _due_on(day, schedule, tz)
        if due <= now:
            return due
    raise AssertionError("unreachable: a due time within two periods always exists")


def next_due(schedule: Schedule, tz: tzinfo, after: datetime) -> datetime | None:
    """The first due time strictly after `after` (UTC), or None when reports are off."""
    if schedule.cadence == "off":
        return None
    local_day = after.astimezone(tz).date()
    for day in reversed(_candidate_days(schedule, local_day)):
        due = _due_on(day, schedule, tz)
        if due > after:
            return due
    raise AssertionError("unreachable: a due time within two periods always exists")


def period_for(schedule: Schedule, tz: tzinfo, moment: datetime) -> str:
    """The report period `moment` belongs to, in the feature's zone: ISO week or day."""
    local = moment.astimezone(tz)
    if schedule.cadence == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if schedule.cadence == "daily":
        return local.date().isoformat()
    raise ValueError("reports are off: there is no period")
