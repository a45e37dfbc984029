"""Probability distributions the statistics need: the normal and Student-t quantiles, and the
binomial distribution behind the order-statistic interval of a percentile.

Standard library only (no numpy/scipy at run time). Each function is checked in the tests
against published tables or a brute-force definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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


def z_two_sided(confidence: float) -> float:
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
    z = z_two_sided(confidence)
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


# A binomial probability this far below the largest one is dropped: the mass left out is below
# 1e-30, far under the 1e-12 the order-statistic interval's tail comparisons need.
_NEGLIGIBLE = 1e-30


def binomial_pmf_window(n: int, p: float) -> tuple[int, list[float]]:
    """(first, pmf): P(B = first + i) = pmf[i] for B ~ Binomial(n, p), over the ks that carry
    any mass worth counting, normalised to sum to 1.

    Computed outwards from the mode by the ratio P(k+1)/P(k) = (n−k)/(k+1) · p/(1−p), so a
    million cases cost a few thousand steps (about 12 standard deviations each way), not n.
    """
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1 (exclusive), got {p}")
    mode = min(n, math.floor((n + 1) * p))
    odds = p / (1.0 - p)
    up: list[float] = []
    value, k = 1.0, mode
    while k < n:
        value *= (n - k) / (k + 1) * odds
        k += 1
        if value < _NEGLIGIBLE:
            break
        up.append(value)
    down: list[float] = []
    value, k = 1.0, mode
    while k > 0:
        value *= k / (n - k + 1) / odds
        k -= 1
        if value < _NEGLIGIBLE:
            break
        down.append(value)
    weights = [*reversed(down), 1.0, *up]
    total = math.fsum(weights)
    return mode - len(down), [weight / total for weight in weights]


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(B ≤ k) for B ~ Binomial(n, p)."""
    first, pmf = binomial_pmf_window(n, p)
    if k < first:
        return 0.0
    return min(1.0, math.fsum(pmf[: k - first + 1]))
