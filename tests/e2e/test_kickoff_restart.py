"""SIGKILL the server between the answers of a kickoff: no answer lost, no question repeated.

Killed after every other answer (three kills per database) so the whole loop fits in make test;
tests/reliability/test_kills.py kills during kickoffs many times over, with its figures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Answer, Feature
from tests.support.bot import SIGNING_SECRET
from tests.support.serve import ServeProcess, wait_drained

CHANNEL = "C0FEAT"
ANSWERS = ["10%", "a refund", "say I'm not sure", "CSAT ≥ 4.2", "2 s", "$0.01 per query"]


def test_kills_between_answers_lose_nothing_and_repeat_nothing(
    database_url: str, slack: LocalSlack, tmp_path: Path
) -> None:
    server = ServeProcess(database_url, slack, tmp_path, GROUNDLINE_SCHEDULER="false").start()
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack)
    assert (
        driver.command("/kickoff", "Support answers", user_id="U0PM", channel_id=CHANNEL).status
        == 200
    )
    wait_drained(database_url)
    thread_ts = slack.bot_messages(CHANNEL)[0]["ts"]
    try:
        for number, text in enumerate(ANSWERS, start=1):
            reply = driver.message(CHANNEL, text, user="U0PM", thread_ts=thread_ts)
            assert reply.status == 200  # acknowledged: from here on it must not be lost
            if number % 2:
                continue  # answered while the server lives; the next one is killed after
            server.kill()
            server = ServeProcess(
                database_url, slack, tmp_path, GROUNDLINE_SCHEDULER="false"
            ).start()
            driver.app_url = f"{server.url}/slack/events"
            wait_drained(database_url)
            # Slack retries deliveries it thinks failed; the retry must not count twice.
            assert driver.redeliver(reply).status == 200
    finally:
        server.stop()
    engine = create_engine(database_url)
    with Session(engine) as session:
        answers = session.scalars(select(Answer).order_by(Answer.id)).all()
        feature = session.scalars(select(Feature)).one()
    engine.dispose()
    assert [a.text for a in answers] == ANSWERS
    assert feature.stage == checklist.Step.TRADEOFF.value
    thread = [m["text"] for m in slack.bot_messages(CHANNEL, thread_ts) if m["ts"] != thread_ts]
    titles = [q.title for q in (item.question for item in checklist.ITEMS.values())]
    for title in titles[: len(ANSWERS) + 1]:
        assert sum(title in text for text in thread) == 1, title
