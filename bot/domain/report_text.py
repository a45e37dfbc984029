"""The report in words: one function per part, shared by the plain text (CLI, Slack's `text`
fallback) and the Block Kit rendering. A `Style` says how to escape, bold and mention; the
sentences that state a measured number come from `measure_text`, the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import measure_text
from bot.domain.checks import RunChecks
from bot.domain.measure_text import VERDICT_WORDS, ms_at_most, usd
from bot.domain.options import option_title
from bot.domain.report import DecisionFacts, DecisionImpact, MetricCheck, ReportModel
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.style import PLAIN, Style
from bot.domain.tradeoff_text import TABLE_TITLE, option_lines, run_name, tradeoff_table
from bot.domain.wording import (
    format_latency_ms,
    format_metric,
    format_metric_value,
    format_rate,
)

NOTE_SHOWN = 200  # characters of a decision's note in a report; the export has all of it
NOT_AGREED = "No targets are agreed yet, so these numbers stand on their own."


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _pct_of(run: RunFacts) -> str:
    rate = run.failure_rate
    if rate is None:
        return "no answered cases"
    return f"{format_rate(rate)} of {measure_text.count(run.n, 'case')}"


def title(model: ReportModel, style: Style = PLAIN) -> str:
    return f"Report for {style.esc(model.inputs.feature_name)}"


def based_on(model: ReportModel, style: Style = PLAIN) -> str:
    run = model.run
    if run is None:
        return "No data yet: no eval run has been stored for this feature."
    errored = f", plus {run.n_errored} that errored" if run.n_errored else ""
    return (
        f"Based on {run_name(run, style)} from {when(run.created_at)}: "
        f"{measure_text.count(run.n, 'answered test case')}{errored}."
    )


def _why_missing(model: ReportModel, what: str) -> str:
    if model.run is None:
        return "no eval run yet"
    return f"the run has no {what}" if model.run.n else "every case in the run errored"


def error_rate_line(model: ReportModel, style: Style = PLAIN) -> str:
    why = "no eval run yet" if model.run is None else "every case in the run errored"
    means = model.run.wrong_means if model.run is not None else None
    return measure_text.error_rate_line(model.checks.error_rate, why, style, means)


def latency_line(model: ReportModel, style: Style = PLAIN) -> str:
    why = _why_missing(model, "timings")
    return measure_text.latency_line(model.checks.latency, why, style)


def cost_line(model: ReportModel, style: Style = PLAIN) -> str:
    return measure_text.cost_line(model.checks.cost, _why_missing(model, "costs"), style)


def metric_line(model: ReportModel, check: MetricCheck, style: Style = PLAIN) -> str:
    metric, judged = check.metric, check.judgement
    name = style.bold(style.esc(metric.name))
    target = style.esc(format_metric(metric))
    if judged.mean is None:
        how = f"`/align metric {model.inputs.feature_id} {style.esc(metric.name)} <value>`"
        return f"{name}: no data yet (record readings with {how}). Target: {target}."

    def show(value: float) -> str:
        return style.esc(format_metric_value(round(value, 2), metric.unit))

    if judged.n == 1:
        measured = f"{show(judged.mean)} (1 reading)"
    else:
        low, high = judged.ci_low or judged.mean, judged.ci_high or judged.mean
        measured = (
            f"{show(judged.mean)} on average over {judged.n} readings "
            f"(95% CI {show(low)}–{show(high)})"
        )
    return f"{name}: {measured}. Target: {target}: {VERDICT_WORDS[judged.verdict]}."


def trend_line(model: ReportModel) -> str | None:
    rates = [run.failure_rate for run in model.trend if run.failure_rate is not None]
    if len(model.trend) < 2 or not rates:
        return None
    return (
        f"Trend over the last {len(model.trend)} runs (oldest first): {model.sparkline} "
        f"from {format_rate(rates[0])} to {format_rate(rates[-1])}."
    )


def change_line(model: ReportModel, style: Style = PLAIN) -> str | None:
    previous = model.inputs.previous
    if previous is None or model.run is None:
        return None
    if previous.run is None:
        return "The last report had no data, so there is nothing to compare with."
    if previous.run.id == model.run.id:
        return "No new run since the last report."
    before = f"{run_name(previous.run, style)}, {_pct_of(previous.run)}"
    if model.change is None:
        return f"Since the last report ({before}): no answered cases to compare."
    return f"Since the last report ({before}): error rate {model.change.words}."


def errored_line(model: ReportModel) -> str | None:
    run = model.run
    if run is None or not run.n_errored:
        return None
    cases = "case" if run.n_errored == 1 else "cases"
    return f"{run.n_errored} {cases} errored (no answer); counted apart, not as passes or fails."


def failing_line(model: ReportModel, style: Style = PLAIN) -> str | None:
    shown = model.inputs.failing_cases
    run = model.run
    if not shown or run is None:
        return None
    names = ", ".join(style.esc(case) for case in shown)
    more = run.n_failed - len(shown)
    return f"Failing cases: {names}" + (f" and {more} more." if more > 0 else ".")


def decision_name(decision: DecisionFacts, style: Style = PLAIN) -> str:
    name = (
        f"{decision.option.value}) {option_title(decision.option, decision.missed).lower()}, "
        f"chosen by {style.mention(decision.by)} on {when(decision.at)}"
    )
    if decision.note:
        note = " ".join(decision.note.split())  # one line in a report's bullet
        if len(note) > NOTE_SHOWN:
            note = note[: NOTE_SHOWN - 1].rstrip() + "…"
        name += f' ("{style.esc(note)}")'
    return name


def impact_line(impact: DecisionImpact, style: Style = PLAIN) -> str:
    head = decision_name(impact.decision, style)
    if impact.before is None:
        return f"{head}: no run before it to compare with."
    before = f"{_pct_of(impact.before)} in {run_name(impact.before, style)} before"
    if impact.after is None:
        return f"{head}: error rate {before}; no new run since."
    after = f"{_pct_of(impact.after)} in {run_name(impact.after, style)} after"
    words = f" ({impact.change.words})" if impact.change is not None else ""
    return f"{head}: error rate {before}, {after}{words}."


def celebration(model: ReportModel, style: Style = PLAIN) -> str | None:
    met = model.newly_met
    if met is None:
        return None
    targets = " and ".join(met.targets)
    credit = run_name(met.run, style)
    if met.decision is not None:
        credit = f"the decision {decision_name(met.decision, style)}, measured in {credit}"
    return f"🎉 Newly met: {targets}. Credit goes to {credit}."


def headline_parts(checks: RunChecks) -> list[str]:
    """Each measured number with what was agreed and the verdict ("error rate 30% (limit
    10%): misses")."""
    rate, latency, cost = checks.error_rate, checks.latency, checks.cost
    parts: list[str] = []
    if rate.rate is not None:
        parts.append(_part("error rate", rate.rate, rate.limit, "limit", rate.verdict, format_rate))
    if latency.summary is not None:
        p95 = latency.summary.p95_ms
        parts.append(
            _part("latency p95", p95, latency.budget_ms, "budget", latency.verdict, _latency)
        )
    if cost.summary is not None:
        mean = cost.summary.mean_usd
        parts.append(_part("cost", mean, cost.budget_usd, "budget", cost.verdict, _per_query))
    return parts


