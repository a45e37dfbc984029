"""The report in words: one function per part, shared by the plain text (CLI, Slack's `text`
fallback) and the Block Kit rendering. A `Style` says how to escape, bold and mention, so the
domain stays free of Slack while Slack output escapes every user-typed string."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.report import (
    DecisionFacts,
    DecisionImpact,
    MetricCheck,
    Option,
    RateCheck,
    ReportModel,
    RunFacts,
    TradeoffRow,
    ValueCheck,
)
from bot.domain.stats import MAX_CASES_NEEDED, Verdict
from bot.domain.wording import (
    format_cost_per_query,
    format_latency_ms,
    format_metric,
    format_metric_value,
    format_number,
    format_rate,
    one_in_n,
)


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Style:
    esc: Callable[[str], str] = _same
    bold: Callable[[str], str] = _same
    mention: Callable[[str], str] = _same


PLAIN = Style()
VERDICT_WORDS = {
    Verdict.MEETS: "meets",
    Verdict.MISSES: "misses",
    Verdict.TOO_CLOSE: "too close to call",
    Verdict.NO_DATA: "no data yet",
}
VERDICT_MARKS = {Verdict.MEETS: "✓", Verdict.MISSES: "✗", Verdict.TOO_CLOSE: "~"}
NOTE_SHOWN = 200  # characters of a decision's note in a report; the export has all of it
TABLE_TITLE = "Latest run of each model (✓ meets, ✗ misses, ~ too close to call):"
OPTION_NAMES = {
    Option.STRONGER_MODEL: "Try a stronger model",
    Option.RETRIEVAL: "Filter retrieval or make the fallback stricter",
    Option.REVISIT_TARGET: "Revisit the target",
}


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def run_name(run: RunFacts, style: Style = PLAIN) -> str:
    label = f' "{style.esc(run.label)}"' if run.label else ""
    return f"run #{run.id}{label}"


def _pct_of(run: RunFacts) -> str:
    rate = run.failure_rate
    return "no answered cases" if rate is None else f"{format_rate(rate)} of {run.n} cases"


def title(model: ReportModel, style: Style = PLAIN) -> str:
    return f"Report for {style.esc(model.inputs.feature_name)}"


def based_on(model: ReportModel, style: Style = PLAIN) -> str:
    run = model.run
    if run is None:
        return "No data yet: no eval run has been stored for this feature."
    errored = f", plus {run.n_errored} that errored" if run.n_errored else ""
    return (
        f"Based on {run_name(run, style)} from {when(run.created_at)}: "
        f"{run.n} answered test cases{errored}."
    )


def _settle(check: RateCheck) -> str:
    if check.on_the_limit:
        return "; the rate sits right on the limit, so more cases alone will not settle it"
    if check.cases_needed is None:
        return f"; it would take over {format_number(MAX_CASES_NEEDED)} more cases to settle"
    return f"; about {format_number(check.cases_needed)} more test cases would settle it"


def error_rate_line(model: ReportModel, style: Style = PLAIN) -> str:
    check = model.checks.error_rate
    name = style.bold("Error rate")
    if check.rate is None or check.ci_low is None or check.ci_high is None:
        why = "no eval run yet" if model.run is None else "every case in the run errored"
        return f"{name}: no data yet ({why})."
    rate = check.rate
    if rate == 0:
        users = "no user in this run would have got a wrong answer"
    elif rate >= 1:
        users = "every user would get a wrong answer"
    else:
        users = f"{one_in_n(rate)} users would get a wrong answer"
    line = (
        f"{name}: {format_rate(rate)} of answers failed (95% CI {format_rate(check.ci_low)}–"
        f"{format_rate(check.ci_high)}; {check.n_failed} of {check.n} cases), so {users}."
    )
    if check.limit is None:
        return line + " No limit agreed yet."
    verdict = VERDICT_WORDS[check.verdict]
    settle = _settle(check) if check.verdict is Verdict.TOO_CLOSE else ""
    return line + f" Agreed limit: {format_rate(check.limit)}. Verdict: {verdict}{settle}."


def _value_line(
    name: str, check: ValueCheck, show: Callable[[float], str], missing: str, style: Style
) -> str:
    head = style.bold(name)
    if check.value is None:
        return f"{head}: no data yet ({missing})."
    if check.budget is None:
        return f"{head}: {show(check.value)}; no budget agreed yet."
    verdict = VERDICT_WORDS[check.verdict]
    return f"{head}: {show(check.value)} against a budget of {show(check.budget)}: {verdict}."


def latency_line(model: ReportModel, style: Style = PLAIN) -> str:
    missing = "no eval run yet" if model.run is None else "the run has no timings"
    check = model.checks.latency
    return _value_line("Latency p95", check, format_latency_ms, missing, style)


def cost_line(model: ReportModel, style: Style = PLAIN) -> str:
    missing = "no eval run yet" if model.run is None else "the run has no costs"
    return _value_line("Cost", model.checks.cost, format_cost_per_query, missing, style)


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


def _mark(verdict: Verdict, agreed: bool) -> str:
    return VERDICT_MARKS.get(verdict, "–") if agreed else "–"


def tradeoff_table(rows: list[TradeoffRow], style: Style = PLAIN) -> str:
    """Fixed-width table: the latest run of every label against every agreed target."""
    header = ("model", "run", "error rate", "p95", "cost/query", "all met")
    body = []
    for row in rows:
        run, checks = row.run, row.checks
        rate = checks.error_rate
        body.append(
            (
                # Cut before escaping (never half an entity), on one line (it's a table).
                style.esc(" ".join((run.label or "(no label)").split())[:30]),
                f"#{run.id}",
                f"{format_rate(rate.rate)} n={run.n} {_mark(rate.verdict, True)}"
                if rate.rate is not None
                else "no data",
                f"{format_latency_ms(checks.latency.value)} {_mark(checks.latency.verdict, True)}"
                if checks.latency.value is not None
                else "no data",
                f"${format_number(checks.cost.value)} {_mark(checks.cost.verdict, True)}"
                if checks.cost.value is not None
                else "no data",
                "yes" if row.meets_all else "no",
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *body]
    ]
    return "\n".join(line.rstrip() for line in lines)


def option_lines(model: ReportModel, style: Style = PLAIN) -> list[str]:
    if not model.missed:
        return []
    missed = ", ".join(style.esc(name) for name in model.missed)
    lines = [f"{style.bold('Misses')}: {missed}. Options (press one to record the choice):"]
    winners = [row for row in model.tradeoff if row.meets_all]
    a_line = f"A) {OPTION_NAMES[Option.STRONGER_MODEL]}."
    if winners:
        names = ", ".join(run_name(row.run, style) for row in winners)
        a_line += f" Meets every target: {names}."
    elif len(model.tradeoff) > 1:
        a_line += " No measured model meets every target yet."
    lines.append(a_line)
    lines.append(f"B) {OPTION_NAMES[Option.RETRIEVAL]}, so weak answers are held back.")
    lines.append(
        f"C) {OPTION_NAMES[Option.REVISIT_TARGET]}: change it; PM and engineer sign off again."
    )
    return lines


def decision_name(decision: DecisionFacts, style: Style = PLAIN) -> str:
    name = (
        f"{decision.option.value}) {OPTION_NAMES[decision.option].lower()}, chosen by "
        f"{style.mention(decision.by)} on {when(decision.at)}"
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


def headline(model: ReportModel, style: Style = PLAIN) -> str:
    """One line for lists (App Home, `/align status`): the latest run's numbers, each with
    what was agreed and the verdict."""
    run = model.run
    if run is None:
        return "Latest numbers: no data yet (no eval run stored)."
    checks, parts = model.checks, []
    if checks.error_rate.rate is not None:
        parts.append(
            _headline_part(
                "error rate",
                checks.error_rate.rate,
                checks.error_rate.limit,
                "limit",
                checks.error_rate.verdict,
                format_rate,
            )
        )
    for name, check, show in (
        ("latency p95", checks.latency, format_latency_ms),
        ("cost", checks.cost, format_cost_per_query),
    ):
        if check.value is not None:
            parts.append(
                _headline_part(name, check.value, check.budget, "budget", check.verdict, show)
            )
    numbers = "; ".join(parts) if parts else "every case errored"
    where = f"{run_name(run, style)} ({run.n} cases, {when(run.created_at)})"
    return f"Latest numbers, {where}: {numbers}."


def _headline_part(
    name: str,
    value: float,
    agreed: float | None,
    agreed_word: str,
    verdict: Verdict,
    show: Callable[[float], str],
) -> str:
    if agreed is None:
        return f"{name} {show(value)}"
    return f"{name} {show(value)} ({agreed_word} {show(agreed)}): {VERDICT_WORDS[verdict]}"


def body_lines(model: ReportModel, style: Style = PLAIN) -> list[str]:
    """The numbers, one line each, in reading order (without title, options and decisions)."""
    lines = [error_rate_line(model, style), latency_line(model, style), cost_line(model, style)]
    lines += [metric_line(model, check, style) for check in model.metrics]
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
        parts.append("No targets are agreed yet, so these numbers stand on their own.")
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
