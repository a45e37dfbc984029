"""Two `groundline serve` processes behind a (simulated) load balancer on one PostgreSQL:
a conversation may hop between them, retries land on the other one, and every message the bot
queues is posted once."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Answer, Feature
from tests.support.bot import SIGNING_SECRET
from tests.support.postgres import PostgresServer
from tests.support.serve import ServeProcess, wait_drained

CHANNEL = "C0FEAT"
ANSWERS = ["10%", "a refund", "say I'm not sure", "CSAT ≥ 4.2", "2 s", "$0.01 per query", "cost"]


def resend_to_all(drivers: list[SlackDriver], body: bytes) -> list[int]:
    """The same delivery, retried by Slack at every replica at once."""
    statuses: list[int] = []
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}

    def resend(driver: SlackDriver) -> None:
        statuses.append(driver.send_raw(body, "application/json", headers=retry).status)

    threads = [threading.Thread(target=resend, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_replicas_share_one_conversation(
    postgres: PostgresServer, slack: LocalSlack, tmp_path: Path
) -> None:
    name = postgres.fresh_database("replicas")
    url = postgres.url(name)
    replicas = [
        ServeProcess(url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start() for _ in range(2)
    ]
    drivers = [SlackDriver(f"{r.url}/slack/events", SIGNING_SECRET, slack) for r in replicas]
    balancer = itertools.cycle(drivers)
    try:
        assert (
            next(balancer).command("/kickoff", "Support answers", channel_id=CHANNEL).status == 200
        )
        wait_drained(url)
        thread_ts = slack.bot_messages(CHANNEL)[0]["ts"]
        for text in ANSWERS:
            first = next(balancer)
            delivered = first.message(CHANNEL, text, user="U0PM", thread_ts=thread_ts)
            assert delivered.status == 200
            # Slack retries on the other replica; both at once for good measure.
            retry_body = first._event_bodies[delivered.event_id]
            statuses = resend_to_all(drivers, retry_body)
            assert statuses == [200, 200]
            wait_drained(url)
    finally:
        for replica in replicas:
            replica.stop()
    engine = create_engine(url)
    with Session(engine) as session:
        answers = [a.text for a in session.scalars(select(Answer).order_by(Answer.id))]
        feature = session.scalars(select(Feature)).one()
    engine.dispose()
    postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert answers == ANSWERS
    assert feature.stage == checklist.REVIEW
    thread = [m["text"] for m in slack.bot_messages(CHANNEL, thread_ts) if m["ts"] != thread_ts]
    for question in (item.question for item in checklist.ITEMS.values()):
        assert sum(question.title in text for text in thread) == 1, question.title
    assert (
        sum("Sign off" in str(m.get("blocks")) for m in slack.bot_messages(CHANNEL, thread_ts)) == 1
    )
