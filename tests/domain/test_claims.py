"""Every sentence the bot says about a run's numbers is true of the cases it came from.

Random runs (pass/fail, latencies, costs, errored cases) against random targets go through the
real pipeline: the summaries stored at ingest, the report, the thread summary, `groundline
check`'s text, the agreed message's sample-size line and reframe answers. Each sentence is then
split out and matched against a table of claims; each claim is checked against the raw cases
with a slow, independent computation (exact integer binomial sums, counting, the standard
library's statistics). A sentence with a number that no claim explains fails the test, so a
new sentence needs a checker before it can ship.
(Over 300 lines: the table of claims and their checks against the raw cases are one tool.)
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import NormalDist

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.checks import check_run
from bot.domain.costs import summarise_costs
from bot.domain.distributions import t_critical
from bot.domain.measure_text import checking_size_line
from bot.domain.options import Option
from bot.domain.quantiles import summarise_latencies
from bot.domain.reframe import recognise
from bot.domain.reframe_wording import answer
from bot.domain.report import DecisionFacts, PreviousReport, ReportInputs, build_report
from bot.domain.report_text import headline, render_text
from bot.domain.run_verdicts import check_text, judge_run
from bot.domain.runs import CheckTally, RunFacts
from bot.domain.targets import Direction, SuccessMetric, Targets, TradeoffPriority
from bot.domain.tradeoff_text import TABLE_TITLE
from bot.jobs.run_posts import numbers_lines
from tests.support.evals import exact_p95_ranks

Z = 1.959963984540054
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# ---- the raw cases and the slow, independent truth about them -------------------------------


@dataclass
class Raw:
    failed: int
    answered: int
    errored: int
    latencies: list[int]  # of the answered cases that carry one
    costs: list[float]
    targets: Targets
    id: int = 7
    earlier: dict[int, Raw] = field(default_factory=dict)  # other runs the text may cite, by id
    trend: list[float] = field(default_factory=list)  # failure rates of the trend, oldest first
    checks: list[CheckTally] = field(default_factory=list)  # named checks: n judged, n failed

    @property
    def rate(self) -> float:
        return self.failed / self.answered

    def within(self) -> int:
        budget = self.targets.max_latency_p95_ms
        return sum(1 for v in self.latencies if budget is not None and v <= budget)


def wilson(rate: float, n: int) -> tuple[float, float]:
    centre = (rate + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(rate * (1 - rate) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if rate == 0 else centre - half), (1.0 if rate == 1 else centre + half)


def rate_verdict(rate: float, n: int, limit: float) -> str:
    low, high = wilson(rate, n)
    return "meets" if high <= limit else "misses" if low > limit else "too close to call"


def p95_bounds(latencies: list[int]) -> tuple[int | None, int | None]:
    ordered = sorted(latencies)
    low, high = exact_p95_ranks(len(ordered))
    return (ordered[low - 1] if low else None), (ordered[high - 1] if high else None)


def latency_verdict(raw: Raw) -> str:
    budget = raw.targets.max_latency_p95_ms
    assert budget is not None
    low, high = p95_bounds(raw.latencies)
    if high is not None and high <= budget:
        return "meets"
    return "misses" if low is not None and low > budget else "too close to call"


def latency_settles(share: float, total: int) -> bool:
    low, high = exact_p95_ranks(total)
    return (high is not None and share * total >= high) or (low is not None and share * total < low)


def cost_interval(costs: list[float]) -> tuple[float, float]:
    mean, sd = statistics.fmean(costs), statistics.stdev(costs)
    half = t_critical(len(costs) - 1) * sd / math.sqrt(len(costs))
    return max(0.0, mean - half), mean + half


def cost_verdict(raw: Raw) -> str:
    budget = raw.targets.max_cost_per_query_usd
    assert budget is not None
    if len(raw.costs) < 2:
        return "too close to call"
    low, high = cost_interval(raw.costs)
    return "meets" if high <= budget else "misses" if low > budget else "too close to call"


# ---- reading numbers back from the words ------------------------------------------------------


def number(text: str) -> float:
    return float(text.replace(",", ""))


def ms(value: str, unit: str) -> float:
    """Milliseconds, read exactly: "2.034 s" is 2034 (not 2033.9999999999998)."""
    return float(Decimal(value.replace(",", "")) * (1000 if unit == "s" else 1))


def shown_rate_is(shown: str, true: float) -> bool:
    """A rate printed with one decimal (two significant figures below 0.1%)."""
    value = number(shown) / 100
    return math.isclose(value, true, abs_tol=0.0005 + 1e-12) or math.isclose(
        value, true, rel_tol=0.05
    )


def three_figures(shown: str, true: float, rel: float = 0.005) -> bool:
    return math.isclose(number(shown), true, rel_tol=rel, abs_tol=1e-12)


# ---- the claims -----------------------------------------------------------------------------

Check = Callable[[re.Match[str], Raw], None]
CLAIMS: list[tuple[str, re.Pattern[str], Check]] = []


def claim(name: str, pattern: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        CLAIMS.append((name, re.compile(pattern), check))
        return check

    return register


NUM = r"[\d,]+(?:\.\d+)?"


@claim(
    "error rate",
    rf"({NUM})% of answers failed \(95% CI ({NUM})%–({NUM})%; (\d+) of ({NUM}) cases?\)",
)
def _error_rate(m: re.Match[str], raw: Raw) -> None:
    assert int(m[4]) == raw.failed and number(m[5]) == raw.answered
    low, high = wilson(raw.rate, raw.answered)
    assert shown_rate_is(m[1], raw.rate) and shown_rate_is(m[2], low) and shown_rate_is(m[3], high)


@claim("reframe error rate", rf"({NUM})% of ({NUM}) answered test cases failed")
def _reframe_rate(m: re.Match[str], raw: Raw) -> None:
    assert number(m[2]) == raw.answered and shown_rate_is(m[1], raw.rate)


@claim("reframe interval", rf"95% CI ({NUM})–({NUM})%\)")
def _reframe_interval(m: re.Match[str], raw: Raw) -> None:
    low, high = wilson(raw.rate, raw.answered)
    assert shown_rate_is(m[1], low) and shown_rate_is(m[2], high)


@claim("users", rf"(roughly )?(\d+) in ({NUM}) users (?:would )?get a wrong answer")
def _users(m: re.Match[str], raw: Raw) -> None:
    share = int(m[2]) / number(m[3])
    assert abs(share - raw.rate) <= 0.15 * raw.rate
    assert (m[1] is None) == math.isclose(share, raw.rate, rel_tol=1e-9)


@claim("no user", r"no user in this run would have got a wrong answer")
def _no_user(m: re.Match[str], raw: Raw) -> None:
    assert raw.failed == 0


@claim("limit", rf"(?:Agreed limit: |at most |Checking the )({NUM})%(?: wrong answers| limit)?")
def _limit(m: re.Match[str], raw: Raw) -> None:
    assert raw.targets.max_error_rate is not None
    assert shown_rate_is(m[1], raw.targets.max_error_rate)


@claim("error verdict", r"Error rate: .*?Verdict: (meets|misses|too close to call)\.")
def _error_verdict(m: re.Match[str], raw: Raw) -> None:
    assert raw.targets.max_error_rate is not None
    assert m[1] == rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate)


@claim("reframe rate verdict", r"That (meets|misses) the agreed limit|That is (too close to call)")
def _reframe_rate_verdict(m: re.Match[str], raw: Raw) -> None:
    assert raw.targets.max_error_rate is not None
    expected = rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate)
    assert (m[1] or m[2]) == expected


@claim(
    "reframe point verdict",
    r"(p95 latency|cost) of at most [^:,]*?(?:, and|:) that (meets it|misses it|is too close to"
    r" call)",
)
def _reframe_point_verdict(m: re.Match[str], raw: Raw) -> None:
    said = {"meets it": "meets", "misses it": "misses", "is too close to call": "too close to call"}
    truth = latency_verdict(raw) if m[1] == "p95 latency" else cost_verdict(raw)
    assert said[m[2]] == truth


@claim(
    "ship-it rate verdict",
    rf"agreed at most ({NUM})% wrong answers: (meets|misses) the agreed target|agreed at most"
    rf" ({NUM})% wrong answers: (too close to call)",
)
def _ship_rate_verdict(m: re.Match[str], raw: Raw) -> None:
    assert raw.targets.max_error_rate is not None
    assert (m[2] or m[4]) == rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate)


@claim(
    "rate settles",
    rf"At this failure rate, a run of ({NUM}) cases would settle it \(({NUM}) more than this one\)",
)
def _rate_settles(m: re.Match[str], raw: Raw) -> None:
    total, limit = int(number(m[1])), raw.targets.max_error_rate
    assert limit is not None and total - raw.answered == int(number(m[2]))
    assert rate_verdict(raw.rate, total, limit) != "too close to call"
    assert rate_verdict(raw.rate, total - 1, limit) == "too close to call"


@claim("rate settles at fewest", rf"at this failure rate, a run of ({NUM}) would settle it")
def _rate_settles_short(m: re.Match[str], raw: Raw) -> None:
    total, limit = int(number(m[1])), raw.targets.max_error_rate
    assert limit is not None
    assert rate_verdict(raw.rate, total, limit) != "too close to call"
    assert rate_verdict(raw.rate, total - 1, limit) == "too close to call"


@claim(
    "rate cannot meet",
    rf"No run of ({NUM}) cases? can show it meets ({NUM})%: even with none failing, the interval"
    rf" would reach ({NUM})%\. It takes at least ({NUM}) cases?",
)
def _rate_cannot(m: re.Match[str], raw: Raw) -> None:
    n, fewest, limit = int(number(m[1])), int(number(m[4])), raw.targets.max_error_rate
    assert limit is not None and n == raw.answered and shown_rate_is(m[2], limit)
    assert wilson(0, n)[1] > limit and shown_rate_is(m[3], wilson(0, n)[1])
    assert wilson(0, fewest)[1] <= limit and wilson(0, fewest - 1)[1] > limit


@claim("on the limit", rf"The rate sits right on the ({NUM})% limit")
def _on_limit(m: re.Match[str], raw: Raw) -> None:
    assert raw.targets.max_error_rate == raw.rate


@claim("p95", rf"95% of answers came back within ({NUM}) (ms|s)")
def _p95(m: re.Match[str], raw: Raw) -> None:
    bound, n = ms(m[1], m[2]), len(raw.latencies)
    assert sum(1 for v in raw.latencies if v <= bound) >= 0.95 * n  # the sentence is true
    # ...and says no more than it must: the smallest measured value that makes it true.
    nearest = min(v for v in raw.latencies if sum(1 for w in raw.latencies if w <= v) >= 0.95 * n)
    assert nearest <= bound < nearest + 1


@claim("p95 interval", rf"95% CI ({NUM})–({NUM}) (ms|s), over ({NUM}) timed cases?\)")
def _p95_interval(m: re.Match[str], raw: Raw) -> None:
    low, high = p95_bounds(raw.latencies)
    assert number(m[4]) == len(raw.latencies) and low is not None and high is not None
    assert ms(m[1], m[3]) <= low and ms(m[2], m[3]) >= high
    assert ms(m[2], m[3]) - high < 1 and low - ms(m[1], m[3]) < 1  # rounded outwards, no more


@claim(
    "p95 low end",
    rf"95% CI from ({NUM}) (ms|s) up, over ({NUM}) timed cases?: too few for an upper end\)",
)
def _p95_low(m: re.Match[str], raw: Raw) -> None:
    low, high = p95_bounds(raw.latencies)
    assert high is None and low is not None and ms(m[1], m[2]) <= low
    assert number(m[3]) == len(raw.latencies)


@claim("p95 no interval", rf"over ({NUM}) timed cases?: too few for an interval\)")
def _p95_none(m: re.Match[str], raw: Raw) -> None:
    assert p95_bounds(raw.latencies) == (None, None) and number(m[1]) == len(raw.latencies)


@claim("latency budget", rf"(?:Budget: |p95 latency of at most )({NUM}) (ms|s)")
def _latency_budget(m: re.Match[str], raw: Raw) -> None:
    assert ms(m[1], m[2]) == raw.targets.max_latency_p95_ms


@claim("latency verdict", r"Latency p95: .*?Verdict: (meets|misses|too close to call)\.")
def _latency_verdict(m: re.Match[str], raw: Raw) -> None:
    assert m[1] == latency_verdict(raw)


@claim(
    "latency cannot meet",
    rf"No run of ({NUM}) timed cases? can show the p95 meets the budget: it takes at least"
    rf" ({NUM}), all within budget",
)
def _latency_cannot(m: re.Match[str], raw: Raw) -> None:
    n, fewest = int(number(m[1])), int(number(m[2]))
    assert n == len(raw.latencies) and exact_p95_ranks(n)[1] is None
    assert exact_p95_ranks(fewest)[1] == fewest and exact_p95_ranks(fewest - 1)[1] is None


@claim("latency share", rf"(?:[Ww]ith|Exactly) ({NUM})% of timed cases within budget")
def _latency_share(m: re.Match[str], raw: Raw) -> None:
    assert shown_rate_is(m[1], raw.within() / len(raw.latencies))


@claim(
    "latency settles",
    rf"as in this run, a run of ({NUM})(?: timed cases?)? would settle it(?: \(({NUM}) more than"
    rf" this one\))?",
)
def _latency_settles(m: re.Match[str], raw: Raw) -> None:
    total, n = int(number(m[1])), len(raw.latencies)
    if m[2] is not None:
        assert total - n == int(number(m[2]))
    share = raw.within() / n
    if total <= 1500:  # exact integer sums get slow beyond; the domain test covers the search
        assert latency_settles(share, total) and not latency_settles(share, total - 1)


@claim("cost", rf"\$({NUM}) per answered query on average")
def _cost(m: re.Match[str], raw: Raw) -> None:
    assert three_figures(m[1], statistics.fmean(raw.costs))


@claim(
    "cost interval",
    rf"\(95% CI \$({NUM})–\$({NUM}), over ({NUM}) cases? with a cost; per case \$({NUM}) to"
    rf" \$({NUM}), standard deviation \$({NUM})\)",
)
def _cost_interval(m: re.Match[str], raw: Raw) -> None:
    low, high = cost_interval(raw.costs)
    assert number(m[1]) <= low + 1e-15 and number(m[2]) >= high - 1e-15
    assert three_figures(m[1], low, 0.01) and three_figures(m[2], high, 0.01)
    assert number(m[3]) == len(raw.costs)
    assert number(m[4]) <= min(raw.costs) and number(m[5]) >= max(raw.costs)
    assert three_figures(m[6], statistics.stdev(raw.costs), 0.05)


@claim("cost same", rf"\(the same for each of ({NUM}) cases? with a cost\)")
def _cost_same(m: re.Match[str], raw: Raw) -> None:
    assert len(set(raw.costs)) == 1 and number(m[1]) == len(raw.costs) > 1


@claim("cost one case", rf"\(over ({NUM}) cases? with a cost: too few for an interval\)")
def _cost_one(m: re.Match[str], raw: Raw) -> None:
    assert len(raw.costs) == 1 and number(m[1]) == 1


@claim("cost budget", rf"(?:Budget: |cost of at most )\$({NUM}) per query")
def _cost_budget(m: re.Match[str], raw: Raw) -> None:
    assert number(m[1]) == raw.targets.max_cost_per_query_usd


@claim("cost verdict", r"Cost: .*?Verdict: (meets|misses|too close to call)\.")
def _cost_verdict(m: re.Match[str], raw: Raw) -> None:
    assert m[1] == cost_verdict(raw)


@claim(
    "cost settles",
    rf"At this average and spread, a run of ({NUM}) cases with costs would settle it \(({NUM})"
    rf" more than this one\)",
)
def _cost_settles(m: re.Match[str], raw: Raw) -> None:
    total, budget = int(number(m[1])), raw.targets.max_cost_per_query_usd
    assert budget is not None and total - len(raw.costs) == int(number(m[2]))
    mean, sd = statistics.fmean(raw.costs), statistics.stdev(raw.costs)

    def settles(size: int) -> bool:
        half = t_critical(size - 1) * sd / math.sqrt(size)
        return mean + half <= budget or max(0.0, mean - half) > budget

    assert settles(total) and not settles(total - 1)


@claim("cost one", r"One case with a cost says nothing about the spread: it takes at least 2")
def _cost_one_case(m: re.Match[str], raw: Raw) -> None:
    assert len(raw.costs) == 1


@claim("never", r"it would take over 10,000,000 more (?:timed )?cases to settle")
def _never(m: re.Match[str], raw: Raw) -> None:
    pass  # the cap itself; the domain tests check when it applies


@claim("based on", rf"(?<=UTC[:,] )({NUM}) answered test cases?(?:, plus (\d+) that errored)?")
def _based_on(m: re.Match[str], raw: Raw) -> None:
    assert number(m[1]) == raw.answered and int(m[2] or 0) == raw.errored


@claim("errored", r"(\d+) cases? errored \(no answer\)")
def _errored(m: re.Match[str], raw: Raw) -> None:
    assert int(m[1]) == raw.errored


@claim(
    "checking size",
    rf"with ({NUM})% of answers failing, a run of ({NUM}) shows it is met \(with none failing,"
    rf" ({NUM}) are enough\)",
)
def _checking(m: re.Match[str], raw: Raw) -> None:
    limit = raw.targets.max_error_rate
    assert limit is not None and shown_rate_is(m[1], limit / 2)
    half, fewest = int(number(m[2])), int(number(m[3]))
    assert wilson(limit / 2, half)[1] <= limit < wilson(limit / 2, half - 1)[1]
    assert wilson(0, fewest)[1] <= limit < wilson(0, fewest - 1)[1]


@claim("p95 needs", r"The p95 budget needs at least (\d+) timed cases")
def _p95_needs(m: re.Match[str], raw: Raw) -> None:
    assert exact_p95_ranks(int(m[1]))[1] is not None
    assert exact_p95_ranks(int(m[1]) - 1)[1] is None


@claim("exit code", r"Exit code (\d)")
def _exit(m: re.Match[str], raw: Raw) -> None:
    verdicts = [rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate or 0.5)]
    if raw.latencies:
        verdicts.append(latency_verdict(raw))
    if raw.costs:
        verdicts.append(cost_verdict(raw))
    names = {c.name for c in raw.checks}
    verdicts += [
        carried_truth(raw, m.name)[2] for m in raw.targets.success_metrics if m.name in names
    ]
    expected = 1 if "misses" in verdicts else 3 if "too close to call" in verdicts else 0
    assert int(m[1]) == expected


VERDICT = r"(meets|misses|too close to call|no data yet)"


def carried_truth(raw: Raw, name: str) -> tuple[float, int, str, float, str]:
    """(pass share, cases, verdict, target share, direction) of a success measure the run
    carries as a check of the same name."""
    (metric,) = [m for m in raw.targets.success_metrics if m.name == name]
    (tally,) = [c for c in raw.checks if c.name == name]
    share, target = (tally.n - tally.n_failed) / tally.n, metric.target / 100
    low, high = wilson(share, tally.n)
    if metric.direction.value == "at_least":
        verdict = "meets" if low >= target else "misses" if high < target else "too close to call"
    else:
        verdict = "meets" if high <= target else "misses" if low > target else "too close to call"
    return share, tally.n, verdict, target, metric.direction.value


@claim(
    "carried success measure",
    rf"(\w+): ({NUM})% of ({NUM}) cases? passed `(\w+)` \(95% CI ({NUM})%–({NUM})%\)\. "
    rf"Target: \w+ (≥|≤) ({NUM})%\. Verdict: {VERDICT}\.",
)
def _carried(m: re.Match[str], raw: Raw) -> None:
    share, n, verdict, target, direction = carried_truth(raw, m[1])
    low, high = wilson(share, n)
    assert m[4] == m[1] and number(m[3]) == n and shown_rate_is(m[2], share)
    assert shown_rate_is(m[5], low) and shown_rate_is(m[6], high)
    assert (m[7] == "≥") == (direction == "at_least") and shown_rate_is(m[8], target)
    assert m[9] == verdict


@claim(
    "carried cannot meet",
    rf"No run of ({NUM}) cases? can show it meets the target: it takes at least ({NUM})\.",
)
def _carried_cannot(m: re.Match[str], raw: Raw) -> None:
    (metric,) = raw.targets.success_metrics
    _, n, _, target, _ = carried_truth(raw, metric.name)
    fewest = int(number(m[2]))
    assert int(number(m[1])) == n and wilson(1, n)[0] < target  # all passing still falls short
    assert wilson(1, fewest)[0] >= target > wilson(1, fewest - 1)[0]


@claim("carried settles", rf"At this share, a run of ({NUM}) cases would settle it \(({NUM}) more")
def _carried_settles(m: re.Match[str], raw: Raw) -> None:
    (metric,) = raw.targets.success_metrics
    share, n, _, target, direction = carried_truth(raw, metric.name)
    total = int(number(m[1]))
    assert total - n == int(number(m[2]))

    def settles(size: int) -> bool:
        low, high = wilson(share, size)
        return (
            low > target
            or high < target
            or (high <= target if direction == "at_most" else low >= target)
        )

    assert settles(total) and not settles(total - 1)


@claim("headline run", rf"Latest numbers, run #\d+ \(({NUM}) cases?, ")
def _headline_run(m: re.Match[str], raw: Raw) -> None:
    assert number(m[1]) == raw.answered


@claim("headline error rate", rf"error rate ({NUM})% \(limit ({NUM})%\): {VERDICT}")
def _headline_rate(m: re.Match[str], raw: Raw) -> None:
    limit = raw.targets.max_error_rate
    assert limit is not None and shown_rate_is(m[1], raw.rate) and shown_rate_is(m[2], limit)
    assert m[3] == rate_verdict(raw.rate, raw.answered, limit)


@claim("headline p95", rf"latency p95 ({NUM}) (ms|s) \(budget ({NUM}) (ms|s)\): {VERDICT}")
def _headline_p95(m: re.Match[str], raw: Raw) -> None:
    bound, n = ms(m[1], m[2]), len(raw.latencies)
    assert sum(1 for v in raw.latencies if v <= bound) >= 0.95 * n
    assert ms(m[3], m[4]) == raw.targets.max_latency_p95_ms and m[5] == latency_verdict(raw)


@claim("headline cost", rf"cost \$({NUM}) per query \(budget \$({NUM}) per query\): {VERDICT}")
def _headline_cost(m: re.Match[str], raw: Raw) -> None:
    assert three_figures(m[1], statistics.fmean(raw.costs))
    assert number(m[2]) == raw.targets.max_cost_per_query_usd and m[3] == cost_verdict(raw)


RUN = r"run #(\d+)(?: \"[^\"]*\")?"


def shown_cases_are(rate: str, n: str, run: Raw) -> bool:
    return number(n) == run.answered and shown_rate_is(rate, run.rate)


CHANGE = r"(unchanged|(up|down) (less than 1 point|\d+ points?), (more than noise|within noise))"


def change_is_true(words: re.Match[str], first: int, before: Raw, after: Raw) -> None:
    """`words` holds the change's groups from index `first`: whole, direction, size, noise."""
    whole, direction, size, noise = (words[first + i] for i in range(4))
    delta = after.rate - before.rate
    pooled = (after.failed + before.failed) / (after.answered + before.answered)
    se = math.sqrt(pooled * (1 - pooled) * (1 / after.answered + 1 / before.answered))
    p = 2 * (1 - NormalDist().cdf(abs(delta) / se)) if se else 1.0
    if whole == "unchanged":
        assert delta == 0
        return
    assert (direction == "up") == (delta > 0) and delta != 0
    points = round(abs(delta) * 100)
    assert size == ("less than 1 point" if points == 0 else f"{points} point{'s' * (points > 1)}")
    assert (noise == "more than noise") == (p < 0.05)


