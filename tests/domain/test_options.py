"""Options that fit what missed, in the agreed "which gives way first" order, and the trade-off
table as Slack's table block with its text fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.costs import CostSummary
from bot.domain.options import Option, option_title, plan_options
from bot.domain.quantiles import LatencySummary
from bot.domain.report import ReportInputs, build_report
from bot.domain.report_text import render_text
from bot.domain.run_verdicts import judge_run
from bot.domain.runs import CheckTally, RunFacts
from bot.domain.targets import Direction, SuccessMetric, Targets, TradeoffPriority
from bot.domain.tradeoff_text import TABLE_TITLE
from bot.playground.render import render_blocks
from bot.slack.blocks.report import TABLE_MAX_ROWS, report_blocks, table_block

LATENCY_GIVES, COST_GIVES = TradeoffPriority.LATENCY_GIVES, TradeoffPriority.COST_GIVES
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def texts(missed: list[str], priority: TradeoffPriority | None = None) -> list[str]:
    return [f"{line.option.value}) {line.text}" for line in plan_options(missed, priority).lines]


def test_an_error_rate_miss_gets_model_retrieval_and_revisit() -> None:
    assert texts(["error rate"]) == [
        "A) Try a stronger model.",
        "B) Filter retrieval or make the fallback stricter, so weak answers are held back.",
        "C) Revisit the error-rate limit: change it, and PM and engineer sign off again.",
    ]
    plan = plan_options(["error rate"], None)
    assert [line.button for line in plan.lines] == [
        "A) Stronger model",
        "B) Filter or fallback",
        "C) Revisit the target",
    ]
    assert plan.revisit_step.value == "error_rate"


def test_latency_and_cost_misses_get_their_own_options() -> None:
    latency = " ".join(texts(["latency p95"]))
    assert "Try a faster model." in latency and "stream the answer" in latency
    assert "stronger" not in latency and "retrieval" not in latency
    cost = " ".join(texts(["cost per query"]))
    assert "Try a cheaper model." in cost and "cache frequent answers" in cost
    assert (
        "stronger" not in cost
        and plan_options(["cost per query"], None).revisit_step.value == "cost"
    )


def test_only_the_budget_that_gives_way_missed_puts_revisiting_it_first() -> None:
    plan = plan_options(["latency p95"], LATENCY_GIVES)
    assert [line.option for line in plan.lines] == [
        Option.REVISIT_TARGET,
        Option.STRONGER_MODEL,
        Option.RETRIEVAL,
    ]
    assert plan.lines[0].text.startswith(
        "Revisit the latency budget first: you agreed latency gives way first."
    )
    assert plan.revisit_step.value == "latency"


def test_a_miss_on_the_budget_that_holds_trades_the_other_one() -> None:
    cost = texts(["cost per query"], LATENCY_GIVES)
    assert cost[0] == (
        "A) Try a cheaper model; you agreed latency gives way first, so a slower model is the "
        "agreed trade."
    )
    latency = texts(["latency p95"], COST_GIVES)
    assert latency[0].startswith("A) Try a faster model; you agreed cost gives way first")


def test_several_misses_are_addressed_in_the_agreed_order() -> None:
    plan = plan_options(["cost per query", "error rate", "latency p95"], COST_GIVES)
    a, b, c = (line.text for line in plan.lines)
    # Error rate first, then the budget that must hold (latency), then the one that gives way.
    assert a.startswith(
        "Try a model that is stronger (error rate) and faster (latency) and cheaper"
    )
    assert b.index("(error rate)") < b.index("(latency)") < b.index("(cost)")
    # Revisiting starts with the budget agreed to give way.
    assert c.startswith("Revisit the cost budget and the error-rate limit and the latency budget")
    assert plan.revisit_step.value == "cost" and "change them" in c


def test_a_success_measure_miss_gets_generic_options_and_reopens_its_step() -> None:
    plan = plan_options(["CSAT"], LATENCY_GIVES)
    assert plan.lines[0].text == "Try another model and compare its numbers."
    assert "Revisit the CSAT target" in plan.lines[2].text
    assert plan.revisit_step.value == "success_metrics"
    with pytest.raises(ValueError):
        plan_options([], None)


def test_a_decision_reads_as_it_was_offered() -> None:
    assert option_title(Option.STRONGER_MODEL, ["latency p95"]) == "Try a faster model"
    assert option_title(Option.STRONGER_MODEL, ["error rate", "cost per query"]) == (
        "Try another model"
    )
    assert option_title(Option.RETRIEVAL, ["error rate"]) == (
        "Filter retrieval or make the fallback stricter"
    )
    assert option_title(Option.STRONGER_MODEL, []) == "Change the model"


# ---- the trade-off table --------------------------------------------------------------------


def run(run_id: int, label: str, failed: int, p95: float, cost: float) -> RunFacts:
    return RunFacts(
        id=run_id,
        label=label,
        created_at=T0 + timedelta(days=run_id),
        n=400,
        n_failed=failed,
        latency=LatencySummary(
            n=400, p50_ms=p95 / 2, p95_ms=p95, p95_low_ms=p95 * 0.95, p95_high_ms=p95 * 1.05
        ),
        cost=CostSummary(n=400, mean_usd=cost, sd_usd=cost / 4, min_usd=0, max_usd=cost * 3),
    )


TARGETS = Targets(
    max_error_rate=0.1,
    max_latency_p95_ms=2000,
    max_cost_per_query_usd=0.01,
    tradeoff_priority=LATENCY_GIVES,
)


def report(latest: list[RunFacts]) -> list[dict[str, object]]:
    inputs = ReportInputs(
        feature_id=7,
        feature_name="Support answers",
        report_id=3,
        now=T0 + timedelta(days=30),
        targets=TARGETS,
        runs=[latest[-1]],
        latest_by_label=latest,
    )
    return report_blocks(build_report(inputs))


def test_the_table_ranks_labels_and_names_the_near_winner() -> None:
    latest = [
        run(1, "big", 8, 2600, 0.004),  # misses only latency, which gives way first
        run(2, "cheap", 80, 900, 0.001),  # misses the error rate
        run(3, "small", 120, 1500, 0.002),  # the latest: misses the error rate
    ]
    inputs = ReportInputs(
        feature_id=7,
        feature_name="Support answers",
        report_id=3,
        now=T0,
        targets=TARGETS,
        runs=[latest[-1]],
        latest_by_label=latest,
    )
    model = build_report(inputs)
    assert [row.run.label for row in model.tradeoff] == ["big", "cheap", "small"]
    text = render_text(model)
    assert 'Misses only on latency, which you agreed gives way first: run #1 "big".' in text
    assert TABLE_TITLE in text and "big    #1   400    2% ✓" in text


def test_the_table_is_a_slack_table_block_with_plain_cells() -> None:
    latest = [run(1, "<!channel> big", 8, 2600, 0.004), run(2, "small", 120, 1500, 0.002)]
    blocks = report(latest)
    tables = [block for block in blocks if block["type"] == "table"]
    assert len(tables) == 1  # Slack allows one table per message
    rows = tables[0]["rows"]
    assert isinstance(rows, list) and len(rows) == 3 and len(rows[0]) == 7
    assert all(cell["type"] == "raw_text" and cell["text"] for row in rows for cell in row)
    assert rows[1][0]["text"] == "‹!channel› big"  # no mention syntax leaves the bot
    assert "<!channel>" not in str(blocks)
    shown = "\n".join(render_blocks(blocks))  # the playground draws it as columns
    assert "model" in shown and "‹!channel› big  #1" in shown


def test_a_table_that_does_not_fit_goes_as_text() -> None:
    assert table_block([["a"]] * (TABLE_MAX_ROWS + 1)) is None
    assert table_block([["x"] * 21]) is None
    assert table_block([]) is None


def test_a_single_label_has_no_table() -> None:
    blocks = report([run(1, "small", 120, 1500, 0.002)])
    assert not [block for block in blocks if block["type"] == "table"]
    assert TABLE_TITLE not in str(blocks)


def test_success_measures_a_run_carries_are_judged_and_tabled() -> None:
    grounded = SuccessMetric(name="groundedness", target=90, direction=Direction.AT_LEAST, unit="%")
    csat = SuccessMetric(name="CSAT", target=4.2, direction=Direction.AT_LEAST)
    targets = TARGETS.model_copy(update={"success_metrics": [grounded, csat]})

    def carrying(run_id: int, label: str, failed_checks: int) -> RunFacts:
        check = CheckTally(name="groundedness", kind="groundedness", n=400, n_failed=failed_checks)
        return run(run_id, label, 8, 1500, 0.002).model_copy(update={"checks": [check]})

    latest = [carrying(1, "big", 20), carrying(2, "small", 80)]  # 95% and 80% grounded
    inputs = ReportInputs(
        feature_id=7,
        feature_name="Support answers",
        report_id=3,
        now=T0,
        targets=targets,
        runs=[latest[-1]],
        latest_by_label=latest,
    )
    model = build_report(inputs)
    assert model.missed == ["groundedness"]  # CSAT has no readings: no data, not a miss
    text = render_text(model)
    assert "groundedness: 80% of 400 cases passed `groundedness`" in text
    assert "Target: groundedness ≥ 90%. Verdict: misses." in text
    assert "CSAT: no data yet (record readings with" in text
    header = next(line for line in text.splitlines() if line.startswith("model"))
    assert header.split()[-3:] == ["groundedness", "all", "met"]
    assert 'Meets every target: run #1 "big"' in text
    verdicts = judge_run(latest[-1], targets)
    assert [m.measure for m in verdicts.measures] == [
        "error rate",
        "latency p95",
        "cost per query",
        "groundedness",
    ]
    assert verdicts.exit_code() == 1 and "CSAT: not measured by this eval run" in " ".join(
        verdicts.not_judged
    )
