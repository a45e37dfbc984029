"""Captured requests sent again inside Slack's five-minute signature window, one after another
and several at once, each run once:

- slash commands: one sample per `/align metric`, one token per `/align token`, and no
  replay's answer carries the token;
- clicks and form submissions: sign-off presses (two sign-offs, one "agreed" note) and the
  Edit form of a change after agreement (one new version);
- uploads retried by a client: the same `Idempotency-Key` (several at once) and the same bytes
  without a key are one run, every answer naming it.

The figures go into docs/reliability.md; tests/e2e/test_replays.py covers decisions, notes and
two replicas."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.localslack.driver import Delivered
from bot.store.models import EvalRun, FeatureToken, MetricSample, SignOff, TargetVersion
from tests.support.agreement import ENG, feature_in_review
from tests.support.bot import BotUnderTest
from tests.support.evals import PM, issue_token, start_feature, upload
from tests.support.figures import Report, backends, scaled
from tests.support.reliability import backend_of

REPLAYS_AT_ONCE = 4


def replay_together(bot: BotUnderTest, delivered: Delivered) -> list[Delivered]:
    return together(lambda: bot.driver.replay(delivered))


def together(send: Callable[[], Any]) -> list[Any]:
    """`send` REPLAYS_AT_ONCE times, each in its own thread, released together."""
    answers: list[Any] = []
    start = threading.Barrier(REPLAYS_AT_ONCE)

    def one() -> None:
        start.wait(timeout=10)
        answers.append(send())

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


def summary_of(bot: BotUnderTest, channel: str, thread_ts: str) -> dict[str, Any]:
    for message in reversed(bot.slack.bot_messages(channel, thread_ts)):
        if "signoff_pm" in json.dumps(message.get("blocks")):
            return message
    raise AssertionError("no summary with sign-off buttons")


@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_replayed_clicks_and_forms_run_once(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open(
        "replayed clicks and form submissions inside the signature window",
        backend_of(database_url),
    )
    trials, twice, missing = scaled(2, 20), 0, 0

    def again(delivered: Delivered) -> None:
        replies = [bot.driver.replay(delivered), *replay_together(bot, delivered)]
        for reply in replies:
            figures.ack(reply.elapsed_ms)
            figures.faults += 1
            assert reply.status == 200, reply.body
        bot.settle()

    try:
        for trial in range(trials):
            shown = feature_in_review(database_url, bot.slack, 500 + trial)
            channel, thread_ts = str(shown["channel"]), str(shown["thread_ts"])
            for label, user in (("Sign off as PM", PM), ("Sign off as engineer", ENG)):
                pressed = bot.driver.press(summary_of(bot, channel, thread_ts), label, user=user)
                figures.ack(pressed.elapsed_ms)
                bot.settle()
                again(pressed)
            notes = sum(
                "The summary above is the record" in json.dumps(m)
                for m in bot.slack.bot_messages(channel, thread_ts)
            )
            opened = len(bot.slack.calls_to("views.open"))
            edit = bot.driver.press(summary_of(bot, channel, thread_ts), "Edit error rate", PM)
            figures.ack(edit.elapsed_ms)
            form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
            values = {"edit_value": "8%", "edit_reason": f"support tickets doubled ({trial})"}
            saved = bot.driver.view_submission(form, values, user=PM)
            figures.ack(saved.elapsed_ms)
            bot.settle()
            again(saved)
            with bot.session() as session:
                feature_versions = session.scalars(
                    select(TargetVersion)
                    .join(TargetVersion.feature)
                    .where(TargetVersion.feature.has(channel_id=channel))
                ).all()
                signed = sum(len(v.signoffs) for v in feature_versions)
            twice += max(0, signed - 2) + max(0, notes - 1) + max(0, len(feature_versions) - 2)
            missing += max(0, 2 - signed) + max(0, 1 - notes) + max(0, 2 - len(feature_versions))
        figures.duplicates, figures.lost = twice, missing
    finally:
        report.close(figures)
    assert (twice, missing) == (0, 0)
    assert stored(bot, SignOff) == 2 * trials


def jsonl_run(trial: int) -> bytes:
    rows = [{"id": f"t{trial}-q{i}", "passed": i % 7 != 0, "latency_ms": 90 + i} for i in range(30)]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_retried_uploads_store_one_run(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open(
        "uploads retried with one Idempotency-Key, and the same bytes again",
        backend_of(database_url),
    )
    trials, wrong_answers = scaled(3, 25), 0
    try:
        start_feature(bot)
        token = issue_token(bot, "support-answers")

        def timed(body: bytes, headers: dict[str, str] | None = None) -> Any:
            started = time.monotonic()
            reply = upload(bot, "support-answers", body, token, headers=headers)
            figures.ack((time.monotonic() - started) * 1000)
            return reply

        for trial in range(trials):
            body, key = jsonl_run(trial), {"Idempotency-Key": f"ci-run-{trial}"}
            first = timed(body, key)
            assert first.status == 201, first.body
            retries = together(lambda b=body, k=key: timed(b, k))
            retries.append(timed(body))  # no key, the same bytes
            figures.faults += len(retries)
            wrong_answers += sum(
                r.status != 200 or r.body.get("id") != first.body["id"] for r in retries
            )
        runs = stored(bot, EvalRun)
        figures.duplicates = max(0, runs - trials) + wrong_answers
        figures.lost = max(0, trials - runs)
    finally:
        report.close(figures)
    assert (runs, wrong_answers) == (trials, 0)