@claim(
    "change since the last report",
    rf"Since the last report \({RUN}, ({NUM})% of ({NUM}) cases?\): error rate {CHANGE}",
)
def _change(m: re.Match[str], raw: Raw) -> None:
    before = raw.earlier[int(m[1])]
    assert shown_cases_are(m[2], m[3], before)
    change_is_true(m, 4, before, raw)


@claim("trend", rf"Trend over the last (\d+) runs \(oldest first\): \S+ from ({NUM})% to ({NUM})%")
def _trend(m: re.Match[str], raw: Raw) -> None:
    assert int(m[1]) == len(raw.trend)
    assert shown_rate_is(m[2], raw.trend[0]) and shown_rate_is(m[3], raw.trend[-1])


@claim(
    "before and after a decision",
    rf"error rate ({NUM})% of ({NUM}) cases? in {RUN} before, ({NUM})% of ({NUM}) cases? in "
    rf"{RUN} after(?: \({CHANGE}\))?",
)
def _impact(m: re.Match[str], raw: Raw) -> None:
    runs = {**raw.earlier, raw.id: raw}
    before, after = runs[int(m[3])], runs[int(m[6])]
    assert shown_cases_are(m[1], m[2], before) and shown_cases_are(m[4], m[5], after)
    if m[7] is not None:
        change_is_true(m, 7, before, after)


