"""Cost per answered query: mean, spread and the mean's interval, checked against the standard
library's statistics module and by hand."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.domain.costs import CostSummary, judge_cost, mean_interval, summarise_costs
from bot.domain.distributions import t_critical
from bot.domain.stats import MAX_CASES_NEEDED, Verdict

costs = st.lists(st.floats(min_value=0.0, max_value=5.0, allow_nan=False), min_size=2)


@given(costs)
def test_summary_matches_the_standard_library(values: list[float]) -> None:
    summary = summarise_costs(values)
    assert summary is not None and summary.n == len(values)
    assert summary.mean_usd == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-15)
    assert summary.sd_usd == pytest.approx(statistics.stdev(values), rel=1e-9, abs=1e-12)
    assert summary.min_usd == min(values) and summary.max_usd == max(values)


def test_summary_skips_unmeasured_and_one_case_has_no_spread() -> None:
    assert summarise_costs([]) is None and summarise_costs([math.nan]) is None
    one = summarise_costs([0.002, math.nan])
    assert one is not None and one.n == 1 and one.sd_usd is None
    judged = judge_cost(one, 0.01)
    assert judged.verdict is Verdict.TOO_CLOSE and judged.ci_low is None


def test_a_million_tiny_costs_sum_exactly() -> None:
    summary = summarise_costs([0.0001] * 1_000_000)
    assert summary is not None and summary.mean_usd == 0.0001 and summary.sd_usd == 0.0


def test_interval_by_hand() -> None:
    # 0.001, 0.002, 0.003: mean 0.002, s = 0.001, t(2) = 4.302653 → half = 0.0024841.
    summary = summarise_costs([0.001, 0.002, 0.003])
    assert summary is not None
    low, high = mean_interval(summary)
    assert low == 0.0  # clipped: no query costs less than nothing
    assert high == pytest.approx(0.002 + 4.302653 * 0.001 / math.sqrt(3), rel=1e-6)


@given(costs, st.floats(min_value=0.0001, max_value=5.0))
def test_verdict_follows_the_interval(values: list[float], budget: float) -> None:
    summary = summarise_costs(values)
    assert summary is not None
    judged = judge_cost(summary, budget)
    assert judged.ci_low is not None and judged.ci_high is not None
    assert judged.ci_low <= summary.mean_usd <= judged.ci_high
    if judged.ci_high <= budget:
        assert judged.verdict is Verdict.MEETS
    elif judged.ci_low > budget:
        assert judged.verdict is Verdict.MISSES
    else:
        assert judged.verdict is Verdict.TOO_CLOSE


def _settles(mean: float, sd: float, total: int, budget: float) -> bool:
    half = t_critical(total - 1) * sd / math.sqrt(total)
    return mean + half <= budget or max(0.0, mean - half) > budget


@given(
    st.integers(min_value=2, max_value=5000),
    st.floats(min_value=0.0001, max_value=0.1),
    st.floats(min_value=0.00001, max_value=0.1),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_cases_needed_for_cost_is_exactly_enough(
    n: int, mean: float, sd: float, where: float
) -> None:
    summary = CostSummary(n=n, mean_usd=mean, sd_usd=sd, min_usd=0.0, max_usd=mean * 3)
    low, high = mean_interval(summary)
    budget = low + where * (high - low)
    assume(budget > 0)
    judged = judge_cost(summary, budget)
    assume(judged.verdict is Verdict.TOO_CLOSE and judged.cases_needed is not None)
    assert judged.cases_needed is not None
    total = n + judged.cases_needed
    assert 1 <= judged.cases_needed <= MAX_CASES_NEEDED
    assert _settles(mean, sd, total, budget) and not _settles(mean, sd, total - 1, budget)


def test_average_on_the_budget_never_settles() -> None:
    summary = CostSummary(n=50, mean_usd=0.01, sd_usd=0.002, min_usd=0.005, max_usd=0.02)
    judged = judge_cost(summary, 0.01)
    assert judged.verdict is Verdict.TOO_CLOSE and judged.on_the_limit
