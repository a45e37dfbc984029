"""Tests for bot.domain.stats: published values by hand, then properties with hypothesis.
(Over 300 lines: published reference values and properties for each statistic, side by side.)
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.domain.distributions import inverse_normal, t_critical
from bot.domain.report import sparkline
from bot.domain.stats import (
    MAX_CASES_NEEDED,
    RateJudgement,
    Verdict,
    cases_to_check,
    compare_rates,
    fewest_cases_to_meet,
    fewest_settling,
    judge_mean,
    judge_rate,
    judge_value,
    wilson_interval,
    wilson_interval_at_rate,
)
from bot.domain.targets import Direction

Z_975 = 1.959963984540054  # published Φ⁻¹(0.975)

# ---- inverse normal and Student t -------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.5, 0.0),
        (0.975, Z_975),
        (0.025, -Z_975),
        (0.95, 1.6448536269514722),
        (0.995, 2.5758293035489004),
        (0.8413447460685429, 1.0),  # Φ(1)
        (1e-12, -7.034483825301132),
    ],
)
def test_inverse_normal_matches_published_values(p: float, expected: float) -> None:
    assert inverse_normal(p) == pytest.approx(expected, rel=1e-13, abs=1e-14)


def test_inverse_normal_agrees_with_standard_library_everywhere() -> None:
    # statistics.NormalDist implements Wichura's AS241 independently of our Acklam + Halley.
    reference = NormalDist()
    rng = random.Random(7)
    probabilities = [rng.random() for _ in range(5000)] + [10.0**-e for e in range(1, 300, 7)]
    probabilities += [1.0 - 10.0**-e for e in range(1, 16)]
    for p in (p for p in probabilities if 0.0 < p < 1.0):
        assert inverse_normal(p) == pytest.approx(reference.inv_cdf(p), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_inverse_normal_rejects_probabilities_outside_the_open_interval(p: float) -> None:
    with pytest.raises(ValueError):
        inverse_normal(p)


def test_inverse_normal_survives_the_smallest_probability() -> None:
    assert -39.0 < inverse_normal(5e-324) < -38.0


def test_t_critical_closed_forms_for_one_and_two_degrees_of_freedom() -> None:
    # df=1 is the Cauchy distribution: t = tan(π(p − ½)); df=2: t = (2p − 1)/√(2p(1 − p)).
    assert t_critical(1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-12)
    assert t_critical(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-12)


@pytest.mark.parametrize(
    ("df", "expected"),
    [  # two-sided 95% critical values t_{0.975, df} as printed in t tables
        (3, 3.182446),
        (4, 2.776445),
        (9, 2.262157),
        (30, 2.042272),
        (200, 1.971896),
        (1000, 1.962339),
    ],
)
def test_t_critical_matches_t_tables(df: int, expected: float) -> None:
    assert t_critical(df) == pytest.approx(expected, abs=1e-6)


def test_t_critical_other_confidence_and_bad_df() -> None:
    assert t_critical(5, 0.99) == pytest.approx(4.032143, abs=1e-6)
    with pytest.raises(ValueError):
        t_critical(0)


@given(st.integers(min_value=1, max_value=5000))
def test_t_critical_shrinks_towards_z(df: int) -> None:
    assert Z_975 < t_critical(df + 1) <= t_critical(df)


# ---- Wilson interval ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "n", "low", "high"),
    [
        # 27/412: p=0.0655340, z²/n=0.0093239, centre=(p+z²/2n)/(1+z²/n)=0.0695475,
        # half=z·√(p(1-p)/n + z²/4n²)/(1+z²/n)=0.0241210 → 4.54% to 9.37%.
        (27, 412, 0.0454264560, 0.0936685226),
        # 0/10: low is 0, high = z²/(n+z²) = 3.841459/13.841459.
        (0, 10, 0.0, 0.2775327999),
        # 10/10: the mirror image, low = n/(n+z²) = 10/13.841459.
        (10, 10, 0.7224672001, 1.0),
        # 50/100: centred on 0.5, half = z·√(0.0025 + z²/40000)/(1 + z²/100) = 0.0961685.
        (50, 100, 0.4038315304, 0.5961684696),
    ],
)
def test_wilson_interval_hand_computed(failures: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(failures, n)
    assert got_low == pytest.approx(low, abs=1e-9)
    assert got_high == pytest.approx(high, abs=1e-9)


def test_wilson_interval_other_confidence() -> None:
    # 99% for 0/10: z=2.575829, high = z²/(n+z²) = 6.634897/16.634897.
    assert wilson_interval(0, 10, 0.99)[1] == pytest.approx(0.3988540, abs=1e-6)


@pytest.mark.parametrize(
    ("failures", "n", "confidence"),
    [(0, 0, 0.95), (-1, 10, 0.95), (11, 10, 0.95), (1, 10, 0.0), (1, 10, 1.0)],
)
def test_wilson_interval_rejects_bad_input(failures: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(failures, n, confidence)


counts = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts)
def test_wilson_contains_the_estimate_and_stays_in_unit_range(case: tuple[int, int]) -> None:
    failures, n = case
    low, high = wilson_interval(failures, n)
    assert 0.0 <= low <= failures / n <= high <= 1.0
    assert low < high


@given(counts, st.integers(min_value=2, max_value=50))
def test_wilson_narrows_as_cases_grow(case: tuple[int, int], factor: int) -> None:
    failures, n = case
    low, high = wilson_interval(failures, n)
    wider_low, wider_high = wilson_interval(failures * factor, n * factor)
    assert wider_high - wider_low < high - low


# ---- judging a failure rate -------------------------------------------------------------------


def test_judge_rate_meets_misses_and_too_close() -> None:
    meets = judge_rate(27, 412, 0.10)  # 4.5–9.4% is all under 10%
    assert meets.verdict is Verdict.MEETS and meets.cases_needed is None
    assert meets.rate == pytest.approx(27 / 412) and meets.n == 412
    misses = judge_rate(111, 412, 0.10)  # 27%: the whole interval is far above 10%
    assert misses.verdict is Verdict.MISSES and misses.ci_low is not None
    assert misses.ci_low > 0.10
    close = judge_rate(9, 100, 0.10)
    assert close.verdict is Verdict.TOO_CLOSE
    assert close.cases_needed is not None and close.cases_needed > 0
    assert not close.on_the_limit


def test_judge_rate_with_no_cases_is_no_data_not_zero() -> None:
    judgement = judge_rate(0, 0, 0.10)
    assert judgement == RateJudgement(
        verdict=Verdict.NO_DATA, rate=None, ci_low=None, ci_high=None, n=0
    )


def test_rate_exactly_on_the_limit_can_never_settle() -> None:
    judgement = judge_rate(10, 100, 0.10)
    assert judgement.verdict is Verdict.TOO_CLOSE
    assert judgement.cases_needed is None and judgement.on_the_limit


def test_cases_needed_past_the_cap_is_none() -> None:
    judgement = judge_rate(9_999, 100_000, 0.10)  # 9.999% against 10%: ~35 billion cases
    assert judgement.verdict is Verdict.TOO_CLOSE
    assert judgement.cases_needed is None and not judgement.on_the_limit


def test_judge_rate_zero_failures_settles_by_closed_form() -> None:
    # With no failures the upper bound is z²/(n+z²) ≤ limit once n ≥ z²(1-limit)/limit,
    # i.e. 34.57 → 35 cases for a 10% limit. From 10 cases that is 25 more.
    assert judge_rate(0, 10, 0.10).cases_needed == 25
    assert judge_rate(0, 35, 0.10).verdict is Verdict.MEETS


@pytest.mark.parametrize("limit", [0.0, 1.0, -0.5, 2.0])
def test_judge_rate_rejects_limits_outside_the_open_interval(limit: float) -> None:
    with pytest.raises(ValueError):
        judge_rate(1, 10, limit)


limits = st.floats(min_value=0.001, max_value=0.999)


def _settled(rate: float, n: int, limit: float) -> bool:
    low, high = wilson_interval_at_rate(rate, n)
    return high <= limit or low > limit


@given(counts, st.floats(min_value=0.0, max_value=1.0))
def test_cases_needed_is_exactly_enough(case: tuple[int, int], where: float) -> None:
    failures, n = case
    low, high = wilson_interval(failures, n)
    limit = low + where * (high - low)  # a limit inside the interval: too close to call
    assume(0.0 < limit < 1.0)
    judgement = judge_rate(failures, n, limit)
    assert judgement.verdict in (Verdict.TOO_CLOSE, Verdict.MEETS)  # MEETS only if limit == high
    assume(judgement.cases_needed is not None)
    assert judgement.cases_needed is not None  # for mypy
    rate = failures / n
    total = n + judgement.cases_needed
    assert _settled(rate, total, limit)
    assert not _settled(rate, total - 1, limit)
    assert 1 <= judgement.cases_needed <= MAX_CASES_NEEDED
    # And the verdict it settles to is the one the observed rate points at.
    settled_low, _ = wilson_interval_at_rate(rate, total)
    assert (settled_low > limit) == (rate > limit)


_MIRROR = {
    Verdict.MEETS: Verdict.MISSES,
    Verdict.MISSES: Verdict.MEETS,
    Verdict.TOO_CLOSE: Verdict.TOO_CLOSE,
}


@given(counts, limits)
def test_verdict_mirrors_when_failures_and_passes_swap(case: tuple[int, int], limit: float) -> None:
    failures, n = case
    judgement = judge_rate(failures, n, limit)
    assert judgement.ci_low is not None and judgement.ci_high is not None
    # Keep away from exact touching, where "≤ meets, > misses" is deliberately one-sided.
    assume(min(abs(judgement.ci_low - limit), abs(judgement.ci_high - limit)) > 1e-9)
    mirrored = judge_rate(n - failures, n, 1.0 - limit)
    assert mirrored.verdict is _MIRROR[judgement.verdict]


# ---- judging point values and means ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (4.3, 4.2, Direction.AT_LEAST, Verdict.MEETS),
        (4.2, 4.2, Direction.AT_LEAST, Verdict.MEETS),
        (4.1, 4.2, Direction.AT_LEAST, Verdict.MISSES),
        (1800.0, 2000.0, Direction.AT_MOST, Verdict.MEETS),
        (2000.0, 2000.0, Direction.AT_MOST, Verdict.MEETS),
        (2400.0, 2000.0, Direction.AT_MOST, Verdict.MISSES),
        (None, 2000.0, Direction.AT_MOST, Verdict.NO_DATA),
        (math.nan, 2000.0, Direction.AT_MOST, Verdict.NO_DATA),
    ],
)
def test_judge_value(
    value: float | None, target: float, direction: Direction, expected: Verdict
) -> None:
    assert judge_value(value, target, direction) is expected


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(finite, finite)
def test_judge_value_directions_mirror(value: float, target: float) -> None:
    at_least = judge_value(value, target, Direction.AT_LEAST)
    assert at_least is judge_value(-value, -target, Direction.AT_MOST)
    assert (at_least is Verdict.MEETS) == (value >= target)


def test_judge_mean_uses_a_t_interval() -> None:
    # CSAT 4.1, 4.3, 4.4: mean 4.2667, s = 0.15275, t(2) = 4.3027 → half = 0.3795.
    judgement = judge_mean([4.1, 4.3, 4.4], 4.2, Direction.AT_LEAST)
    assert judgement.verdict is Verdict.TOO_CLOSE
    assert judgement.mean == pytest.approx(4.266667, abs=1e-6)
    assert judgement.ci_low == pytest.approx(3.887208, abs=1e-6)
    assert judgement.ci_high == pytest.approx(4.646125, abs=1e-6)
    tight = judge_mean([4.5, 4.6, 4.5, 4.6, 4.55], 4.2, Direction.AT_LEAST)
    assert tight.verdict is Verdict.MEETS and tight.n == 5
    assert judge_mean([2.5, 2.6, 2.7], 2.0, Direction.AT_MOST).verdict is Verdict.MISSES


def test_judge_mean_one_sample_and_none() -> None:
    one = judge_mean([4.3], 4.2, Direction.AT_LEAST)
    assert one.verdict is Verdict.MEETS and one.ci_low == one.ci_high == 4.3
    assert judge_mean([], 4.2, Direction.AT_LEAST).verdict is Verdict.NO_DATA
    with pytest.raises(ValueError):
        judge_mean([4.0, math.inf], 4.2, Direction.AT_LEAST)


@given(st.lists(finite, min_size=1, max_size=30), finite)
def test_judge_mean_directions_mirror(values: list[float], target: float) -> None:
    at_least = judge_mean(values, target, Direction.AT_LEAST)
    at_most = judge_mean([-value for value in values], -target, Direction.AT_MOST)
    assert at_least.verdict is at_most.verdict


# ---- comparing two runs ---------------------------------------------------------------------


def test_compare_rates_known_z_test() -> None:
    # 60/400 → 36/400: pooled 0.12, se = √(0.12·0.88·2/400) = 0.0229783,
    # z = −0.06/0.0229783 = −2.61116, two-sided p = 2·(1 − Φ(2.61116)) = 0.0090234.
    change = compare_rates(60, 400, 36, 400)
    assert change is not None
    assert change.delta == pytest.approx(-0.06)
    assert change.delta_points == pytest.approx(-6.0)
    assert change.z == pytest.approx(-2.611165, abs=1e-6)
    assert change.p_value == pytest.approx(0.0090234, abs=1e-6)
    assert change.significant
    assert change.words == "down 6 points, more than noise"


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "words"),
    [
        (20, 200, 24, 200, "up 2 points, within noise"),
        (10, 100, 11, 100, "up 1 point, within noise"),
        (10, 100, 10, 100, "unchanged"),
        (0, 10, 0, 50, "unchanged"),  # all pass twice: no variance, no change
        (10, 10, 50, 50, "unchanged"),  # all fail twice
        (1000, 100000, 1300, 100000, "up less than 1 point, more than noise"),
        (0, 30, 30, 30, "up 100 points, more than noise"),
    ],
)
def test_compare_rates_words(k1: int, n1: int, k2: int, n2: int, words: str) -> None:
    change = compare_rates(k1, n1, k2, n2)
    assert change is not None and change.words == words


def test_compare_rates_without_a_run_is_none() -> None:
    assert compare_rates(0, 0, 3, 10) is None
    assert compare_rates(3, 10, 0, 0) is None
    with pytest.raises(ValueError):
        compare_rates(11, 10, 3, 10)


@given(counts, counts)
def test_compare_rates_is_antisymmetric(first: tuple[int, int], second: tuple[int, int]) -> None:
    forward = compare_rates(*first, *second)
    backward = compare_rates(*second, *first)
    assert forward is not None and backward is not None
    assert forward.delta == -backward.delta
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.significant == backward.significant
    assert 0.0 <= forward.p_value <= 1.0


# ---- sample sizes said plainly ------------------------------------------------------------


@given(limits)
def test_fewest_cases_to_meet_is_where_none_failing_first_meets(limit: float) -> None:
    fewest = fewest_cases_to_meet(limit)
    assert fewest is not None
    assert wilson_interval(0, fewest)[1] <= limit
    if fewest > 1:
        assert wilson_interval(0, fewest - 1)[1] > limit
        assert judge_rate(0, fewest - 1, limit).verdict is Verdict.TOO_CLOSE
    assert judge_rate(0, fewest, limit).verdict is Verdict.MEETS


def test_zero_failures_in_twenty_can_never_meet_ten_percent() -> None:
    judged = judge_rate(0, 20, 0.10)
    assert judged.verdict is Verdict.TOO_CLOSE and judged.fewest_to_meet == 35
    assert fewest_cases_to_meet(0.05) == 73  # z²·0.95/0.05 = 72.99


@given(limits, st.floats(min_value=0.0, max_value=0.99))
def test_cases_to_check_at_a_rate_below_the_limit(limit: float, fraction: float) -> None:
    rate = limit * fraction
    needed = cases_to_check(limit, rate)
    assume(needed is not None)
    assert needed is not None
    assert wilson_interval_at_rate(rate, needed)[1] <= limit
    if needed > 1:
        assert wilson_interval_at_rate(rate, needed - 1)[1] > limit


def test_cases_to_check_at_half_a_ten_percent_limit() -> None:
    # z²·p(1−p)/(p − r)² = 3.8415·0.09/0.0025 = 138.3 → 139 cases.
    assert cases_to_check(0.10, 0.05) == 139
    with pytest.raises(ValueError):
        cases_to_check(0.10, 0.10)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10**6))
def test_fewest_settling_finds_the_step_of_a_threshold(n: int, threshold: int) -> None:
    assume(threshold > n)
    for estimate in (1.0, threshold / 3, float(threshold), threshold * 4.0):
        assert fewest_settling(n, estimate, lambda size: size >= threshold) == threshold
    assert fewest_settling(n, 1.0, lambda size: False) is None


# ---- sparkline ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], "▁▂▃▄▅▆▇█"),
        ([0.27, 0.2, None, 0.1], "█▅·▁"),
        ([0.1, 0.1, 0.1], "▄▄▄"),
        ([None, None], "··"),
        ([1.0, math.nan, math.inf, 2.0], "▁··█"),
        ([], ""),
    ],
)
def test_sparkline(values: list[float | None], expected: str) -> None:
    assert sparkline(values) == expected
