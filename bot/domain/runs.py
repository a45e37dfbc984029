"""One snapshot of a stored eval run's numbers. Reports, reframe answers, the thread summary after
a run, `groundline check` and the upload API's answer all judge this same value, so they can
never disagree about a run."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.costs import CostSummary
from bot.domain.quantiles import LatencySummary


class CheckTally(BaseModel):
    """One named check of a run: how many answered cases it judged and how many failed it."""

    model_config = ConfigDict(frozen=True)
    name: str
    kind: str = "other"  # correctness, groundedness, latency, cost, other
    n: int = Field(ge=0)
    n_failed: int = Field(ge=0)


class RunFacts(BaseModel):
    """A run's aggregates as stored at ingest (`n` counts answered cases; errored apart).

    `within_latency_budget` is (budget in ms, timed cases at or under it): counted from the
    run's cases only for a run being judged against that budget, since it sizes the "how many
    more cases would settle it" answer; None elsewhere.
    """

    model_config = ConfigDict(frozen=True)
    id: int
    label: str | None = None
    created_at: datetime
    n: int = Field(ge=0)
    n_failed: int = Field(ge=0)
    n_errored: int = Field(ge=0, default=0)
    latency: LatencySummary | None = None
    cost: CostSummary | None = None
    within_latency_budget: tuple[float, int] | None = None
    wrong_means: str | None = None  # "wrong = failed groundedness or correctness" (ingest)
    checks: list[CheckTally] = Field(default_factory=list)  # the checks the file carried

    @property
    def failure_rate(self) -> float | None:
        return self.n_failed / self.n if self.n else None

    def within(self, budget_ms: float) -> int | None:
        """Timed cases at or under `budget_ms`, when they were counted for that budget."""
        counted = self.within_latency_budget
        return counted[1] if counted is not None and counted[0] == budget_ms else None
