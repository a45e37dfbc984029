"""Atomic agreement: the PM and the engineer press their sign-off buttons at the same moment,
through signed HTTP to `groundline serve` (one replica, or two behind a balancer on PostgreSQL).
Trials run 16 at a time, each a pair of presses released together. Every trial must end agreed
exactly once: both sign-offs stored, the version agreed, one "targets agreed" note. Before the
row lock, 7 of 8 such trials on PostgreSQL stayed in review with both sign-offs stored.

The short run (inside `make test`) tries SQLite on one replica and PostgreSQL on two; the full
run (RELIABILITY_FULL=1) all three, with more trials."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.domain.targets import Targets
from bot.localslack.driver import Delivered, SlackDriver
from bot.localslack.server import LocalSlack
from bot.localslack.workspace import BOT_USER_ID
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Feature, SignOff, TargetVersion
from tests.support.bot import SIGNING_SECRET
from tests.support.figures import FULL, Report, scaled
from tests.support.reliability import backend_of
from tests.support.rows import feature_row
from tests.support.serve import ServeProcess, wait_drained

TRIALS = scaled(16, 200)
# Trials run this many at a time (twice as many presses at once): a busy team's burst, not a
# load test (bench/ack.py measures capacity).
AT_ONCE = 16
PM, ENG = "U0PM", "U0ENG"
TARGETS = {
    "max_error_rate": 0.1,
    "error_impact": "a refund",
    "fallback": {"kind": "say_unsure", "detail": ""},
    "success_metrics": [{"name": "CSAT", "target": 4.0, "direction": "at_least", "unit": ""}],
    "max_latency_p95_ms": 2000.0,
    "max_cost_per_query_usd": 0.01,
    "tradeoff_priority": "cost_gives",
}


def feature_in_review(url: str, slack: LocalSlack, index: int) -> dict[str, object]:
    """A kickoff at its summary, stored directly, and the summary message as Slack holds it."""
    channel = f"C0AGREE{index:03d}"
    thread_ts = slack.workspace.add_message(channel, {"user": BOT_USER_ID, "text": "Kickoff"})["ts"]
    engine = create_engine(url)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        feature = feature_row(
            now,
            name=f"Agreement {index}",
            slug=f"agreement-{index}-{uuid.uuid4().hex[:6]}",
            channel_id=channel,
            thread_ts=thread_ts,
        )
        version = TargetVersion(version=1, status="draft", values_json=TARGETS, created_at=now)
        feature.target_versions.append(version)
        session.add(feature)
        session.commit()
        text, blocks = kickoff_blocks.summary(feature, version, Targets.model_validate(TARGETS))
    engine.dispose()
    message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
    return slack.workspace.add_message(channel, message)


def press_together(drivers: list[SlackDriver], summary: dict[str, object]) -> list[Delivered]:
    """PM and engineer press at the same moment, each through its own replica."""
    start = threading.Barrier(2)
    results: list[Delivered] = []

    def press(driver: SlackDriver, label: str, user: str) -> None:
        start.wait(timeout=10)
        results.append(driver.press(summary, label=label, user=user))

    threads = [
        threading.Thread(target=press, args=(drivers[0], "Sign off as PM", PM)),
        threading.Thread(target=press, args=(drivers[-1], "Sign off as engineer", ENG)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


CASES = [("sqlite", 1), ("postgresql", 2), *([("postgresql", 1)] if FULL else [])]


@pytest.mark.parametrize(("backend", "replicas"), CASES)
def test_simultaneous_signoffs_agree_exactly_once(
    backend: str,
    replicas: int,
    request: pytest.FixtureRequest,
    slack: LocalSlack,
    tmp_path: Path,
    report: Report,
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/agree.db"
    else:
        postgres = request.getfixturevalue("postgres")
        name = f"agree_{uuid.uuid4().hex[:8]}"
        postgres.execute(f"CREATE DATABASE {name} TEMPLATE groundline_template")
        url = postgres.url(name)
    where = "one replica" if replicas == 1 else "two replicas"
    figures = report.open(f"PM and engineer sign off at the same moment ({where})", backend_of(url))
    servers = [ServeProcess(url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start()]
    servers += [
        ServeProcess(url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start()
        for _ in range(replicas - 1)
    ]
    drivers = [SlackDriver(f"{s.url}/slack/events", SIGNING_SECRET, slack) for s in servers]
    stuck, twice = [], []
    try:
        summaries = [feature_in_review(url, slack, index) for index in range(TRIALS)]
        presses: list[Delivered] = []
        for start in range(0, TRIALS, AT_ONCE):
            pairs = [
                threading.Thread(
                    target=lambda s=summary: presses.extend(press_together(drivers, s))
                )
                for summary in summaries[start : start + AT_ONCE]
            ]  # AT_ONCE trials at a time, each a PM and an engineer pressing together
            for pair in pairs:
                pair.start()
            for pair in pairs:
                pair.join(timeout=60)
        for delivered in presses:
            figures.ack(delivered.elapsed_ms)
            assert delivered.status == 200, delivered.body
        assert len(presses) == 2 * TRIALS
        wait_drained(url, timeout=60)
        engine = create_engine(url)
        for index, summary in enumerate(summaries):
            channel = str(summary["channel"])
            # The note that says so (the summary itself is updated in place to the record).
            posts = slack.bot_messages(channel, str(summary["thread_ts"]))
            agreed_posts = sum("The summary above is the record" in json.dumps(m) for m in posts)
            with Session(engine) as session:
                feature = session.scalars(
                    select(Feature).where(Feature.channel_id == channel)
                ).one()
                version = feature.target_versions[0]
                signed = session.scalars(
                    select(SignOff.role).where(SignOff.target_version_id == version.id)
                ).all()
                state = (feature.stage, version.status, sorted(signed))
            if state != ("agreed", "agreed", ["engineer", "pm"]) or agreed_posts == 0:
                stuck.append((index, state, agreed_posts))
            if agreed_posts > 1:
                twice.append(index)
        engine.dispose()
        figures.lost, figures.duplicates = len(stuck), len(twice)
    finally:
        for server in servers:
            server.stop()
        report.close(figures)
    assert stuck == [] and twice == [], (stuck, twice)
