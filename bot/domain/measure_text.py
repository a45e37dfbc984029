"""(Over 300 lines on purpose: every sentence that states a measured number, in one place the
claim tests cover.)

The sentences that state a run's numbers against the targets: error rate, latency p95, cost
per answered query, and what it would take to settle a verdict that is too close to call.

Reports, the thread summary after a run, `groundline check` and reframe answers all use these, so
a number is said one way everywhere. Every sentence here is a claim about stored data, and the
claim tests (tests/domain/test_claims.py) check each one against the raw cases it came from:
values shown as "at most" are rounded up, lower ends of intervals down, so rounding never makes
a sentence false.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from bot.domain.checks import CarriedCheck, CostCheck, LatencyCheck, RateCheck
from bot.domain.quantiles import fewest_for_upper_end
from bot.domain.stats import (
    MAX_CASES_NEEDED,
    Verdict,
    cases_to_check,
    fewest_cases_to_meet,
    wilson_interval,
)
from bot.domain.style import PLAIN, Style
from bot.domain.targets import Targets
from bot.domain.wording import (
    format_latency_ms,
    format_metric,
    format_number,
    format_rate,
    one_in_n,
)

VERDICT_WORDS = {
    Verdict.MEETS: "meets",
    Verdict.MISSES: "misses",
    Verdict.TOO_CLOSE: "too close to call",
    Verdict.NO_DATA: "no data yet",
}
NEVER = f"over {format_number(MAX_CASES_NEEDED)}"


def count(n: int, noun: str) -> str:
    """1 case, 2 cases, 1,000 timed cases."""
    return f"{format_number(n)} {noun}{'' if n == 1 else 's'}"


def more_than_this(total: int, n: int) -> str:
    more = total - n
    return f"{format_number(more)} more than this one"


def ms_at_most(ms: float) -> str:
    """A latency said as an upper bound ("within X"): whole milliseconds, rounded up."""
    return format_latency_ms(math.ceil(ms))


def ms_at_least(ms: float) -> str:
    return format_latency_ms(math.floor(ms))


def ms_interval(low: float, high: float) -> str:
    """ "1,201–1,502 ms" or "1.35–2.4 s": both ends in one unit, low rounded down, high up."""
    floor, ceiling = math.floor(low), math.ceil(high)
    if ceiling >= 1000:
        return f"{format_number(floor / 1000)}–{format_number(ceiling / 1000)} s"
    return f"{format_number(floor)}–{format_number(ceiling)} ms"


def _significant(usd: float, digits: int, rounding: str) -> float:
    if usd == 0 or not math.isfinite(usd):
        return usd
    value = Decimal(repr(usd))
    step = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return float(value.quantize(step, rounding=rounding))


def usd(value: float, rounding: str = ROUND_HALF_EVEN, digits: int = 3) -> str:
    """Dollars to three significant figures ("$0.00214"); ROUND_CEILING / ROUND_FLOOR for the
    ends of an interval, so the shown interval holds the computed one."""
    return "$" + format_number(_significant(value, digits, rounding))


# ---- error rate ----------------------------------------------------------------------------


def users_words(rate: float) -> str:
    if rate == 0:
        return "no user in this run would have got a wrong answer"
    if rate >= 1:
        return "every user would get a wrong answer"
    return f"{one_in_n(rate)} users would get a wrong answer"


def error_rate_measured(check: RateCheck) -> str:
    """ "27% of answers failed (95% CI 22.8–31.3%; 111 of 412 cases)"; needs check.rate."""
    assert check.rate is not None and check.ci_low is not None and check.ci_high is not None
    return (
        f"{format_rate(check.rate)} of answers failed (95% CI {format_rate(check.ci_low)}–"
        f"{format_rate(check.ci_high)}; {check.n_failed} of {count(check.n, 'case')})"
    )


def error_rate_settle(check: RateCheck) -> str:
    """What it would take to settle a too-close error rate, as a sentence (or "")."""
    if check.verdict is not Verdict.TOO_CLOSE or check.limit is None or check.rate is None:
        return ""
    limit = format_rate(check.limit)
    if check.on_the_limit:
        return f"The rate sits right on the {limit} limit, so more cases alone will not settle it."
    fewest = check.fewest_to_meet
    if fewest is not None and check.n < fewest and check.rate <= check.limit:
        reach = wilson_interval(0, check.n)[1]
        text = (
            f"No run of {count(check.n, 'case')} can show it meets {limit}: even with none "
            f"failing, the interval would reach {format_rate(reach)}. It takes at least "
            f"{count(fewest, 'case')}"
        )
        if check.cases_needed is not None and check.n + check.cases_needed > fewest:
            total = check.n + check.cases_needed
            text += f"; at this failure rate, a run of {format_number(total)} would settle it"
        return text + "."
    if check.cases_needed is None:
        return f"At this failure rate it would take {NEVER} more cases to settle."
    total = check.n + check.cases_needed
    return (
        f"At this failure rate, a run of {count(total, 'case')} would settle it "
        f"({more_than_this(total, check.n)})."
    )


def error_rate_line(
    check: RateCheck, why_missing: str, style: Style = PLAIN, wrong_means: str | None = None
) -> str:
    """`wrong_means`: what counted as a wrong answer ("wrong = failed groundedness")."""
    name = style.bold("Error rate")
    if check.rate is None:
        return f"{name}: no data yet ({why_missing})."
    line = f"{name}: {error_rate_measured(check)}, so {users_words(check.rate)}."
    if wrong_means:
        line += f" ({style.esc(wrong_means)}.)"
    if check.limit is None:
        return line + " No limit agreed yet."
    line += f" Agreed limit: {format_rate(check.limit)}. Verdict: {VERDICT_WORDS[check.verdict]}."
    settle = error_rate_settle(check)
    return f"{line} {settle}" if settle else line


# ---- latency -------------------------------------------------------------------------------


def latency_measured(check: LatencyCheck) -> str:
    """ "95% of answers came back within 1,343 ms (95% CI 1,201–1,502 ms, over 400 timed
    cases)"; needs check.summary."""
    summary = check.summary
    assert summary is not None
    head = f"95% of answers came back within {ms_at_most(summary.p95_ms)}"
    timed = count(summary.n, "timed case")
    low, high = summary.p95_low_ms, summary.p95_high_ms
    if not summary.interval_known:
        return f"{head} (over {timed}; no interval kept for this older run)"
    if low is not None and high is not None:
        return f"{head} (95% CI {ms_interval(low, high)}, over {timed})"
    if low is not None:
        return f"{head} (95% CI from {ms_at_least(low)} up, over {timed}: too few for an upper end)"
    return f"{head} (over {timed}: too few for an interval)"