@claim(
    "newly met",
    rf"Newly met: ([a-z0-9 ]+?)\. Credit goes to (?:the decision .*?, measured in )?{RUN}",
)
def _newly_met(m: re.Match[str], raw: Raw) -> None:
    assert int(m[2]) == raw.id
    (before,) = raw.earlier.values()

    def verdict(run: Raw, measure: str) -> str:
        if measure == "error rate":
            assert run.targets.max_error_rate is not None
            return rate_verdict(run.rate, run.answered, run.targets.max_error_rate)
        if measure == "latency p95":
            return latency_verdict(run) if run.latencies else "no data"
        assert measure == "cost per query"
        return cost_verdict(run) if run.costs else "no data"

    for measure in m[1].split(" and "):
        assert verdict(raw, measure) == "meets" and verdict(before, measure) == "misses"


@claim("failing cases", r"Failing cases: ([^.]*?)(?: and (\d+) more)?\.$")
def _failing(m: re.Match[str], raw: Raw) -> None:
    assert len(m[1].split(", ")) + int(m[2] or 0) == raw.failed


@claim(
    "offered thresholds",
    r"(?:How long may 95% of answers take )?(?:become a problem|before users give up|cost at most)"
    r": [^?]*\?",
)
def _offered(m: re.Match[str], raw: Raw) -> None:
    pass  # thresholds offered when nothing is agreed: a question, not a claim about the run


