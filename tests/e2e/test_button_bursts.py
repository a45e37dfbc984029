"""Buttons other than sign-off pressed by several people at once, or twice by one (a double
click), through signed HTTP to the running bot, on SQLite and PostgreSQL: the answer to a
kickoff question, the report's decisions, withdrawing a proposed change.

Every press of a burst is released together (a barrier), so on PostgreSQL they overlap in the
database; what is stored and what the thread says must be what one press after another would
have left: one answer taken and said once, the next question asked once, one decision per
person and option, a stale button acting on nothing newer than what it showed."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.domain import checklist
from bot.domain.steps import Step
from bot.domain.targets import Targets
from bot.localslack.driver import Delivered
from bot.localslack.workspace import BOT_USER_ID
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Decision, Feature, TargetVersion
from tests.e2e.test_report_e2e import ask_for_report, cases, ingest
from tests.support.bot import BotUnderTest
from tests.support.evals import PM, start_feature
from tests.support.rows import ENG, feature_row

TARGETS = {"max_error_rate": 0.10, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}


def at_once(presses: list[Callable[[], Delivered]]) -> list[Delivered]:
    """Every press from its own thread, released together; each answered 200."""
    start = threading.Barrier(len(presses))
    answered: list[Delivered] = []
    lock = threading.Lock()

    def run(press: Callable[[], Delivered]) -> None:
        start.wait(timeout=30)
        delivered = press()
        with lock:
            answered.append(delivered)

    threads = [threading.Thread(target=run, args=(press,)) for press in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answered) == len(presses)
    assert all(d.status == 200 for d in answered), [d.body for d in answered]
    return answered


def at_fallback(bot: BotUnderTest) -> tuple[int, str, dict[str, Any]]:
    """A kickoff whose next question is the fallback, stored directly, and that question as
    Slack holds it in the thread (with its three choices)."""
    channel = "C0FEAT"
    thread_ts = bot.slack.workspace.add_message(channel, {"user": BOT_USER_ID, "text": "Kickoff"})[
        "ts"
    ]
    now = datetime.now(UTC)
    with bot.session() as session:
        feature = feature_row(
            now,
            name="Support answers",
            slug=f"support-answers-{uuid.uuid4().hex[:6]}",
            thread_ts=thread_ts,
            stage=Step.FALLBACK.value,
        )
        values = {"max_error_rate": 0.1, "error_impact": "a refund"}
        feature.target_versions.append(
            TargetVersion(version=1, status="draft", values_json=values, created_at=now)
        )
        session.add(feature)
        session.flush()
        feature_id = feature.id
    text, blocks = kickoff_blocks.question(checklist.ITEMS[Step.FALLBACK].question, feature_id)
    message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
    return feature_id, str(thread_ts), bot.slack.workspace.add_message(channel, message)


def test_two_people_choosing_the_fallback_at_once_one_answer_is_taken_and_said(
    bot: BotUnderTest,
) -> None:
    feature_id, thread_ts, asked = at_fallback(bot)
    unsure, human = "Say it isn't sure", "Hand over to a human"
    presses = [
        *(lambda: bot.driver.press(asked, label=unsure, user=PM) for _ in range(3)),
        *(lambda: bot.driver.press(asked, label=human, user=ENG) for _ in range(3)),
    ]
    at_once(presses)
    bot.settle()
    thread = [m for m in bot.slack.bot_messages("C0FEAT", thread_ts) if m["ts"] != asked["ts"]]
    said = [m.get("text", "") + json.dumps(m.get("blocks")) for m in thread]
    next_title = checklist.ITEMS[Step.SUCCESS_METRICS].question.title
    assert sum(next_title in s for s in said) == 1, said  # the next question, asked once
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        stored = Targets.model_validate(feature.target_versions[-1].values_json)
        assert feature.stage == Step.SUCCESS_METRICS.value
    assert stored.fallback is not None and stored.fallback.kind in ("say_unsure", "escalate_human")
    taken = checklist.describe(stored, Step.FALLBACK)
    # The five presses that came second are each told, privately, what was taken.
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 5, private
    assert all("already answered" in p and taken in p for p in private), private


def test_a_decision_pressed_at_once_is_stored_and_said_once_per_person(bot: BotUnderTest) -> None:
    feature = start_feature(bot, targets=TARGETS)
    ingest(bot, feature.id, cases(40, 12), "small")
    report = ask_for_report(bot, 1)
    stronger = "A) Stronger model"
    at_once(
        [
            *(lambda: bot.driver.press(report, label=stronger, user=ENG) for _ in range(4)),
            *(lambda: bot.driver.press(report, label=stronger, user=PM) for _ in range(2)),
        ]
    )
    bot.settle()
    with bot.session() as session:
        stored = session.execute(
            select(Decision.option, Decision.by).where(Decision.feature_id == feature.id)
        ).all()
    assert sorted(map(tuple, stored)) == [("A", ENG), ("A", PM)]
    thread = bot.slack.bot_messages("C0FEAT", report["ts"])
    said = [m.get("text", "") for m in thread if "chose A) change the model" in m.get("text", "")]
    assert sorted(s.split(">")[0] for s in said) == [f"<@{ENG}", f"<@{PM}"], said