def latency_settle(check: LatencyCheck) -> str:
    summary, budget = check.summary, check.budget_ms
    if check.verdict is not Verdict.TOO_CLOSE or summary is None or budget is None:
        return ""
    if not summary.interval_known:
        return "This older run's cases are no longer stored, so it cannot be settled."
    within, n, fewest = check.within, summary.n, check.fewest_to_meet
    share = f"{format_rate(within / n)} of timed cases within budget" if within is not None else ""
    if check.on_the_limit:
        return f"Exactly {share}, so more cases alone will not settle it."
    if n < fewest and (within is None or within / n > 0.95):
        text = (
            f"No run of {count(n, 'timed case')} can show the p95 meets the budget: it takes "
            f"at least {format_number(fewest)}, all within budget"
        )
        if within is not None and check.cases_needed is not None:
            total = n + check.cases_needed
            if total > fewest:
                text += f"; with {share}, as in this run, a run of {format_number(total)} would"
                text += " settle it"
        return text + "."
    if within is None:
        return ""
    if check.cases_needed is None:
        return f"With {share} it would take {NEVER} more timed cases to settle."
    total = n + check.cases_needed
    return (
        f"With {share}, as in this run, a run of {count(total, 'timed case')} would settle it "
        f"({more_than_this(total, n)})."
    )


def latency_line(check: LatencyCheck, why_missing: str, style: Style = PLAIN) -> str:
    name = style.bold("Latency p95")
    if check.summary is None:
        return f"{name}: no data yet ({why_missing})."
    line = f"{name}: {latency_measured(check)}."
    if check.budget_ms is None:
        return line + " No budget agreed yet."
    budget = format_latency_ms(check.budget_ms)
    line += f" Budget: {budget}. Verdict: {VERDICT_WORDS[check.verdict]}."
    settle = latency_settle(check)
    return f"{line} {settle}" if settle else line


# ---- cost ----------------------------------------------------------------------------------


