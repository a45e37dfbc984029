"""The benches' statistics: percentiles of one run and of rounds pooled, and how far a ratio
of two apps' percentiles moves with the luck of the rounds."""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(latencies_ms: list[float], elapsed_s: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies_ms)
    return {
        "requests": len(ordered),
        "errors": errors,
        "elapsed_s": round(elapsed_s, 3),
        "req_per_s": round(len(ordered) / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p90_ms": round(percentile(ordered, 0.90), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1], 3) if ordered else float("nan"),
    }


@dataclass(frozen=True)
class Round:
    """One app's latencies in one round, sorted; each stands for `weight` requests (1 for
    bench/loadgen.py's raw latencies, requests/1000 for wrk's 1,000 quantiles)."""

    latencies_ms: list[float]
    weight: float

    @classmethod
    def of_wrk(cls, run: dict[str, Any]) -> Round:
        quantiles = run["quantiles_ms"]
        return cls(quantiles, run["requests"] / len(quantiles) if quantiles else 0.0)


def pooled_percentile(rounds: Sequence[Round], fraction: float) -> float:
    """Nearest-rank percentile of several rounds' requests taken as one set (as if they had
    been timed together). Walks in from the nearer end, so a p99 reads about 1% of them: the
    resampling below takes hundreds."""
    total = sum(r.weight * len(r.latencies_ms) for r in rounds)
    if total <= 0:
        return float("nan")
    slack = total * 1e-9
    if fraction <= 0.5:
        seen = 0.0
        ascending = heapq.merge(*(zip(r.latencies_ms, repeat(r.weight)) for r in rounds))
        for value, weight in ascending:
            seen += weight
            if seen >= fraction * total - slack:
                return value
        return float("nan")
    # From the top: the answer is the lowest value with at most (1 - fraction) of the
    # weight strictly above it.
    above, answer = 0.0, float("nan")
    descending = heapq.merge(
        *(zip(reversed(r.latencies_ms), repeat(r.weight)) for r in rounds), reverse=True
    )
    for value, weight in descending:
        if above > (1 - fraction) * total + slack:
            break
        answer = value
        above += weight
    return answer


def pooled_stats(
    rounds: Sequence[Round], elapsed_s: float, errors: int, max_ms: float | None = None
) -> dict[str, Any]:
    """Several rounds of one app as one run: requests and time added up, percentiles of all
    their requests (`pooled_percentile`)."""
    requests = round(sum(r.weight * len(r.latencies_ms) for r in rounds))
    if max_ms is None:
        max_ms = max((r.latencies_ms[-1] for r in rounds if r.latencies_ms), default=float("nan"))
    return {
        "requests": requests,
        "errors": errors,
        "elapsed_s": round(elapsed_s, 3),
        "req_per_s": round(requests / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        "p50_ms": round(pooled_percentile(rounds, 0.50), 3),
        "p90_ms": round(pooled_percentile(rounds, 0.90), 3),
        "p99_ms": round(pooled_percentile(rounds, 0.99), 3),
        "max_ms": round(max_ms, 3),
    }


RESAMPLES = 1000


def resampled_ratio(
    ours: Sequence[Round], floor: Sequence[Round], fraction: float, spread: float = 0.9
) -> tuple[float, float]:
    """How far ours/floor at one percentile moves with the luck of the rounds: the rounds
    are drawn again with replacement, in pairs (ours and the floor's round i ran within
    seconds of each other, so they share that moment's noise from the rest of the machine),
    and the middle `spread` of the resulting ratios is returned. Seeded: a run's report
    does not change when it is printed again."""
    assert len(ours) == len(floor), "rounds are paired"
    draw = random.Random(0)
    ratios = []
    for _ in range(RESAMPLES):
        picks = [draw.randrange(len(ours)) for _ in ours]
        ratio = pooled_percentile([ours[i] for i in picks], fraction) / pooled_percentile(
            [floor[i] for i in picks], fraction
        )
        ratios.append(ratio)
    ratios.sort()
    cut = (1 - spread) / 2
    return (
        round(ratios[int(cut * len(ratios))], 2),
        round(ratios[min(len(ratios) - 1, int((1 - cut) * len(ratios)))], 2),
    )
