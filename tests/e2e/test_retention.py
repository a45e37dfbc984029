"""Per-case rows are pruned after the retention period; aggregates and the latest run's cases
of each label stay."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.jobs.retention import BATCH, prune_case_rows
from bot.localslack.server import LocalSlack
from bot.services import evals
from bot.store.models import EvalCase, EvalRun, Feature
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import export, start_feature


def ingest(bot: BotUnderTest, feature_id: int, label: str, n: int = 10) -> int:
    body = "".join(json.dumps({"id": f"q{i}", "passed": i % 4 != 0}) + "\n" for i in range(n))
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        upload = evals.Upload(
            io.BytesIO(body.encode()), f"{label}.jsonl", "cli", "jsonl", None, label
        )
        return evals.store_run(session, bot.runtime.deps.clock, feature, upload).id


def cases_per_run(bot: BotUnderTest) -> dict[int, int]:
    with bot.session() as session:
        rows = session.execute(
            select(EvalRun.id, func.count(EvalCase.id))
            .outerjoin(EvalCase, EvalCase.run_id == EvalRun.id)
            .group_by(EvalRun.id)
        )
        return {run_id: count for run_id, count in rows}


def test_old_cases_go_the_latest_of_each_label_and_every_aggregate_stay(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    feature = start_feature(clocked_bot)
    deps = clocked_bot.runtime.deps
    small_1 = ingest(clocked_bot, feature.id, "small")
    big_1 = ingest(clocked_bot, feature.id, "big")
    clock.advance(timedelta(days=10))
    small_2 = ingest(clocked_bot, feature.id, "small")
    clock.advance(timedelta(days=85))  # small_1 and big_1 are 95 days old, small_2 85
    assert prune_case_rows(deps) == 10
    assert cases_per_run(clocked_bot) == {small_1: 0, big_1: 10, small_2: 10}

    clock.advance(timedelta(days=10))  # small_2 is old now, but still the latest "small"
    assert prune_case_rows(deps) == 0
    small_3 = ingest(clocked_bot, feature.id, "small")
    assert prune_case_rows(deps) == 10
    assert cases_per_run(clocked_bot) == {small_1: 0, big_1: 10, small_2: 0, small_3: 10}

    runs = {run["id"]: run for run in export(clocked_bot, "support-answers")["eval_runs"]}
    assert runs[small_1]["n"] == 10 and runs[small_1]["failure_rate"] == pytest.approx(0.3)


def test_large_runs_are_pruned_in_batches(clocked_bot: BotUnderTest, clock: ManualClock) -> None:
    feature = start_feature(clocked_bot)
    old = ingest(clocked_bot, feature.id, "small", n=2 * BATCH + 1)
    clock.advance(timedelta(days=91))
    ingest(clocked_bot, feature.id, "small")
    assert prune_case_rows(clocked_bot.runtime.deps) == 2 * BATCH + 1
    assert cases_per_run(clocked_bot)[old] == 0


def test_zero_days_keeps_everything(
    database_url: str, slack: LocalSlack, clock: ManualClock
) -> None:
    bot = start_bot(
        database_url,
        slack,
        clock=clock,
        GROUNDLINE_SCHEDULER=False,
        GROUNDLINE_CASE_RETENTION_DAYS=0,
    )
    try:
        feature = start_feature(bot)
        first = ingest(bot, feature.id, "small")
        clock.advance(timedelta(days=3650))
        ingest(bot, feature.id, "small")
        assert prune_case_rows(bot.runtime.deps) == 0
        assert cases_per_run(bot)[first] == 10
    finally:
        bot.stop()
