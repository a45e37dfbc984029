"""The report's options and trade-off table in words: what each letter proposes for what missed,
which measured models already do better, and every label's latest run against every target (as
text cells, for Slack's table block and the fixed-width text fallback)."""

from __future__ import annotations

from bot.domain.checks import CarriedCheck, Measure
from bot.domain.measure_text import ms_at_most, usd
from bot.domain.options import Option
from bot.domain.report import ReportModel, TradeoffRow
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.style import PLAIN, Style
from bot.domain.wording import format_number, format_rate

VERDICT_MARKS = {Verdict.MEETS: "✓", Verdict.MISSES: "✗", Verdict.TOO_CLOSE: "~"}
TABLE_TITLE = "Latest run of each model (✓ meets, ✗ misses, ~ too close to call):"
TABLE_HEADER = ("model", "run", "cases", "error rate", "p95", "cost/query", "all met")


def run_name(run: RunFacts, style: Style = PLAIN) -> str:
    label = f' "{style.esc(run.label)}"' if run.label else ""
    return f"run #{run.id}{label}"


def _cell(shown: str | None, verdict: Verdict, agreed: bool) -> str:
    if shown is None:
        return "no data"
    return f"{shown} {VERDICT_MARKS.get(verdict, '–') if agreed else '–'}"


def _carried_cell(check: CarriedCheck | None) -> str:
    share = check.share if check is not None else None
    if check is None or share is None:
        return "no data"
    return _cell(format_rate(share), check.verdict, True)


def tradeoff_cells(rows: list[TradeoffRow], style: Style = PLAIN) -> list[list[str]]:
    """The trade-off table as text cells, header first: every label against every target
    (success measures too, when a run carries them as checks)."""
    measures = list(dict.fromkeys(c.metric.name for row in rows for c in row.carried))
    body = []
    for row in rows:
        carried = {c.metric.name: c for c in row.carried}
        extra = [_carried_cell(carried.get(name)) for name in measures]
        run, checks = row.run, row.checks
        rate, latency, cost = checks.error_rate, checks.latency, checks.cost
        body.append(
            [
                # Cut before escaping (never half an entity), on one line (it's a table).
                style.esc(" ".join((run.label or "(no label)").split())[:30]),
                f"#{run.id}",
                format_number(run.n),
                _cell(
                    format_rate(rate.rate) if rate.rate is not None else None, rate.verdict, True
                ),
                _cell(
                    ms_at_most(latency.summary.p95_ms) if latency.summary else None,
                    latency.verdict,
                    latency.budget_ms is not None,
                ),
                _cell(
                    usd(cost.summary.mean_usd) if cost.summary else None,
                    cost.verdict,
                    cost.budget_usd is not None,
                ),
                *extra,
                "yes" if row.meets_all else "no",
            ]
        )
    header = [*TABLE_HEADER[:-1], *(style.esc(name)[:30] for name in measures), TABLE_HEADER[-1]]
    return [header, *body]


def tradeoff_table(rows: list[TradeoffRow], style: Style = PLAIN) -> str:
    """Fixed-width text table: the latest run of every label against every agreed target."""
    cells = tradeoff_cells(rows, style)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _candidates(model: ReportModel, style: Style) -> str:
    """Which measured models already do better, for option A."""
    rows = model.tradeoff
    if not rows:
        return ""
    winners = [row for row in rows if row.meets_all]
    if winners:
        return " Meets every target: " + ", ".join(run_name(r.run, style) for r in winners) + "."
    giving = model.options.gives_way if model.options else None
    nearly = [row for row in rows if giving is not None and row.misses == [giving]]
    if nearly and giving is not None:
        names = ", ".join(run_name(r.run, style) for r in nearly)
        where = "latency" if giving is Measure.LATENCY else "cost"
        return f" Misses only on {where}, which you agreed gives way first: {names}."
    return " No measured model meets every target yet."


def option_lines(model: ReportModel, style: Style = PLAIN) -> list[str]:
    plan = model.options
    if plan is None:
        return []
    missed = ", ".join(style.esc(name) for name in model.missed)
    lines = [f"{style.bold('Misses')}: {missed}. Options (press one to record the choice):"]
    for line in plan.lines:
        text = f"{line.option.value}) {style.esc(line.text)}"
        if line.option is Option.STRONGER_MODEL:
            text += _candidates(model, style)
        lines.append(text)
    return lines
