"""The pure report model and its renderings: verdicts, no data, trade-offs, before/after,
celebration, escaping and the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.charts import failure_rate_png
from bot.domain.checklist import Step
from bot.domain.costs import CostSummary
from bot.domain.options import Option
from bot.domain.quantiles import LatencySummary
from bot.domain.report import (
    DecisionFacts,
    PreviousReport,
    ReportInputs,
    build_report,
    trend_points,
)
from bot.domain.report_text import headline, render_text
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.targets import Direction, SuccessMetric, Targets
from bot.slack.blocks.report import decision_value, report_blocks, report_message
from bot.slack.wire import DecisionValue

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TARGETS = Targets(max_error_rate=0.1, max_latency_p95_ms=2000, max_cost_per_query_usd=0.01)


def run(
    run_id: int, failed: int, n: int = 400, label: str | None = "small", p95: float = 1500
) -> RunFacts:
    return RunFacts(
        id=run_id,
        label=label,
        created_at=T0 + timedelta(days=run_id),
        n=n,
        n_failed=failed,
        # A p95 interval 10% either side: clearly within 2 s at 1.5 s, clearly over at 2.5 s.
        latency=LatencySummary(
            n=n, p50_ms=p95 / 2, p95_ms=p95, p95_low_ms=p95 * 0.9, p95_high_ms=p95 * 1.1
        ),
        cost=CostSummary(n=n, mean_usd=0.004, sd_usd=0.001, min_usd=0.001, max_usd=0.009),
    )


def inputs(**fields: object) -> ReportInputs:
    values: dict[str, object] = {
        "feature_id": 7,
        "feature_name": "Support answers",
        "report_id": 3,
        "now": T0 + timedelta(days=30),
        "targets": TARGETS,
    }
    values.update(fields)
    return ReportInputs.model_validate(values)


def test_no_data_is_said_never_zero() -> None:
    model = build_report(inputs(runs=[]))
    text = render_text(model)
    assert model.checks.error_rate.verdict is Verdict.NO_DATA
    assert "No data yet" in text and "0%" not in text and "$0" not in text
    assert model.missed == [] and report_blocks(model)[-1]["type"] == "context"


def test_all_errored_run_is_no_data() -> None:
    errored = RunFacts(id=1, created_at=T0, n=0, n_failed=0, n_errored=5)
    text = render_text(build_report(inputs(runs=[errored])))
    assert "every case in the run errored" in text and "5 cases errored" in text


def test_too_close_says_how_many_more_cases() -> None:
    model = build_report(inputs(runs=[run(1, 45)]))  # 11.25%, interval straddles 10%
    check = model.checks.error_rate
    assert check.verdict is Verdict.TOO_CLOSE and check.cases_needed
    total = 400 + check.cases_needed
    text = render_text(model)
    assert f"a run of {total:,} cases would settle it ({check.cases_needed:,} more" in text
    assert "about" not in text
    assert model.missed == []


def test_miss_offers_options_and_tradeoff_table() -> None:
    latest = [run(1, 20, label="big", p95=2500), run(2, 20, label="mid"), run(3, 120)]
    model = build_report(inputs(runs=[latest[-1]], latest_by_label=latest))
    assert model.missed == ["error rate"]
    meets = {row.run.label: row.meets_all for row in model.tradeoff}
    assert meets == {"big": False, "mid": True, "small": False}
    text = render_text(model)
    assert 'Meets every target: run #2 "mid"' in text
    assert "model" in text and "all met" in text and "2.5 s ✗" in text
    actions = next(b for b in report_blocks(model) if b["type"] == "actions")
    values = [DecisionValue.decode(e["value"]) for e in actions["elements"]]
    assert [(v.feature, v.report, v.option.value, v.step) for v in values] == [
        (7, 3, "A", None),
        (7, 3, "B", None),
        (7, 3, "C", Step.ERROR_RATE),
    ]
    latency = DecisionValue.decode(decision_value(7, 3, Option.REVISIT_TARGET, Step.LATENCY))
    assert latency.step is Step.LATENCY


def test_missed_latency_reopens_the_latency_step() -> None:
    model = build_report(inputs(runs=[run(1, 0, p95=5000)]))
    assert model.missed == ["latency p95"] and model.revisit_step is not None
    assert model.revisit_step.value == "latency"


def test_metric_judged_the_right_way_round() -> None:
    lower = SuccessMetric(name="Escalations", target=5, direction=Direction.AT_MOST, unit="%")
    higher = SuccessMetric(name="CSAT", target=4.2, direction=Direction.AT_LEAST)
    targets = TARGETS.model_copy(update={"success_metrics": [lower, higher]})
    samples = {"Escalations": [3.0], "CSAT": [3.9]}
    model = build_report(inputs(targets=targets, runs=[run(1, 0)], metric_samples=samples))
    verdicts = {m.metric.name: m.judgement.verdict for m in model.metrics}
    assert verdicts == {"Escalations": Verdict.MEETS, "CSAT": Verdict.MISSES}
    assert "CSAT" in model.missed and model.revisit_step is not None
    text = render_text(model)
    assert "Escalations: 3% (1 reading). Target: Escalations ≤ 5%: meets." in text


def test_change_since_last_report_and_celebration_credits_the_run() -> None:
    before, after = run(1, 120), run(2, 8)
    previous = PreviousReport(period="2026-W02", created_at=before.created_at, run=before)
    model = build_report(inputs(runs=[before, after], previous=previous))
    assert model.change is not None and model.change.significant
    assert model.newly_met is not None and model.newly_met.decision is None
    text = render_text(model)
    assert "down 28 points, more than noise" in text
    assert 'Newly met: error rate. Credit goes to run #2 "small".' in text


def test_decision_shows_before_and_after() -> None:
    before, after = run(1, 120), run(2, 8, label="big")
    decision = DecisionFacts(
        id=1,
        option=Option.STRONGER_MODEL,
        by="U0PM",
        at=before.created_at + timedelta(hours=1),
        run_before=before,
    )
    previous = PreviousReport(period="w", created_at=before.created_at, run=before)
    model = build_report(inputs(runs=[before, after], decisions=[decision], previous=previous))
    impact = model.decisions[0]
    assert impact.before == before and impact.after == after and impact.change is not None
    text = render_text(model)
    assert 'error rate 30% of 400 cases in run #1 "small" before' in text
    assert '2% of 400 cases in run #2 "big" after' in text
    assert "Credit goes to the decision A) change the model, chosen by U0PM" in text
    offered = decision.model_copy(update={"missed": ["error rate"]})
    model = build_report(inputs(runs=[before, after], decisions=[offered], previous=previous))
    assert "Credit goes to the decision A) try a stronger model, chosen by U0PM" in render_text(
        model
    )
    _, blocks = report_message(model)
    assert "<@U0PM>" in str(blocks)
    pending = build_report(inputs(runs=[before], decisions=[decision]))
    assert "no new run since" in render_text(pending)


def test_user_text_is_escaped_in_blocks() -> None:
    sneaky = run(1, 120, label="<!channel>")
    model = build_report(
        inputs(feature_name="<!here> & co", runs=[sneaky], latest_by_label=[sneaky])
    )
    text, blocks = report_message(model)
    dumped = str(blocks) + text
    assert "<!channel>" not in dumped and "<!here>" not in dumped
    assert "&lt;!here&gt; &amp; co" in dumped and "&lt;!channel&gt;" in dumped


def test_chart_is_a_png_or_nothing() -> None:
    png = failure_rate_png(trend_points([run(1, 120), run(2, 8)]), 0.1, "Support answers")
    assert png is not None and png.startswith(b"\x89PNG")
    empty = RunFacts(id=1, created_at=T0, n=0, n_failed=0)
    assert failure_rate_png(trend_points([empty]), 0.1, "x") is None


def test_headline_gives_each_number_with_what_was_agreed_and_the_verdict() -> None:
    line = headline(build_report(inputs(runs=[run(1, 120)])))  # 30% of 400
    assert line.startswith('Latest numbers, run #1 "small" (400 cases, 2026-01-06 09:00 UTC):')
    assert "error rate 30% (limit 10%): misses" in line
    assert "latency p95 1.5 s (budget 2 s): meets" in line
    assert "cost $0.004 per query (budget $0.01 per query): meets" in line
    assert headline(build_report(inputs(runs=[]))).endswith("no data yet (no eval run stored).")
    unagreed = headline(build_report(inputs(runs=[run(1, 120)], targets=None)))
    assert "error rate 30%;" in unagreed and "limit" not in unagreed and "meets" not in unagreed