@claim("meanwhile p95", rf"Meanwhile, the latest run measured a p95 latency of ({NUM}) (ms|s)")
def _meanwhile_p95(m: re.Match[str], raw: Raw) -> None:
    _p95(m, raw)


@claim("meanwhile cost", rf"Meanwhile, the latest run measured a cost of \$({NUM}) per query")
def _meanwhile_cost(m: re.Match[str], raw: Raw) -> None:
    assert three_figures(m[1], statistics.fmean(raw.costs))


# Numbers that are names, not claims: run ids, dates and the "95" of "95% CI" and "p95".
NOT_CLAIMS = re.compile(r"#\d+|\d{4}-\d\d-\d\d \d\d:\d\d UTC|95% CI|[Pp]95|\bU[A-Z0-9]{2,}\b")


def check_claims(text: str, raw: Raw) -> set[str]:
    """Every claim in `text` is true of `raw`, and every number is part of some claim; returns
    the names of the claims found. Lines are the unit: one line states one measure."""
    assert not re.search(r"about \d|\b1 more test cases|\b1 cases\b|\b1 timed cases\b", text)
    found: set[str] = set()
    for line in (line.strip() for line in text.splitlines()):
        explained = line
        for name, pattern, check in CLAIMS:
            for match in pattern.finditer(line):
                check(match, raw)
                found.add(name)
                explained = explained.replace(match.group(0), " ")
        leftover = NOT_CLAIMS.sub(" ", explained)
        assert not re.search(r"\d", leftover), (
            f"a number no claim explains: {line!r} → {leftover!r}"
        )
    return found


