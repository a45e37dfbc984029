"""Scheduled reports end to end with a controllable clock: the starter's time zone from
users.info, exactly once per period, once after a restart, nothing beyond grace, `/align
schedule` and a report that keeps failing shown in `/align status`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.domain.checklist import AGREED
from bot.jobs.due_reports import post_due_reports, refresh_timezones
from bot.localslack.server import LocalSlack
from bot.store.models import Feature, Report
from tests.support.bot import BotUnderTest, start_bot

CHANNEL = "C0FEAT"
SLUG = "support-answers"
# Sunday 4 January 2026, noon UTC; the next Monday 09:00 in Berlin (UTC+1) is 08:00 UTC.
SUNDAY_NOON = datetime(2026, 1, 4, 12, 0, tzinfo=UTC)
MONDAY_NINE_BERLIN = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SUNDAY_NOON)


def kickoff_agreed(bot: BotUnderTest, starter_tz: str = "Europe/Berlin") -> int:
    """A kickoff started in Slack; its sign-offs are written directly (the kickoff has its own
    tests). The starter's zone is learnt through users.info."""
    bot.slack.add_user("U0PM", tz=starter_tz)
    bot.driver.command(
        "/kickoff", "Support answers <@U0PM|ana> <@U0ENG|raj>", user_id="U0PM", channel_id=CHANNEL
    )
    bot.settle()
    deps = bot.runtime.deps
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        assert feature.timezone == "UTC" and not feature.timezone_checked
    assert refresh_timezones(deps, bot.runtime.client_for) == 1
    assert refresh_timezones(deps, bot.runtime.client_for) == 0  # asked once
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        assert feature.timezone == starter_tz and feature.timezone_checked
        feature.stage = AGREED
        version = feature.target_versions[-1]
        version.status, version.agreed_at = "agreed", deps.clock.now()
        return feature.id


def report_posts(bot: BotUnderTest) -> list[dict[str, object]]:
    """Top-level bot messages other than the kickoff's root: the reports."""
    bot.settle()
    with bot.session() as session:
        root = session.scalars(select(Feature.thread_ts)).one()
    return [
        m for m in bot.slack.bot_messages(CHANNEL) if not m.get("thread_ts") and m["ts"] != root
    ]


def reports(bot: BotUnderTest) -> list[Report]:
    with bot.session() as session:
        return list(session.scalars(select(Report).order_by(Report.id)))


