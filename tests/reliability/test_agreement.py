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
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.localslack.driver import Delivered, SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Feature, SignOff
from tests.support.agreement import ENG, PM, feature_in_review
from tests.support.bot import SIGNING_SECRET
from tests.support.figures import FULL, Report, scaled
from tests.support.reliability import backend_of, trial_database
from tests.support.serve import ServeProcess, wait_drained

TRIALS = scaled(16, 200)
# Trials run this many at a time (twice as many presses at once): a busy team's burst, not a
# load test (bench/ack.py measures capacity).
AT_ONCE = 16


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
    url = trial_database(backend, request, tmp_path, "agree")
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