def _latency(ms: float) -> str:
    return ms_at_most(ms)


def _per_query(value: float) -> str:
    return f"{usd(value)} per query"


def headline(model: ReportModel, style: Style = PLAIN) -> str:
    """One line for lists (App Home, `/align status`): the latest run's numbers, each with
    what was agreed and the verdict."""
    run = model.run
    if run is None:
        return "Latest numbers: no data yet (no eval run stored)."
    parts = headline_parts(model.checks)
    numbers = "; ".join(parts) if parts else "every case errored"
    where = f"{run_name(run, style)} ({measure_text.count(run.n, 'case')}, {when(run.created_at)})"
    return f"Latest numbers, {where}: {numbers}."


def _part(
    name: str,
    value: float,
    agreed: float | None,
    agreed_word: str,
    verdict: Verdict,
    show: Callable[[float], str],
) -> str:
    if agreed is None:
        return f"{name} {show(value)}"
    shown = format_latency_ms(agreed) if show is _latency else show(agreed)
    return f"{name} {show(value)} ({agreed_word} {shown}): {VERDICT_WORDS[verdict]}"


def body_lines(model: ReportModel, style: Style = PLAIN) -> list[str]:
    """The numbers, one line each, in reading order (without title, options and decisions)."""
    lines = [error_rate_line(model, style), latency_line(model, style), cost_line(model, style)]
    lines += [metric_line(model, check, style) for check in model.metrics]
    lines += [measure_text.carried_line(check, style) for check in model.carried]
    optional = [
        trend_line(model),
        change_line(model, style),
        errored_line(model),
        failing_line(model, style),
    ]
    return lines + [line for line in optional if line]


def render_text(model: ReportModel, style: Style = PLAIN) -> str:
    parts = [title(model, style), based_on(model, style)]
    if not model.targets_agreed:
        parts.append(NOT_AGREED)
    joy = celebration(model, style)
    if joy:
        parts.append(joy)
    parts += [f"• {line}" for line in body_lines(model, style)]
    options = option_lines(model, style)
    if options:
        parts += ["", *options]
        if model.tradeoff:
            parts += ["", TABLE_TITLE, tradeoff_table(model.tradeoff, style)]
    if model.decisions:
        parts += ["", "Decisions and what followed:"]
        parts += [f"• {impact_line(impact, style)}" for impact in model.decisions]
    return "\n".join(parts)