# ---- random runs against random targets -------------------------------------------------------


@st.composite
def raws(draw: st.DrawFn) -> Raw:
    answered = draw(st.integers(min_value=1, max_value=260))
    failed = draw(st.integers(min_value=0, max_value=answered))
    budget = draw(st.sampled_from([150, 800, 1200, 2000, 4000]))
    timed = draw(st.integers(min_value=0, max_value=answered))
    spread = draw(st.sampled_from([0.05, 0.3, 1.0]))
    centre = budget * draw(st.floats(min_value=0.5, max_value=1.4))
    latencies = [
        max(1, round(centre * (1 + spread * draw(st.floats(min_value=-1, max_value=1)))))
        for _ in range(timed)
    ]
    costed = draw(st.integers(min_value=0, max_value=answered))
    same = draw(st.booleans())
    cost_budget = draw(st.sampled_from([0.001, 0.004, 0.01]))
    base = cost_budget * draw(st.floats(min_value=0.5, max_value=1.5))
    costs = [
        base if same else round(base * draw(st.floats(min_value=0.2, max_value=1.8)), 6)
        for _ in range(costed)
    ]
    targets = Targets(
        max_error_rate=draw(st.sampled_from([0.02, 0.05, 0.1, 0.2, 0.25])),
        max_latency_p95_ms=float(budget),
        max_cost_per_query_usd=cost_budget,
        tradeoff_priority=draw(st.sampled_from([None, *TradeoffPriority])),
    )
    errored = draw(st.integers(min_value=0, max_value=3))
    return Raw(failed, answered, errored, latencies, costs, targets)


