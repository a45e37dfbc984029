"""Plain-words formatting of agreed values, shared by summaries, reports and replies.

Each formatter's output reads back through the matching parser in `parsing.py` to the same
value (a tested round trip), so a summary the bot posts can be pasted back as an answer.
"""

from __future__ import annotations

import math
from decimal import Decimal

from bot.domain.targets import Direction, Fallback, FallbackKind, SuccessMetric, TradeoffPriority

FALLBACK_LABELS: dict[FallbackKind, str] = {
    FallbackKind.SAY_UNSURE: "Say it is not sure",
    FallbackKind.ESCALATE_HUMAN: "Hand over to a human",
    FallbackKind.OFFER_ALTERNATIVES: "Offer alternatives",
    FallbackKind.OTHER: "Something else",
}

TRADEOFF_LABELS: dict[TradeoffPriority, str] = {
    TradeoffPriority.LATENCY_GIVES: (
        "Latency gives way first: slower answers are acceptable to keep cost within budget"
    ),
    TradeoffPriority.COST_GIVES: "Cost gives way first: we pay more to keep answers fast",
}

DIRECTION_SYMBOLS: dict[Direction, str] = {Direction.AT_LEAST: "≥", Direction.AT_MOST: "≤"}

# Denominators for "N in D" wording, smallest first: people picture 1 in 10 more easily.
_ONE_IN_DENOMINATORS = (10, 20, 100, 1000)


def format_number(x: float) -> str:
    """4.2 → "4.2", 2.0 → "2", 1500 → "1,500", 0.0005 → "0.0005" (no exponent, no trailing zeros).

    Values are cleaned to 12 significant digits so float noise (0.1 + 0.2) never shows.
    """
    if not math.isfinite(x):
        return str(x)
    cleaned = float(f"{x:.12g}")
    if cleaned == 0:
        return "0"
    text = format(Decimal(repr(cleaned)), ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_rate(rate: float) -> str:
    """0.1 → "10%", 0.025 → "2.5%"; below 0.1% two significant digits ("0.012%")."""
    percent = rate * 100
    if 0 < abs(percent) < 0.1:
        return f"{format_number(float(f'{percent:.2g}'))}%"
    shown = round(percent, 1)
    decimals = 1
    # "100%" would misstate a limit just under it; add decimals until the number is true.
    while shown >= 100 > percent and decimals < 8:
        decimals += 1
        shown = round(percent, decimals)
    return f"{format_number(shown)}%"


def one_in_n(rate: float) -> str:
    """A rate in users' terms: 0.27 → "roughly 3 in 10", 0.05 → "1 in 20"."""
    if not math.isfinite(rate) or rate <= 0:
        return "none"
    if rate >= 1:
        return "every one"
    for denominator in _ONE_IN_DENOMINATORS:
        count = round(rate * denominator)
        if 1 <= count < denominator and abs(count / denominator - rate) <= 0.15 * rate:
            exact = math.isclose(count / denominator, rate, rel_tol=1e-9)
            wording = f"{count} in {format_number(denominator)}"
            return wording if exact else f"roughly {wording}"
    return f"fewer than 1 in {format_number(_ONE_IN_DENOMINATORS[-1])}"


def format_latency_ms(ms: float) -> str:
    """2000 → "2 s", 1500 → "1.5 s", 800 → "800 ms"."""
    if ms >= 1000 and math.isclose(ms, round(ms), abs_tol=1e-6):
        return f"{format_number(round(ms) / 1000)} s"
    return f"{format_number(ms)} ms"


def _money(usd: float) -> str:
    # Eight significant digits: exact for anything typed, short enough to read.
    return "$" + format_number(float(f"{usd:.8g}")) if math.isfinite(usd) else f"${usd}"


def format_cost_per_query(usd: float) -> str:
    """0.01 → "$0.01 per query", 0.0005 → "$0.0005 per query"."""
    return f"{_money(usd)} per query"


def format_cost_per_1k(usd_per_query: float) -> str:
    """0.01 → "$10 per 1,000 queries"."""
    return f"{_money(usd_per_query * 1000)} per 1,000 queries"


def format_metric_value(target: float, unit: str) -> str:
    """The target with its unit: 30 + "%" → "30%", 2 + "s" → "2 s", 5 + "$" → "$5"."""
    number = format_number(target)
    if unit.startswith("%"):
        return number + unit
    if unit.startswith("$"):
        return "$" + number + unit[1:]
    return f"{number} {unit}" if unit else number


def format_metric(metric: SuccessMetric) -> str:
    """SuccessMetric(CSAT, 4.2, at_least) → "CSAT ≥ 4.2"."""
    symbol = DIRECTION_SYMBOLS[metric.direction]
    return f"{metric.name} {symbol} {format_metric_value(metric.target, metric.unit)}"


def format_fallback(fallback: Fallback) -> str:
    """The kind in words, then the team's own phrasing when there is one."""
    label = FALLBACK_LABELS[fallback.kind]
    return f'{label}: "{fallback.detail}"' if fallback.detail else label


def format_tradeoff(priority: TradeoffPriority) -> str:
    return TRADEOFF_LABELS[priority]
