"""Two `groundline serve` processes on one PostgreSQL, 50 features due in the same minute, Slack
answering some posts with 429 and 500: every report is posted exactly once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.domain.checklist import AGREED
from bot.localslack.server import LocalSlack
from bot.store.models import Feature, Report, TargetVersion
from tests.support.postgres import PostgresServer
from tests.support.serve import ServeProcess

FEATURES = 50
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]


def add_due_features(session: Session, due: datetime) -> list[str]:
    """50 features with agreed targets, each in its own channel and zone, all due at `due`."""
    channels = []
    for number in range(FEATURES):
        zone = ZONES[number % len(ZONES)]
        local = due.astimezone(ZoneInfo(zone))
        channel = f"C0REP{number:03d}"
        feature = Feature(
            team_id="T0LOCAL",
            name=f"Feature {number}",
            slug=f"feature-{number}",
            channel_id=channel,
            created_by="U0PM",
            created_at=due - timedelta(days=2),
            stage=AGREED,
            last_activity_at=due - timedelta(days=1),
            nudges_sent=0,
            timezone=zone,
            timezone_checked=True,
            schedule=f"daily {local:%H:%M}",
            listening=False,
        )
        feature.target_versions.append(
            TargetVersion(
                version=1,
                status="agreed",
                values_json={},
                created_at=due - timedelta(days=2),
                agreed_at=due - timedelta(days=1),
            )
        )
        session.add(feature)
        channels.append(channel)
    session.commit()
    return channels


def test_two_replicas_post_fifty_due_reports_exactly_once(
    postgres: PostgresServer, slack: LocalSlack, tmp_path: Path
) -> None:
    name = postgres.fresh_database("schedule_replicas")
    url = postgres.url(name)
    engine = create_engine(url)
    replicas: list[ServeProcess] = []
    try:
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        with Session(engine) as session:
            channels = add_due_features(session, due)
        slack.fail("chat.postMessage", status=429, retry_after=1, times=6)
        slack.fail("chat.postMessage", status=500, times=6)
        started = time.monotonic()
        replicas = [
            ServeProcess(url, slack, tmp_path, GROUNDLINE_REPORT_TICK_SECONDS="0.5").start()
            for _ in range(2)
        ]
        posted = 0
        while posted < FEATURES:
            assert time.monotonic() - started < 90, f"only {posted} of {FEATURES} reports posted"
            time.sleep(0.2)
            with Session(engine) as session:
                posted = (
                    session.scalar(
                        select(func.count()).select_from(Report).where(Report.status == "posted")
                    )
                    or 0
                )
        time.sleep(2)  # a few more ticks of both replicas: nothing more may be posted

        with Session(engine) as session:
            rows = list(session.scalars(select(Report)))
        assert len(rows) == FEATURES and {r.status for r in rows} == {"posted"}
        assert {r.period for r in rows} == {
            f"{due.astimezone(ZoneInfo(z)):%Y-%m-%d}" for z in ZONES
        }
        per_channel = {
            channel: len([m for m in slack.bot_messages(channel) if not m.get("thread_ts")])
            for channel in channels
        }
        assert per_channel == dict.fromkeys(channels, 1)  # none twice, none lost
        assert {r.ts for r in rows} == {
            m["ts"] for channel in channels for m in slack.bot_messages(channel)
        }
        # Both kinds of refusal were met, and retried until the post went through.
        calls = [c for c in slack.calls_to("chat.postMessage") if not c.params.get("thread_ts")]
        statuses = Counter(call.status for call in calls)
        assert statuses[429] == 6 and statuses[500] == 6, statuses
        assert len([c for c in calls if c.ok]) == FEATURES
    finally:
        for replica in replicas:
            replica.stop()
        engine.dispose()
        postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
