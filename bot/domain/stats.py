"""Statistics for eval results: intervals, verdicts against targets, run-to-run changes.

Pure functions on plain numbers, standard library only (no numpy/scipy at run time), so the
report can say *how sure* a number is, not just what it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.distributions import t_critical, z_two_sided
from bot.domain.targets import Direction

# Past this many extra cases a "too close" result is, in practice, unsettleable.
MAX_CASES_NEEDED = 10_000_000


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
    z = z_two_sided(confidence)
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
    fewest_to_meet: int | None = None  # the fewest cases that can show MEETS (none failing)


def verdict_at_most(low: float, high: float, target: float) -> Verdict:
    """The one boundary rule shared by every ceiling: touching the target still meets it."""
    if high <= target:
        return Verdict.MEETS
    if low > target:
        return Verdict.MISSES
    return Verdict.TOO_CLOSE


def _settles(rate: float, n: int, limit: float, confidence: float) -> bool:
    low, high = wilson_interval_at_rate(rate, n, confidence)
    return verdict_at_most(low, high, limit) is not Verdict.TOO_CLOSE


def _more_cases_to_settle(rate: float, n: int, limit: float, confidence: float) -> int | None:
    """How many cases beyond n, at the same rate, until the interval leaves `limit` out.

    The limit p sits inside the Wilson interval exactly when N·(rate − p)² ≤ z²·p·(1 − p), so
    the total N has a closed form; a few unit steps then align it with the float verdict rule.
    None past MAX_CASES_NEEDED: no team will run that many, so the honest answer is "never".
    """
    z = z_two_sided(confidence)
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


def fewest_settling(n: int, estimate: float, settles: Callable[[int], bool]) -> int | None:
    """The total N > n at which `settles(N)` holds and `settles(N − 1)` does not, searched from
    a closed-form `estimate`: doubling until it settles, then halving the bracket. None past
    n + MAX_CASES_NEEDED. Used where each check costs more than a unit step can afford."""
    cap = n + MAX_CASES_NEEDED
    if estimate > cap * 1.5:
        return None
    high = min(cap, max(n + 1, math.ceil(estimate)))
    low, step = n, max(1, high // 64)
    while not settles(high):
        if high >= cap:
            return None
        low, high = high, min(cap, high + step)
        step *= 2
    while high - low > 1:
        middle = (low + high) // 2
        if settles(middle):
            high = middle
        else:
            low = middle
    return high


def fewest_cases_to_meet(limit: float, confidence: float = 0.95) -> int | None:
    """The fewest cases with which a run can show a failure rate meets `limit` at all: with
    none failing the Wilson upper end is z²/(n + z²), at or below the limit from
    n ≥ z²·(1 − limit)/limit on (35 cases for 10%, 73 for 5%). None past MAX_CASES_NEEDED."""
    if not 0.0 < limit < 1.0:
        raise ValueError(f"limit must be between 0 and 1 (exclusive), got {limit}")
    z = z_two_sided(confidence)
    estimate = z * z * (1.0 - limit) / limit
    return fewest_settling(0, estimate, lambda n: wilson_interval(0, n, confidence)[1] <= limit)


def cases_to_check(limit: float, rate: float, confidence: float = 0.95) -> int | None:
    """The fewest cases with which a run whose failure rate is `rate` (below `limit`) shows
    MEETS: its Wilson interval at that rate ends at or below the limit. None past
    MAX_CASES_NEEDED. E.g. 139 cases for a 10% limit when 5% of answers fail."""
    if not 0.0 < limit < 1.0 or not 0.0 <= rate < limit:
        raise ValueError(f"need 0 ≤ rate < limit < 1, got rate={rate}, limit={limit}")
    z = z_two_sided(confidence)
    gap = limit - rate
    estimate = z * z * limit * (1.0 - limit) / gap / gap
    return fewest_settling(
        0, estimate, lambda n: wilson_interval_at_rate(rate, n, confidence)[1] <= limit
    )


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
    verdict = verdict_at_most(low, high, limit)
    if verdict is not Verdict.TOO_CLOSE or rate == limit:
        on_the_limit = verdict is Verdict.TOO_CLOSE
        return RateJudgement(
            verdict=verdict,
            rate=rate,
            ci_low=low,
            ci_high=high,
            n=n,
            on_the_limit=on_the_limit,
            fewest_to_meet=fewest_cases_to_meet(limit, confidence),
        )
    needed = _more_cases_to_settle(rate, n, limit, confidence)
    return RateJudgement(
        verdict=verdict,
        rate=rate,
        ci_low=low,
        ci_high=high,
        n=n,
        cases_needed=needed,
        fewest_to_meet=fewest_cases_to_meet(limit, confidence),
    )


def _judge_interval(low: float, high: float, target: float, direction: Direction) -> Verdict:
    if direction is Direction.AT_MOST:
        return verdict_at_most(low, high, target)
    return verdict_at_most(-high, -low, -target)  # "≥ target" is "−value ≤ −target"


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
