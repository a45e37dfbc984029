"""Load: many kickoffs at once, each answered to the end, through signed requests against one
`groundline serve` process. Every answer stored, every ack under Slack's 3 s."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Answer, Feature
from tests.support.bot import SIGNING_SECRET
from tests.support.figures import FULL, Figures, Report, backends, scaled
from tests.support.reliability import ANSWERS, Database, Thread, question_counts
from tests.support.serve import ServeProcess

KICKOFFS = scaled(20, 200)
SLACK_ACK_LIMIT_MS = 3000.0


def wait_first_question(slack: LocalSlack, channel: str, timeout: float) -> str:
    """The thread's ts, once the first question is in it: people answer what they can see."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posted = slack.bot_messages(channel)
        replies = [m for m in posted if m.get("thread_ts") not in (None, m["ts"])]
        if replies:
            return str(replies[0]["thread_ts"])
        time.sleep(0.1)
    raise AssertionError(f"no first question in {channel} within {timeout} s")


def one_kickoff(url: str, slack: LocalSlack, index: int, figures: Figures) -> Thread:
    driver = SlackDriver(url, SIGNING_SECRET, slack, timeout=30)
    thread = Thread(driver, channel=f"C0LOAD{index:04d}", name=f"Load feature {index}")
    assert thread.kickoff(figures).status == 200
    thread_ts = wait_first_question(slack, thread.channel, timeout=120)
    for text in ANSWERS:
        reply = thread.send_event(thread.event_body(text, thread_ts))
        figures.ack(reply.elapsed_ms)
        assert reply.status == 200, reply.body
        thread.acknowledged.append(text)
    return thread


@pytest.mark.timeout(900 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_concurrent_kickoffs_store_every_answer_and_ack_in_time(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    backend = database_url.split(":", 1)[0].split("+")[0]
    figures = report.open(f"load: {KICKOFFS} concurrent kickoffs", backend)
    server = ServeProcess(database_url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start()
    database = Database(database_url)
    try:
        url = f"{server.url}/slack/events"
        with ThreadPoolExecutor(max_workers=KICKOFFS) as pool:
            futures = [pool.submit(one_kickoff, url, slack, i, figures) for i in range(KICKOFFS)]
            threads = [future.result(timeout=600) for future in futures]
        database.wait_count(Answer, KICKOFFS * len(ANSWERS), timeout=180)
        database.wait_drained(timeout=300, fast_forward=False)
        for thread in threads:
            feature = database.feature(thread.name)
            assert feature is not None and feature.thread_ts is not None
            stored = database.answers(feature.id)
            figures.lost += sum(1 for text in thread.acknowledged if text not in stored)
            figures.duplicates += len(stored) - len(set(stored))
            assert feature.stage == "review", (thread.name, feature.stage)
            counts = question_counts(slack, thread.channel, feature.thread_ts)
            figures.duplicates += sum(max(0, n - 1) for n in counts.values())
            assert all(n >= 1 for n in counts.values()), (thread.name, counts)
        assert database.count(Answer) == KICKOFFS * len(ANSWERS)
        assert database.count(Feature, Feature.stage == "review") == KICKOFFS
    finally:
        report.close(figures)
        database.close()
        server.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.requests == KICKOFFS * (1 + len(ANSWERS))
    assert figures.worst_ms < SLACK_ACK_LIMIT_MS, figures.worst_ms
