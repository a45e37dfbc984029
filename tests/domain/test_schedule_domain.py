"""The schedule model: reading schedules, due times and periods, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    DEFAULT,
    OFF,
    Schedule,
    ScheduleError,
    last_due,
    next_due,
    parse_schedule,
    parse_schedule_and_zone,
    period_for,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weekly mon 09:00", Schedule("weekly", 0, time(9, 0))),
        ("  Weekly   MONDAY  9:00 ", Schedule("weekly", 0, time(9, 0))),
        ("weekly fri 17:30", Schedule("weekly", 4, time(17, 30))),
        ("weekly Thursdays 8am", Schedule("weekly", 3, time(8, 0))),
        ("weekly tue 12pm", Schedule("weekly", 1, time(12, 0))),
        ("weekly sun 12am", Schedule("weekly", 6, time(0, 0))),
        ("DAILY 10:00", Schedule("daily", 0, time(10, 0))),
        ("daily 7", Schedule("daily", 0, time(7, 0))),
        ("off", OFF),
        (" Off ", OFF),
        ("", DEFAULT),
        (None, DEFAULT),
    ],
)
def test_reads_schedules(text: str | None, expected: Schedule) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("hourly 10:00", "can't read"),
        ("weekly 09:00", "day and time"),
        ("daily", "when each day"),
        ("weekly funday 09:00", "not a day of the week"),
        ("daily 25:00", "hours go to 23"),
        ("daily 10:75", "minutes to 59"),
        ("daily 13pm", "not a time of day"),
        ("daily noonish", "not a time of day"),
        ("off please", "nothing after it"),
    ],
)
def test_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says):
        parse_schedule(text)


@pytest.mark.parametrize("text", ["weekly mon 09:00", "daily 10:00", "weekly sun 23:45", "off"])
def test_written_form_reads_back(text: str) -> None:
    assert str(parse_schedule(text)) == text
    assert parse_schedule(str(parse_schedule(text))) == parse_schedule(text)


def test_default_is_weekly_monday_nine() -> None:
    assert str(DEFAULT) == "weekly mon 09:00"


# 2026-11-23 is a Monday; Berlin is UTC+1 in winter.
@pytest.mark.parametrize(
    ("schedule", "tz", "now", "due", "period"),
    [
        ("weekly mon 09:00", BERLIN, utc(2026, 11, 23, 8, 0), utc(2026, 11, 23, 8, 0), "2026-W48"),
        ("weekly mon 09:00", BERLIN, utc(2026, 11, 23, 7, 59), utc(2026, 11, 16, 8, 0), "2026-W47"),
        ("weekly mon 09:00", BERLIN, utc(2026, 11, 29, 22, 0), utc(2026, 11, 23, 8, 0), "2026-W48"),
        ("daily 10:00", NEW_YORK, utc(2026, 11, 26, 15, 0), utc(2026, 11, 26, 15, 0), "2026-11-26"),
        ("daily 10:00", NEW_YORK, utc(2026, 11, 26, 14, 0), utc(2026, 11, 25, 15, 0), "2026-11-25"),
        # Late evening in New York is already tomorrow in UTC: the local day counts.
        ("daily 23:30", NEW_YORK, utc(2026, 11, 27, 4, 40), utc(2026, 11, 27, 4, 30), "2026-11-26"),
        # ISO week 53 and the year it belongs to.
        ("weekly thu 09:00", UTC, utc(2026, 12, 31, 9, 0), utc(2026, 12, 31, 9, 0), "2026-W53"),
        ("weekly fri 09:00", UTC, utc(2027, 1, 1, 10, 0), utc(2027, 1, 1, 9, 0), "2026-W53"),
    ],
)
def test_due_times_and_periods(
    schedule: str, tz: ZoneInfo, now: datetime, due: datetime, period: str
) -> None:
    parsed = parse_schedule(schedule)
    assert last_due(parsed, tz, now) == due
    assert period_for(parsed, tz, due) == period


@pytest.mark.parametrize(
    ("tz", "day", "at", "due_utc"),
    [
        # Spring forward: Berlin skips 02:00-03:00 on 2026-03-29; 02:30 falls at 03:30 CEST.
        (BERLIN, (2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        (BERLIN, (2026, 3, 29), time(9, 0), utc(2026, 3, 29, 7, 0)),
        (BERLIN, (2026, 3, 28), time(9, 0), utc(2026, 3, 28, 8, 0)),
        # Fall back: 02:30 happens twice on 2026-10-25; the first one counts.
        (BERLIN, (2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (BERLIN, (2026, 10, 25), time(9, 0), utc(2026, 10, 25, 8, 0)),
        # New York: spring forward 2026-03-08 at 02:00, fall back 2026-11-01 at 02:00.
        (NEW_YORK, (2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),
        (NEW_YORK, (2026, 3, 8), time(9, 0), utc(2026, 3, 8, 13, 0)),
        (NEW_YORK, (2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, (2026, 11, 1), time(9, 0), utc(2026, 11, 1, 14, 0)),
    ],
)
def test_daily_due_times_across_dst(
    tz: ZoneInfo, day: tuple[int, int, int], at: time, due_utc: datetime
) -> None:
    schedule = Schedule("daily", 0, at)
    # Exactly once that local day: due at the expected instant, not a minute before.
    assert last_due(schedule, tz, due_utc) == due_utc
    assert last_due(schedule, tz, due_utc - timedelta(minutes=1)) != due_utc
    assert next_due(schedule, tz, due_utc - timedelta(minutes=1)) == due_utc
    assert period_for(schedule, tz, due_utc) == date(*day).isoformat()
    # The repeated hour does not make a second due time.
    following = next_due(schedule, tz, due_utc)
    assert following == last_due(schedule, tz, due_utc + timedelta(hours=25))
    assert following is not None and following - due_utc >= timedelta(hours=23)


def test_weekly_keeps_local_time_across_dst() -> None:
    schedule = parse_schedule("weekly mon 09:00")
    before = last_due(schedule, BERLIN, utc(2026, 3, 23, 12, 0))  # the Monday before the change
    after = last_due(schedule, BERLIN, utc(2026, 3, 30, 12, 0))
    assert before == utc(2026, 3, 23, 8, 0) and after == utc(2026, 3, 30, 7, 0)
    assert before is not None and after is not None
    assert after - before == timedelta(days=7, hours=-1)


def test_off_has_no_due_time() -> None:
    assert last_due(OFF, BERLIN, utc(2026, 11, 26, 9, 0)) is None
    assert next_due(OFF, BERLIN, utc(2026, 11, 26, 9, 0)) is None
    with pytest.raises(ValueError):
        period_for(OFF, BERLIN, utc(2026, 11, 26, 9, 0))


ZONES = st.sampled_from(
    [UTC, BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")]
)
SCHEDULES = st.builds(
    Schedule,
    st.sampled_from(["weekly", "daily"]),
    st.integers(0, 6),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59])),
)
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(SCHEDULES, ZONES, MOMENTS)
def test_last_due_is_the_latest_due_time(schedule: Schedule, tz: ZoneInfo, now: datetime) -> None:
    due = last_due(schedule, tz, now)
    assert due is not None and due <= now
    following = next_due(schedule, tz, due)
    assert following is not None and following > now
    # Due times are fixed points, and each period has exactly one.
    assert last_due(schedule, tz, due) == due
    assert period_for(schedule, tz, following) != period_for(schedule, tz, due)
    longest = timedelta(days=7 if schedule.cadence == "weekly" else 1, hours=1)
    assert following - due <= longest
    local = due.astimezone(tz)
    if schedule.cadence == "weekly":
        assert local.weekday() == schedule.weekday
    # The wall clock shows the asked time, except inside a spring-forward gap.
    assert (local.hour, local.minute) == (schedule.at.hour, schedule.at.minute) or (
        local.utcoffset() != (local - timedelta(hours=3)).utcoffset()
    )


@settings(max_examples=300, deadline=None)
@given(SCHEDULES, ZONES, MOMENTS)
def test_periods_of_successive_due_times_increase(
    schedule: Schedule, tz: ZoneInfo, now: datetime
) -> None:
    periods = []
    due = last_due(schedule, tz, now)
    for _ in range(4):
        assert due is not None
        periods.append(period_for(schedule, tz, due))
        due = next_due(schedule, tz, due)
    assert periods == sorted(set(periods))


# --- a time zone named with the schedule ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "schedule", "zone"),
    [
        ("weekly mon 09:00 Europe/Berlin", Schedule("weekly", 0, time(9, 0)), "Europe/Berlin"),
        ("daily 10am asia/tokyo", Schedule("daily", 0, time(10, 0)), "Asia/Tokyo"),
        ("daily 10:00 in America/New_York", Schedule("daily", 0, time(10, 0)), "America/New_York"),
        ("weekly friday 4pm, in utc", Schedule("weekly", 4, time(16, 0)), "UTC"),
        ("Europe/London", None, "Europe/London"),  # only the zone: the schedule stays
        ("in europe/london", None, "Europe/London"),
        ("daily 10:00", Schedule("daily", 0, time(10, 0)), None),
        ("off", OFF, None),
    ],
)
def test_reads_a_zone_after_the_schedule(
    text: str, schedule: Schedule | None, zone: str | None
) -> None:
    assert parse_schedule_and_zone(text) == (schedule, zone)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("daily 10:00 Berlin", "`berlin` is not a time zone I know"),
        ("weekly mon 09:00 Europe/Berlinn", "`europe/berlinn` is not a time zone I know"),
        ("daily 10:00 in PST", "`pst` is not a time zone I know"),
        ("off Europe/Berlin", "`off` takes nothing after it"),
    ],
)
def test_says_which_zone_it_does_not_know(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule_and_zone(text)
    assert says in str(raised.value)
    if "zone" in says:
        assert "Europe/Berlin" in str(raised.value)  # how to name one


@given(st.text(max_size=60))
def test_reading_a_zone_never_fails_any_other_way(text: str) -> None:
    try:
        _, zone = parse_schedule_and_zone(text)
    except ScheduleError as problem:
        assert str(problem)
        return
    assert zone is None or ZoneInfo(zone) is not None
