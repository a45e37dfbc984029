"""Captured slash commands sent again inside Slack's five-minute signature window, one after
another and several at once: each runs once (one sample per `/align metric`, one token per
`/align token`), and no replay's answer carries the token. The figures go into
docs/reliability.md; tests/e2e/test_replays.py covers clicks, notes and two replicas."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.localslack.driver import Delivered
from bot.store.models import FeatureToken, MetricSample
from tests.support.bot import BotUnderTest
from tests.support.evals import PM, start_feature
from tests.support.figures import Report, scaled
from tests.support.reliability import backend_of

REPLAYS_AT_ONCE = 4


def replay_together(bot: BotUnderTest, delivered: Delivered) -> list[Delivered]:
    answers: list[Delivered] = []
    start = threading.Barrier(REPLAYS_AT_ONCE)

    def one() -> None:
        start.wait(timeout=10)
        answers.append(bot.driver.replay(delivered))

    threads = [threading.Thread(target=one) for _ in range(REPLAYS_AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def stored(bot: BotUnderTest, model: type[object]) -> int:
    with bot.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_replayed_commands_run_once(bot: BotUnderTest, database_url: str, report: Report) -> None:
    figures = report.open("replayed commands inside the signature window", backend_of(database_url))
    try:
        start_feature(bot)
        trials = scaled(3, 25)
        for trial in range(trials):
            for text in (f"metric support-answers CSAT {trial}", "token support-answers"):
                first = bot.driver.command("/align", text, user_id=PM)
                figures.ack(first.elapsed_ms)
                replies = [bot.driver.replay(first), *replay_together(bot, first)]
                for reply in replies:
                    figures.ack(reply.elapsed_ms)
                    figures.faults += 1
                    assert reply.status == 200 and "gl_" not in reply.body
        samples, tokens = stored(bot, MetricSample), stored(bot, FeatureToken)
        figures.duplicates = max(0, samples - trials) + max(0, tokens - trials)
        figures.lost = max(0, trials - samples) + max(0, trials - tokens)
        assert (samples, tokens) == (trials, trials)
    finally:
        report.close(figures)