def test_fires_at_the_due_minute_in_the_starters_zone_once(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    kickoff_agreed(clocked_bot)
    deps = clocked_bot.runtime.deps
    clock.advance(MONDAY_NINE_BERLIN - timedelta(minutes=1) - clock.now())
    assert post_due_reports(deps) == 0  # 08:59 in Berlin
    clock.advance(timedelta(minutes=1))
    assert [post_due_reports(deps) for _ in range(3)] == [1, 0, 0]
    clock.advance(timedelta(minutes=30))
    assert post_due_reports(deps) == 0
    assert len(report_posts(clocked_bot)) == 1
    (report,) = reports(clocked_bot)
    assert report.period == "2026-W02" and report.status == "posted"


def test_a_bot_down_over_the_due_time_posts_once_after_restart(
    database_url: str, slack: LocalSlack, clock: ManualClock
) -> None:
    bot = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    kickoff_agreed(bot)
    bot.stop()
    clock.advance(MONDAY_NINE_BERLIN + timedelta(hours=2) - clock.now())
    # Started again with its scheduler: the first tick runs at start.
    bot = start_bot(
        database_url,
        slack,
        clock=clock,
        GROUNDLINE_SCHEDULER=True,
        GROUNDLINE_REPORT_TICK_SECONDS=0.1,
    )
    try:
        deadline = time.monotonic() + 10
        while not [r for r in reports(bot) if r.status == "posted"]:
            assert time.monotonic() < deadline, "the missed report was not posted"
            time.sleep(0.05)
        time.sleep(0.5)  # several more ticks
        assert [r.period for r in reports(bot)] == ["2026-W02"]
        assert len(report_posts(bot)) == 1
    finally:
        bot.stop()


def test_beyond_grace_nothing_is_posted(
    database_url: str, slack: LocalSlack, clock: ManualClock
) -> None:
    bot = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    kickoff_agreed(bot)
    bot.stop()
    clock.advance(MONDAY_NINE_BERLIN + timedelta(hours=6, minutes=1) - clock.now())
    bot = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    try:
        assert post_due_reports(bot.runtime.deps) == 0
        # A week of downtime is not a backlog either: only next Monday's report goes out.
        clock.advance(timedelta(days=7) - timedelta(hours=6, minutes=1))
        assert post_due_reports(bot.runtime.deps) == 1
        assert [r.period for r in reports(bot)] == ["2026-W03"]
    finally:
        bot.stop()


def test_schedule_command_and_off(clocked_bot: BotUnderTest, clock: ManualClock) -> None:
    kickoff_agreed(clocked_bot, starter_tz="America/New_York")
    reply = clocked_bot.driver.command(
        "/align", f"schedule {SLUG} daily 10:00", user_id="U0ENG", channel_id=CHANNEL
    ).json()
    # Sunday noon UTC is 07:00 in New York: the next one is today at 10:00 there.
    assert reply["response_type"] == "ephemeral"
    assert "every day at 10:00 (America/New_York time)" in reply["text"]
    assert "Next one: Sun 4 Jan, 10:00" in reply["text"]
    shown = clocked_bot.driver.command("/align", "schedule Support answers", channel_id=CHANNEL)
    assert "every day at 10:00" in shown.json()["text"]
    bad = clocked_bot.driver.command("/align", f"schedule {SLUG} hourly", channel_id=CHANNEL).json()
    assert "weekly mon 09:00" in bad["text"]

    off = clocked_bot.driver.command("/align", f"schedule {SLUG} OFF", channel_id=CHANNEL).json()
    assert "off" in off["text"] and "turns them back on" in off["text"]
    deps = clocked_bot.runtime.deps
    for hours in (3, 24, 24 * 7):
        clock.advance(timedelta(hours=hours))
        assert post_due_reports(deps) == 0
    assert reports(clocked_bot) == []


def test_a_zone_named_with_the_schedule_is_kept(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    """The team is in Tokyo although the kickoff was started from Berlin: the zone said in the
    command is stored, shown, used for due times, and never replaced by the starter's."""
    kickoff_agreed(clocked_bot)  # the starter is in Berlin
    command = clocked_bot.driver.command
    reply = command(
        "/align", f"schedule {SLUG} daily 9am in asia/tokyo", user_id="U0ENG", channel_id=CHANNEL
    ).json()
    # Sunday noon UTC is 21:00 in Tokyo: the next 09:00 there is Monday, 00:00 UTC.
    assert "every day at 09:00 (Asia/Tokyo time)" in reply["text"], reply["text"]
    assert "Next one: Mon 5 Jan, 09:00" in reply["text"]
    with clocked_bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        assert (feature.timezone, feature.timezone_checked) == ("Asia/Tokyo", True)
    # Only the zone: the schedule stays daily at 09:00, now in London.
    moved = command("/align", f"schedule {SLUG} Europe/London", channel_id=CHANNEL).json()
    assert "every day at 09:00 (Europe/London time)" in moved["text"], moved["text"]
    # A zone it does not know changes nothing and says how to name one.
    bad = command("/align", f"schedule {SLUG} daily 10:00 Berlin", channel_id=CHANNEL).json()
    assert "`berlin` is not a time zone I know" in bad["text"]
    assert "Europe/Berlin" in bad["text"]
    with clocked_bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        assert (feature.schedule, feature.timezone) == ("daily 09:00", "Europe/London")
    assert refresh_timezones(clocked_bot.runtime.deps, clocked_bot.runtime.client_for) == 0
    deps = clocked_bot.runtime.deps
    clock.advance(datetime(2026, 1, 5, 9, 0, tzinfo=UTC) - clock.now())  # 09:00 in London
    assert post_due_reports(deps) == 1
    assert [r.period for r in reports(clocked_bot)] == ["2026-01-05"]


def test_a_changed_schedule_does_not_fire_for_a_time_already_past(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    kickoff_agreed(clocked_bot, starter_tz="UTC")
    clock.advance(timedelta(hours=1))  # Sunday 13:00 UTC
    clocked_bot.driver.command("/align", f"schedule {SLUG} daily 12:30", channel_id=CHANNEL)
    assert post_due_reports(clocked_bot.runtime.deps) == 0
    clock.advance(timedelta(hours=23, minutes=30))  # Monday 12:30
    assert post_due_reports(clocked_bot.runtime.deps) == 1
    assert [r.period for r in reports(clocked_bot)] == ["2026-01-05"]


def test_a_report_that_keeps_failing_shows_in_status(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    kickoff_agreed(clocked_bot)
    clocked_bot.slack.fail("chat.postMessage", status=200, error="not_in_channel", times=5)
    clock.advance(MONDAY_NINE_BERLIN - clock.now())
    assert post_due_reports(clocked_bot.runtime.deps) == 1
    clocked_bot.settle()
    (report,) = reports(clocked_bot)
    assert report.status == "failed" and report.last_error == "not_in_channel"
    status = clocked_bot.driver.command("/align", "status", channel_id=CHANNEL).json()
    assert "Last report failed: `not_in_channel`" in str(status["blocks"])
    assert "/invite @Groundline" in str(status["blocks"])
    assert "last report failed: not_in_channel" in status["text"]
    # The App Home tab says the same.
    clocked_bot.driver.event({"type": "app_home_opened", "user": "U0PM", "tab": "home"})
    clocked_bot.slack.wait_for("views.publish", count=1)
    home = clocked_bot.slack.calls_to("views.publish")[-1].params["view"]
    assert "Last report failed: `not_in_channel`" in json.dumps(home)