def facts(raw: Raw) -> RunFacts:
    budget = raw.targets.max_latency_p95_ms
    return RunFacts(
        id=raw.id,
        label=None,
        n=raw.answered,
        n_failed=raw.failed,
        n_errored=raw.errored,
        latency=summarise_latencies(float(v) for v in raw.latencies),
        cost=summarise_costs(raw.costs),
        within_latency_budget=(budget, raw.within()) if budget is not None else None,
        created_at=T0 + timedelta(days=raw.id),
        checks=raw.checks,
    )


FEATURE = "Support answers"


def report_text(raw: Raw) -> str:
    inputs = ReportInputs(
        feature_id=1, feature_name=FEATURE, now=T0, targets=raw.targets, runs=[facts(raw)]
    )
    return render_text(build_report(inputs))


def everything_said(raw: Raw) -> list[str]:
    """The report, the gate's text, the agreed message's size line and four reframe answers."""
    run = facts(raw)
    said = [report_text(raw), check_text(FEATURE, judge_run(run, raw.targets))]
    said.append(
        headline(
            build_report(
                ReportInputs(
                    feature_id=1, feature_name=FEATURE, now=T0, targets=raw.targets, runs=[run]
                )
            )
        )
    )
    said.append("\n".join(numbers_lines(run, raw.targets)))  # the thread summary after a run
    said.append(checking_size_line(raw.targets) or "")
    for words in ("it hallucinates", "way too slow", "costs a fortune", "ship it"):
        claim_made = recognise(words)
        assert claim_made is not None
        said.append(answer(FEATURE, claim_made, raw.targets, run).text.replace("*", ""))
        said.append(answer(FEATURE, claim_made, None, run).text.replace("*", ""))  # none agreed
    return said


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws())
def test_every_claim_is_true_of_its_cases(raw: Raw) -> None:
    for text in everything_said(raw):
        check_claims(text, raw)


