"""Percentiles that say what is true of the cases, with an interval that assumes nothing about
their distribution.

- The p-th percentile is taken by **nearest rank**: the smallest measured value with at least p%
  of the values at or below it. So "95% of answers came back within X" is a true sentence about
  the run (interpolating between two values, numpy's default, can give an X that fewer than 95%
  of the answers met).
- Its 95% interval is a pair of order statistics [x_(l), x_(u)] chosen from the binomial
  distribution: whatever the latencies' distribution, the number of cases at or below the true
  percentile is Binomial(n, p), so the interval holds the true percentile at least 95% of the
  time. With few cases an end does not exist (no value is high enough to be 97.5% sure the true
  p95 is below it before 72 cases): then it is None, and a verdict that needs it cannot be
  reached at that size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from bot.domain.distributions import binomial_pmf_window, z_two_sided
from bot.domain.stats import Verdict, fewest_settling

CONFIDENCE = 0.95
P95 = 0.95


def nearest_rank(n: int, share: float) -> int:
    """The 1-based rank of the nearest-rank `share` quantile among n sorted values: ⌈share·n⌉,
    at least 1. Exact for shares written in decimals (0.95·20 is 19, not 19.000000000000004)."""
    if n < 1:
        raise ValueError("a percentile needs at least one value")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within [0, 1], got {share}")
    return max(1, math.ceil(Fraction(repr(share)) * n))


def nearest_rank_value(sorted_values: Sequence[float], share: float) -> float:
    """The smallest value with at least `share` of the values at or below it (ascending input)."""
    return sorted_values[nearest_rank(len(sorted_values), share) - 1]


def interval_ranks(
    n: int, share: float, confidence: float = CONFIDENCE
) -> tuple[int | None, int | None]:
    """1-based ranks (l, u) with P(x_(l) ≤ ξ ≤ x_(u)) ≥ confidence for the `share` quantile ξ.

    With B ~ Binomial(n, share) the count of values at or below ξ: l is the largest rank with
    P(B < l) ≤ α/2 and u the smallest with P(B ≥ u) ≤ α/2 (α = 1 − confidence), each tail
    kept to α/2. None when no rank is far enough out (too few values for that end).
    """
    if n < 1:
        raise ValueError("an interval needs at least one value")
    if not 0.0 < share < 1.0 or not 0.0 < confidence < 1.0:
        raise ValueError("share and confidence must be strictly between 0 and 1")
    tail = (1.0 - confidence) / 2.0
    first, pmf = binomial_pmf_window(n, share)
    last = first + len(pmf) - 1
    # Lower: the largest k = l − 1 with P(B ≤ k) ≤ α/2. Below the window P(B ≤ k) ≈ 0.
    k_lower, below = first - 1, 0.0
    for i, mass in enumerate(pmf):
        below += mass
        if below > tail:
            break
        k_lower = first + i
    # Upper: the smallest u with P(B ≥ u) ≤ α/2, summed from the top so the tail keeps its
    # precision. Above the window P(B ≥ u) ≈ 0.
    upper, above = last + 1, 0.0
    for i in range(len(pmf) - 1, -1, -1):
        above += pmf[i]
        if above > tail:
            break
        upper = first + i
    lower = k_lower + 1 if k_lower >= 0 else None
    return lower, (upper if upper <= n else None)


class LatencySummary(BaseModel):
    """What a run's per-case latencies say, over the answered cases that carry one.

    p95_low_ms / p95_high_ms: the ends of the 95% interval of the p95; None when the run has too
    few timed cases for that end to exist (fewer than 2 for the low end, 72 for the high end).
    """

    model_config = ConfigDict(frozen=True)
    n: int
    p50_ms: float
    p95_ms: float
    p95_low_ms: float | None
    p95_high_ms: float | None
    # False for a run stored before intervals were kept whose per-case rows are gone.
    interval_known: bool = True


def summarise_latencies(values: Iterable[float]) -> LatencySummary | None:
    """Nearest-rank p50 and p95 and the p95's interval; NaN (not measured) is skipped; none →
    None. One sort; the rest is O(√n)."""
    ordered = sorted(value for value in values if not math.isnan(value))
    if not ordered:
        return None
    n = len(ordered)
    low_rank, high_rank = interval_ranks(n, P95)
    return LatencySummary(
        n=n,
        p50_ms=nearest_rank_value(ordered, 0.5),
        p95_ms=nearest_rank_value(ordered, P95),
        p95_low_ms=ordered[low_rank - 1] if low_rank is not None else None,
        p95_high_ms=ordered[high_rank - 1] if high_rank is not None else None,
    )


def fewest_for_upper_end(share: float = P95, confidence: float = CONFIDENCE) -> int:
    """The fewest values for which the interval's upper end exists: 72 for the p95 at 95%.

    u ≤ n needs P(B = n) = shareⁿ ≤ α/2, so n ≥ log(α/2) / log(share)."""
    tail = (1.0 - confidence) / 2.0
    n = max(1, math.ceil(math.log(tail) / math.log(share)) - 1)
    while interval_ranks(n, share, confidence)[1] is None:
        n += 1
    return n


class LatencyJudgement(BaseModel):
    """A run's p95 against a latency budget, judged on the p95's interval like the error rate.

    MEETS when the interval's high end is at or under the budget, MISSES when its low end is
    over, else TOO_CLOSE. For TOO_CLOSE, `cases_needed` is how many more timed cases, with the
    same share within budget as this run, would settle it (None when not counted, on the limit,
    or past MAX_CASES_NEEDED); `fewest_to_meet` is the fewest timed cases that can show MEETS.
    """

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    summary: LatencySummary
    budget_ms: float
    within: int | None = None  # timed cases at or under the budget, when counted
    cases_needed: int | None = None
    on_the_limit: bool = False
    fewest_to_meet: int


def _latency_settles(share_within: float, total: int) -> bool:
    low_rank, high_rank = interval_ranks(total, P95)
    within = share_within * total  # at the same share: the count need not be whole
    if high_rank is not None and within >= high_rank:
        return True  # x_(u) ≤ budget: at least u values are within it
    return low_rank is not None and within < low_rank  # x_(l) > budget


def judge_latency(
    summary: LatencySummary, budget_ms: float, within: int | None = None
) -> LatencyJudgement:
    """`within`: how many of the run's timed cases took at most `budget_ms` (optional; it only
    sizes the "how many more cases" answer, the verdict reads the interval alone)."""
    if within is not None and not 0 <= within <= summary.n:
        raise ValueError(f"need 0 ≤ within ≤ n, got within={within}, n={summary.n}")
    fewest = fewest_for_upper_end()
    high, low = summary.p95_high_ms, summary.p95_low_ms
    if high is not None and high <= budget_ms:
        verdict = Verdict.MEETS
    elif low is not None and low > budget_ms:
        verdict = Verdict.MISSES
    else:
        verdict = Verdict.TOO_CLOSE
    judged = LatencyJudgement(
        verdict=verdict, summary=summary, budget_ms=budget_ms, within=within, fewest_to_meet=fewest
    )
    if verdict is not Verdict.TOO_CLOSE or within is None:
        return judged
    if Fraction(within, summary.n) == Fraction(repr(P95)):
        return judged.model_copy(update={"on_the_limit": True})
    share = within / summary.n
    z = z_two_sided(CONFIDENCE)
    gap = abs(share - P95)
    estimate = max(float(fewest) if share > P95 else 1.0, z * z * P95 * (1 - P95) / gap / gap)
    total = fewest_settling(summary.n, estimate, lambda size: _latency_settles(share, size))
    if total is None:
        return judged
    return judged.model_copy(update={"cases_needed": total - summary.n})