def cost_measured(check: CostCheck) -> str:
    """ "$0.00214 per answered query on average (95% CI $0.00198–$0.0023, over 412 cases with
    a cost; per case $0.0004 to $0.009, standard deviation $0.0011)"; needs check.summary."""
    summary = check.summary
    assert summary is not None
    head = f"{usd(summary.mean_usd)} per answered query on average"
    costed = count(summary.n, "case") + " with a cost"
    if not summary.interval_known:
        return f"{head} (over {costed}; no spread kept for this older run)"
    if summary.sd_usd is None or check.ci_low is None or check.ci_high is None:
        return f"{head} (over {costed}: too few for an interval)"
    if summary.sd_usd == 0:
        return f"{head} (the same for each of {costed})"
    low, high = usd(check.ci_low, ROUND_FLOOR), usd(check.ci_high, ROUND_CEILING)
    spread = (
        f"per case {usd(summary.min_usd, ROUND_FLOOR)} to {usd(summary.max_usd, ROUND_CEILING)}, "
        f"standard deviation {usd(summary.sd_usd, digits=2)}"
    )
    return f"{head} (95% CI {low}–{high}, over {costed}; {spread})"


def cost_settle(check: CostCheck) -> str:
    summary = check.summary
    if check.verdict is not Verdict.TOO_CLOSE or summary is None or check.budget_usd is None:
        return ""
    if not summary.interval_known:
        return "This older run's per-case costs are no longer stored, so it cannot be settled."
    if summary.sd_usd is None:
        return "One case with a cost says nothing about the spread: it takes at least 2."
    if check.on_the_limit:
        return "The average sits right on the budget, so more cases alone will not settle it."
    if check.cases_needed is None:
        return f"At this average and spread it would take {NEVER} more cases to settle."
    total = summary.n + check.cases_needed
    return (
        f"At this average and spread, a run of {count(total, 'case')} with costs would settle "
        f"it ({more_than_this(total, summary.n)})."
    )


def cost_line(check: CostCheck, why_missing: str, style: Style = PLAIN) -> str:
    name = style.bold("Cost")
    if check.summary is None:
        return f"{name}: no data yet ({why_missing})."
    line = f"{name}: {cost_measured(check)}."
    if check.budget_usd is None:
        return line + " No budget agreed yet."
    budget = "$" + format_number(check.budget_usd) + " per query"
    line += f" Budget: {budget}. Verdict: {VERDICT_WORDS[check.verdict]}."
    settle = cost_settle(check)
    return f"{line} {settle}" if settle else line


# ---- success measures an eval run carries as a check ---------------------------------------


def carried_settle(check: CarriedCheck) -> str:
    if check.verdict is not Verdict.TOO_CLOSE or check.share is None:
        return ""
    if check.on_the_limit:
        return "The share sits right on the target, so more cases alone will not settle it."
    fewest = check.fewest_to_meet
    favourable = (
        check.share >= check.target_share
        if check.metric.direction.value == "at_least"
        else check.share <= check.target_share
    )
    if fewest is not None and check.n < fewest and favourable:
        return (
            f"No run of {count(check.n, 'case')} can show it meets the target: it takes at least "
            f"{format_number(fewest)}."
        )
    if check.cases_needed is None:
        return f"At this share it would take {NEVER} more cases to settle."
    total = check.n + check.cases_needed
    return (
        f"At this share, a run of {count(total, 'case')} would settle it "
        f"({more_than_this(total, check.n)})."
    )


def carried_line(check: CarriedCheck, style: Style = PLAIN) -> str:
    name = style.bold(style.esc(check.metric.name))
    target = style.esc(format_metric(check.metric))
    if check.share is None or check.ci_low is None or check.ci_high is None:
        return f"{name}: no data yet (no answered case has the check). Target: {target}."
    line = (
        f"{name}: {format_rate(check.share)} of {count(check.n, 'case')} passed "
        f"`{style.esc(check.check_name)}` (95% CI {format_rate(check.ci_low)}–"
        f"{format_rate(check.ci_high)}). Target: {target}. "
        f"Verdict: {VERDICT_WORDS[check.verdict]}."
    )
    settle = carried_settle(check)
    return f"{line} {settle}" if settle else line


# ---- how many test cases the agreed targets need -------------------------------------------


def checking_size_line(targets: Targets) -> str | None:
    """For the agreed message: how many test cases it takes to check the agreed numbers, with
    the error rate taken at half the limit (a feature comfortably within it)."""
    limit = targets.max_error_rate
    if limit is None:
        return None
    half, fewest = cases_to_check(limit, limit / 2), fewest_cases_to_meet(limit)
    if half is None or fewest is None:
        return None
    line = (
        f"Checking the {format_rate(limit)} limit takes test cases: with {format_rate(limit / 2)} "
        f"of answers failing, a run of {format_number(half)} shows it is met (with none failing, "
        f"{format_number(fewest)} are enough)."
    )
    if targets.max_latency_p95_ms is not None:
        timed = format_number(fewest_for_upper_end())
        line += f" The p95 budget needs at least {timed} timed cases."
    return line