TARGETS = Targets(max_error_rate=0.1, max_latency_p95_ms=2000, max_cost_per_query_usd=0.004)
CARRIED = TARGETS.model_copy(
    update={
        "success_metrics": [
            SuccessMetric(name="groundedness", target=90, direction=Direction.AT_LEAST, unit="%")
        ]
    }
)
# Runs chosen so that, together, they say every kind of claim at least once.
SCENARIOS = [
    Raw(3, 400, 0, [], [], CARRIED, checks=[CheckTally(name="groundedness", n=400, n_failed=20)]),
    Raw(3, 300, 0, [], [], CARRIED, checks=[CheckTally(name="groundedness", n=300, n_failed=27)]),
    Raw(0, 20, 0, [], [], CARRIED, checks=[CheckTally(name="groundedness", n=20, n_failed=0)]),
    Raw(
        45, 400, 2, [1000 + i for i in range(300)], [0.001 + i * 1e-5 for i in range(300)], TARGETS
    ),
    Raw(0, 40, 0, [500] * 40, [0.002] * 40, TARGETS),  # none failing; too few timed; same cost
    Raw(1, 20, 0, [900], [0.003], TARGETS),  # can never meet 10%; one timed case; one cost
    Raw(10, 100, 0, [1900] * 95 + [2100] * 5, [], TARGETS),  # rate and share on the limit
    Raw(9_999, 100_000, 0, [], [], TARGETS),  # too close for any team to settle
    # ~96% within budget: a run of some hundreds more timed cases would settle it.
    Raw(
        3,
        300,
        0,
        [1500] * 289 + [2500] * 11,
        [0.0021 + (i % 5) * 1e-3 for i in range(300)],
        TARGETS,
    ),
]


