"""Cost per answered query: the mean of the per-case costs, their spread, and a verdict on the
mean's 95% interval against the agreed budget, like the error rate's.

A budget per query is a budget on the mean (1,000 queries cost 1,000 × the mean), so the mean
is what is judged. Its interval is Student-t on the per-case costs: by the central limit theorem
it holds for the run sizes evals have (tens of cases and more) even though costs are skewed.
The spread (standard deviation, cheapest and dearest case) is shown so a mean held up by a few
expensive cases is visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from bot.domain.distributions import t_critical, z_two_sided
from bot.domain.stats import Verdict, fewest_settling, verdict_at_most

CONFIDENCE = 0.95
FEWEST_TO_JUDGE = 2  # one case says nothing about the spread, so nothing about the mean


class CostSummary(BaseModel):
    """Per-case costs of a run's answered cases that carry one; sd_usd None with one case."""

    model_config = ConfigDict(frozen=True)
    n: int
    mean_usd: float
    sd_usd: float | None
    min_usd: float
    max_usd: float
    # False for a run stored before spreads were kept whose per-case rows are gone: no interval.
    interval_known: bool = True


def summarise_costs(values: Iterable[float]) -> CostSummary | None:
    """Mean, sample standard deviation, cheapest and dearest; NaN (not measured) is skipped;
    none → None. Two exact passes (math.fsum), so a million costs of $0.0001 sum exactly."""
    costs = [value for value in values if not math.isnan(value)]
    if not costs:
        return None
    n = len(costs)
    mean = math.fsum(costs) / n
    sd = math.sqrt(math.fsum((cost - mean) ** 2 for cost in costs) / (n - 1)) if n > 1 else None
    return CostSummary(n=n, mean_usd=mean, sd_usd=sd, min_usd=min(costs), max_usd=max(costs))


def mean_interval(summary: CostSummary, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The mean's two-sided t-interval, clipped at $0 (no query costs less than nothing)."""
    if summary.sd_usd is None:
        raise ValueError("an interval needs at least two costs")
    half = t_critical(summary.n - 1, confidence) * summary.sd_usd / math.sqrt(summary.n)
    return max(0.0, summary.mean_usd - half), summary.mean_usd + half


class CostJudgement(BaseModel):
    """The mean cost per answered query against a budget per query. For TOO_CLOSE,
    `cases_needed` is how many more cases with costs, at the same mean and spread, would settle
    it (None on the limit or past MAX_CASES_NEEDED)."""

    model_config = ConfigDict(frozen=True)
    verdict: Verdict
    summary: CostSummary
    budget_usd: float
    ci_low: float | None
    ci_high: float | None
    cases_needed: int | None = None
    on_the_limit: bool = False


def _settles(mean: float, sd: float, total: int, budget: float) -> bool:
    half = t_critical(total - 1, CONFIDENCE) * sd / math.sqrt(total)
    return verdict_at_most(max(0.0, mean - half), mean + half, budget) is not Verdict.TOO_CLOSE


def judge_cost(summary: CostSummary, budget_usd: float) -> CostJudgement:
    if summary.sd_usd is None:  # one case (or no spread kept): too close to call, whatever it cost
        return CostJudgement(
            verdict=Verdict.TOO_CLOSE,
            summary=summary,
            budget_usd=budget_usd,
            ci_low=None,
            ci_high=None,
        )
    low, high = mean_interval(summary)
    verdict = verdict_at_most(low, high, budget_usd)
    judged = CostJudgement(
        verdict=verdict, summary=summary, budget_usd=budget_usd, ci_low=low, ci_high=high
    )
    if verdict is not Verdict.TOO_CLOSE:
        return judged
    mean, sd = summary.mean_usd, summary.sd_usd
    if mean == budget_usd:
        return judged.model_copy(update={"on_the_limit": True})
    z = z_two_sided(CONFIDENCE)
    estimate = (z * sd / abs(mean - budget_usd)) ** 2
    total = fewest_settling(summary.n, estimate, lambda size: _settles(mean, sd, size, budget_usd))
    return (
        judged if total is None else judged.model_copy(update={"cases_needed": total - summary.n})
    )
