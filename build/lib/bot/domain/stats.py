"""Statistics for eval results: intervals, verdicts against targets, run-to-run changes.

Pure functions on plain numbers, standard library only (no numpy/scipy at run time), so the
report can say *how sure* a number is, not just what it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.targets import Direction

# Past this many extra cases a "too close" result is, in practice, unsettleable.
MAX_CASES_NEEDED = 10_000_000
# Student-t quantiles are solved exactly up to this many degrees of freedom; above it the
# Cornish-Fisher expansion is already accurate to better than 1e-9.
_EXACT_T_MAX_DF = 200

# Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9),
# polished below with one Halley step against math.erfc to full double precision.
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _poly(coefficients: Sequence[float], x: float) -> float:
    """Horner's rule, highest power first."""
    total = 0.0
    for coefficient in coefficients:
        total = total * x + coefficient
    return total


def inverse_normal(p: float) -> float:
    """The z with P(Z ≤ z) = p for a standard normal Z; p must be strictly inside (0, 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1 (exclusive), got {p}")
    if p > 0.5:  # by symmetry; 1 - p is exact here, so the far upper tail keeps its precision
        return -inverse_normal(1.0 - p)
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = _poly(_C, q) / (_poly(_D, q) * q + 1.0)
    else:
        q = p - 0.5
        x = _poly(_A, q * q) * q / (_poly(_B, q * q) * q * q + 1.0)
    if p < 1e-300:  # the polishing step's exp(x²/2) would overflow; 1e-9 is plenty out here
        return x
    error = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = error * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


def _z_two_sided(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    return inverse_normal(0.5 + confidence / 2.0)


def _t_central_mass(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with integer df (closed-form series, Abramowitz & Stegun 26.7)."""
    theta = math.atan(t / math.sqrt(df))
    cos_sq, term, total = math.cos(theta) ** 2, 1.0, 1.0
    if df % 2 == 0:
        for j in range(1, df // 2):
            term *= cos_sq * (2 * j - 1) / (2 * j)
            total += term
        return math.sin(theta) * total
    if df == 1:
        return 2.0 * theta / math.pi
    for j in range(1, (df - 1) // 2):
        term *= cos_sq * (2 * j) / (2 * j + 1)
        total += term
    return 2.0 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)


def t_critical(df: int, confidence: float = 0.95) -> float:
    """The t with P(|T| ≤ t) = confidence; e.g. 2.776 for df=4 at 95%.

    Small samples are where t matters (three weekly CSAT numbers), so those are solved exactly
    by bisection on the closed-form CDF; large df use the Cornish-Fisher expansion around z.
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    z = _z_two_sided(confidence)
    if df > _EXACT_T_MAX_DF:
        g1 = (z**3 + z) / 4
        g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
        g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
        return z + g1 / df + g2 / df**2 + g3 / df**3
    low, high = z, 2.0 * z
    while _t_central_mass(high, df) < confidence:
        low, high = high, high * 2.0
    for _ in range(60):  # 60 halvings take the bracket below float precision
        middle = (low + high) / 2.0
        if _t_central_mass(middle, df) < confidence:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def _check_counts(failures: int, n: int) -> None:
    if n < 0 or not 0 <= failures <= n:
        raise ValueError(f"need 0 ≤ failures ≤ n, got failures={failures}, n={n}")


def wilson_interval_at_rate(rate: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for an observed rate over n cases (rate need not be k/n exactly).

    Wilson rather than the textbook p ± z·√(p(1-p)/n): it stays inside [0, 1] and does not
    collapse to zero width at 0% or 100%, which eval runs hit often (0 of 10 failed).
    """
    if n <= 0:
        raise ValueError("a rate needs at least one case")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be within [0, 1], got {rate}")
    z = _z_two_sided(confidence)
    z_sq_n = z * z / n
    centre = (rate + z_sq_n / 2.0) / (1.0 + z_sq_n)
    half = z * math.sqrt(rate * (1.0 - rate) / n + z_sq_n / (4.0 * n)) / (1.0 + z_sq_n)
    low = 0.0 if rate == 0.0 else max(0.0, centre - half)
    high = 1.0 if rate == 1.0 else min(1.0, centre + half)
    return low, high


def wilson_interval(failures: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for `failures` out of `n` cases; n == 0 raises ValueError."""
    _check_counts(failures, n)
    if n == 0:
        raise ValueError("a rate needs at least one case")
    return wilson_interval_at_rate(failures / n, n, confidence)


class Verdict(StrEnum):
    MEETS = "meets"
    MISSES = "misses"
    TOO_CLOSE = "too_close"
    NO_DATA = "no_data"


class RateJudgement(BaseModel):
    """A failure rate against a ceiling. Rate and interval are None only with NO_DATA.

    cases_needed: for TOO_CLOSE, how many MORE cases at the same observed rate would most likely
    settle it; None when it never can (`on_the_limit`: the rate equals the limit) or when it
    would take more than MAX_CASES_NEEDED.
    """

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    cases_needed: int | None = None
    on_the_limit: bool = False


def _verdict_at_most(low: float, high: float, target: float) -> Verdict:
    """The one boundary rule shared by every ceiling: touching the target still meets it."""
    if high <= target:
        return Verdict.MEETS
    if low > target:
        return Verdict.MISSES
    return Verdict.TOO_CLOSE


def _settles(rate: float, n: int, limit: float, confidence: float) -> bool:
    low, high = wilson_interval_at_rate(rate, n, confidence)
    return _verdict_at_most(low, high, limit) is not Verdict.TOO_CLOSE


def _more_cases_to_settle(rate: float, n: int, limit: float, confidence: float) -> int | None:
    """How many cases beyond n, at the same rate, until the interval leaves `limit` out.

    The limit p sits inside the Wilson interval exactly when N·(rate − p)² ≤ z²·p·(1 − p), so
    the total N has a closed form; a few unit steps then align it with the float verdict rule.
    None past MAX_CASES_NEEDED: no team will run that many, so the honest answer is "never".
    """
    z = _z_two_sided(confidence)
    gap = abs(rate - limit)  # divided twice, not squared: a tiny gap must not underflow to 0
    threshold = z * z * limit * (1.0 - limit) / gap / gap
    if threshold - n > MAX_CASES_NEEDED + 1:
        return None
    total = max(n + 1, math.floor(threshold) + 1)
    while not _settles(rate, total, limit, confidence):
        total += 1
    while total - 1 > n and _settles(rate, total - 1, limit, confidence):
        total -= 1
    return total - n if total - n <= MAX_CASES_NEEDED else None


def judge_rate(failures: int, n: int, limit: float, confidence: float = 0.95) -> RateJudgement:
    """Judge a failure rate against a ceiling using its Wilson interval.

    MEETS when the whole interval is ≤ limit, MISSES when all of it is above, else TOO_CLOSE.
    """
    _check_counts(failures, n)
    if not 0.0 < limit < 1.0:
        raise ValueError(f"limit must be between 0 and 1 (exclusive), got {limit}")
    if n == 0:
        return RateJudgement(verdict=Verdict.NO_DATA, rate=None, ci_low=None, ci_high=None, n=0)
    rate = failures / n
    low, high = wilson_interval(failures, n, confidence)
    verdict = _verdict_at_most(low, high, limit)
    if verdict is not Verdict.TOO_CLOSE or rate == limit:
        on_the_limit = verdict is Verdict.TOO_CLOSE
        return RateJudgement(
            verdict=verdict, rate=rate, ci_low=low, ci_high=high, n=n, on_the_limit=on_the_limit
        )
    needed = _more_cases_to_settle(rate, n, limit, confidence)
    return RateJudgement(
        verdict=verdict, rate=rate, ci_low=low, ci_high=high, n=n, cases_needed=needed
    )


def _judge_interval(low: float, high: float, target: float, direction: Direction) -> Verdict:
    if direction is Direction.AT_MOST:
        return _verdict_at_most(low, high, target)
    return _verdict_at_most(-high, -low, -target)  # "≥ target" is "−value ≤ −target"


def judge_value(value: float | None, target: float, direction: Direction) -> Verdict:
    """Point compare for a single measured value (latency p95, cost, one CSAT reading).

    None or NaN is NO_DATA: a missing number is reported as missing, never as zero.
    """
    if value is None or math.isnan(value):
        return Verdict.NO_DATA
    return _judge_interval(value, value, target, direction)


class MeanJudgement(BaseModel):
    """A success measure with several samples: mean and 95% t-interval (None only with NO_DATA)."""

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


def judge_mean(values: Sequence[float], target: float, direction: Direction) -> MeanJudgement:
    """Judge the mean of several samples against a target with a 95% Student-t interval.

    t, not normal: success measures often come as a handful of readings, where a normal
    interval would be too narrow and call MEETS too early. One sample is a point compare.
    """
    n = len(values)
    if n == 0:
        return MeanJudgement(verdict=Verdict.NO_DATA, mean=None, ci_low=None, ci_high=None, n=0)
    if any(not math.isfinite(value) for value in values):
        raise ValueError("values must be finite numbers")
    mean = math.fsum(values) / n
    if n == 1:
        low = high = mean
    else:
        variance = math.fsum((value - mean) ** 2 for value in values) / (n - 1)
        half = t_critical(n - 1) * math.sqrt(variance / n)
        low, high = mean - half, mean + half
    verdict = _judge_interval(low, high, target, direction)
    return MeanJudgement(verdict=verdict, mean=mean, ci_low=low, ci_high=high, n=n)


class RateChange(BaseModel):
    """Change in failure rate from an earlier run (1) to a later one (2); delta = rate2 − rate1."""

    model_config = ConfigDict(frozen=True)
    delta: float
    delta_points: float
    z: float
    p_value: float
    significant: bool
    words: str


def compare_rates(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05) -> RateChange | None:
    """Two-sided pooled two-proportion z-test: is the change between two runs more than noise?

    None when either run has no cases: there is nothing to compare. A pooled rate of 0 or 1
    (both runs all-pass or both all-fail) means the rates are equal, so z = 0, p = 1, unchanged.
    """
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if n1 == 0 or n2 == 0:
        return None
    delta = k2 / n2 - k1 / n1
    pooled = (k1 + k2) / (n1 + n2)
    std_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = 0.0 if std_error == 0.0 else delta / std_error
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    significant, points = p_value < alpha, delta * 100.0
    words = _change_words(points, significant)
    return RateChange(
        delta=delta, delta_points=points, z=z, p_value=p_value, significant=significant, words=words
    )


def _change_words(points: float, significant: bool) -> str:
    if points == 0.0:
        return "unchanged"
    rounded = round(abs(points))
    size = "less than 1 point" if rounded == 0 else f"{rounded} point{'s' if rounded > 1 else ''}"
    noise = "more than noise" if significant else "within noise"
    return f"{'up' if points > 0 else 'down'} {size}, {noise}"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation, numpy's default method.

    Takes any ascending Sequence (list, array('d'), …) and does not copy or re-check it, so a
    million latencies cost one sort by the caller and O(1) per percentile.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within [0, 100], got {q}")
    position = (len(sorted_values) - 1) * q / 100.0
    below = math.floor(position)
    lower = sorted_values[below]
    if below + 1 >= len(sorted_values):
        return lower
    upper = sorted_values[below + 1]
    # Clamped so rounding can never step past the next value: keeps it monotone in q.
    return min(upper, lower + (position - below) * (upper - lower))


def latency_summary(values: Iterable[float]) -> tuple[float, float] | None:
    """(p50, p95) of latencies in any order; NaN (not measured) is skipped; none → None."""
    ordered = sorted(value for value in values if not math.isnan(value))
    if not ordered:
        return None
    return percentile(ordered, 50.0), percentile(ordered, 95.0)


def cost_per_query(total_cost: float, n: int) -> float | None:
    """Average cost of one query; None (not 0) when there were no queries."""
    if n < 0:
        raise ValueError(f"query count cannot be negative, got {n}")
    return None if n == 0 else total_cost / n


def per_thousand(x: float) -> float:
    """Per-query amount expressed per 1,000 queries, the unit budgets are often agreed in."""
    return x * 1000.0


_BARS = "▁▂▃▄▅▆▇█"
_GAP = "·"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value scaled between the lowest and highest; a missing run shows as "·".

    NaN and infinities count as missing (they have no place on the scale). A flat series is
    drawn mid-height so it does not read as "all zero".
    """
    present = [value for value in values if value is not None and math.isfinite(value)]
    if not present:
        return _GAP * len(values)
    lowest, highest = min(present), max(present)
    span = highest - lowest
    bars = []
    for value in values:
        if value is None or not math.isfinite(value):
            bars.append(_GAP)
        elif span == 0.0:
            bars.append(_BARS[len(_BARS) // 2 - 1])
        else:
            bars.append(_BARS[round((value - lowest) / span * (len(_BARS) - 1))])
    return "".join(bars)