def test_every_claim_is_said_by_some_scenario() -> None:
    found: set[str] = set()
    for raw in SCENARIOS:
        for text in everything_said(raw):
            found |= check_claims(text, raw)
    # Across runs: 30% of 400 wrong before a decision, 2% of 400 after.
    found |= check_claims(
        *across_runs(Raw(120, 400, 0, [], [], TARGETS), Raw(8, 400, 0, [], [], TARGETS))
    )
    missing = {name for name, _, _ in CLAIMS} - found
    assert not missing, f"claims no scenario says: {sorted(missing)}"


def test_the_issue_examples_say_what_is_true() -> None:
    # 0 failures in 20 cases against 10%: no 20-case run can show it meets; 35 can.
    raw = Raw(0, 20, 0, [], [], Targets(max_error_rate=0.1))
    text = report_text(raw)
    assert "No run of 20 cases can show it meets 10%" in text and "at least 35 cases" in text
    check_claims(text, raw)
    # Six answers, one of them 1,343 ms, against a 1.2 s budget: never "within budget".
    six = Raw(0, 6, 0, [410, 520, 640, 700, 1130, 1343], [], Targets(max_latency_p95_ms=1200))
    checks = check_run(facts(six), six.targets)
    assert checks.latency.verdict.value != "meets"
    assert checks.latency.summary is not None and checks.latency.summary.p95_ms == 1343
    assert "came back within 1.343 s" in report_text(six)
    check_claims(report_text(six), six)


# ---- several runs: the trend, the change, a decision, the trade-off table ---------------------

MARKS = {"✓": "meets", "✗": "misses", "~": "too close to call"}


def check_table(text: str, by_label: dict[str, Raw]) -> str:
    """Checks the trade-off table's cells against the runs; returns the text without it."""
    lines = text.splitlines()
    if TABLE_TITLE not in lines:
        return text
    start = lines.index(TABLE_TITLE)
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    header, *rows = lines[start + 1 : end]
    assert header.split() == [
        "model",
        "run",
        "cases",
        "error",
        "rate",
        "p95",
        "cost/query",
        "all",
        "met",
    ]
    for row in rows:
        cells = re.split(r"\s{2,}", row.strip())
        raw = by_label[cells[0]]
        assert cells[1] == f"#{raw.id}" and number(cells[2]) == raw.answered
        rate, mark = cells[3].split()
        assert shown_rate_is(rate.rstrip("%"), raw.rate)
        assert MARKS[mark] == rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate or 0)
        if raw.latencies:
            value, unit, mark = cells[4].split()
            assert sum(1 for v in raw.latencies if v <= ms(value, unit)) >= 0.95 * len(
                raw.latencies
            )
            assert MARKS[mark] == latency_verdict(raw)
        else:
            assert cells[4] == "no data"
        if raw.costs:
            value, mark = cells[5].split()
            assert three_figures(value.lstrip("$"), statistics.fmean(raw.costs))
            assert MARKS[mark] == cost_verdict(raw)
        else:
            assert cells[5] == "no data"
        everything = [
            rate_verdict(raw.rate, raw.answered, raw.targets.max_error_rate or 0),
            latency_verdict(raw) if raw.latencies else "no data",
            cost_verdict(raw) if raw.costs else "no data",
        ]
        assert (cells[6] == "yes") == all(v == "meets" for v in everything)
    return "\n".join(lines[:start] + lines[end:])


def across_runs(first: Raw, second: Raw) -> tuple[str, Raw]:
    """A report on `second` after a report on `first`, a decision between them, both labelled."""
    before = Raw(
        first.failed, first.answered, 0, first.latencies, first.costs, second.targets, id=1
    )
    after = second
    after.id, after.earlier, after.trend = 2, {1: before}, [before.rate, after.rate]
    labelled = [
        facts(before).model_copy(update={"label": "a"}),
        facts(after).model_copy(update={"label": "b"}),
    ]
    decision = DecisionFacts(
        id=1,
        option=Option.STRONGER_MODEL,
        by="U0PM",
        at=labelled[0].created_at + timedelta(hours=1),
        run_before=labelled[0],
        missed=["error rate"],
    )
    inputs = ReportInputs(
        feature_id=1,
        feature_name=FEATURE,
        report_id=3,
        now=T0 + timedelta(days=9),
        targets=after.targets,
        runs=labelled,
        latest_by_label=labelled,
        decisions=[decision],
        previous=PreviousReport(period="w", created_at=labelled[0].created_at, run=labelled[0]),
        failing_cases=[f"q{i:03d}" for i in range(min(5, after.failed))],
    )
    text = render_text(build_report(inputs))
    return check_table(text, {"a": before, "b": after}), after


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws(), raws())
def test_claims_across_runs_are_true(first: Raw, second: Raw) -> None:
    check_claims(*across_runs(first, second))
