"""Tests for bot.domain.wording: exact wording, and that every wording parses back to its value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.parsing import (
    Parsed,
    parse_cost_per_query_usd,
    parse_error_rate,
    parse_fallback,
    parse_latency_ms,
    parse_success_metrics,
    parse_tradeoff,
)
from bot.domain.targets import Direction, Fallback, FallbackKind, SuccessMetric, TradeoffPriority
from bot.domain.wording import (
    format_cost_per_1k,
    format_cost_per_query,
    format_fallback,
    format_latency_ms,
    format_metric,
    format_number,
    format_rate,
    format_tradeoff,
    one_in_n,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4.2, "4.2"),
        (2.0, "2"),
        (1500, "1,500"),
        (0.0005, "0.0005"),
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
        (-12.5, "-12.5"),
        (1e16, "10,000,000,000,000,000"),
        (1e-7, "0.0000001"),
    ],
)
def test_format_number(value: float, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0.1, "10%"), (0.025, "2.5%"), (1 / 3, "33.3%"), (0.00012, "0.012%"), (0.9999, "99.99%")],
)
def test_format_rate(rate: float, expected: str) -> None:
    assert format_rate(rate) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.27, "roughly 3 in 10"),
        (0.1, "1 in 10"),
        (0.05, "1 in 20"),
        (0.15, "3 in 20"),
        (0.08, "8 in 100"),
        (0.001, "1 in 1,000"),
        (0.0001, "fewer than 1 in 1,000"),
        (0.95, "19 in 20"),
        (0.0, "none"),
        (1.0, "every one"),
    ],
)
def test_one_in_n(rate: float, expected: str) -> None:
    assert one_in_n(rate) == expected


def test_latency_cost_metric_fallback_tradeoff_wording() -> None:
    assert format_latency_ms(2000) == "2 s"
    assert format_latency_ms(1500) == "1.5 s"
    assert format_latency_ms(800) == "800 ms"
    assert format_cost_per_query(0.01) == "$0.01 per query"
    assert format_cost_per_query(0.0005) == "$0.0005 per query"
    assert format_cost_per_1k(0.01) == "$10 per 1,000 queries"
    csat = SuccessMetric(name="CSAT", target=4.2, direction=Direction.AT_LEAST)
    assert format_metric(csat) == "CSAT ≥ 4.2"
    p95 = SuccessMetric(name="p95", target=2, direction=Direction.AT_MOST, unit="s")
    assert format_metric(p95) == "p95 ≤ 2 s"
    share = SuccessMetric(name="deflection", target=30, direction=Direction.AT_LEAST, unit="%")
    assert format_metric(share) == "deflection ≥ 30%"
    assert format_fallback(Fallback(kind=FallbackKind.ESCALATE_HUMAN)) == "Hand over to a human"
    other = Fallback(kind=FallbackKind.OTHER, detail="open the FAQ")
    assert format_fallback(other) == 'Something else: "open the FAQ"'
    assert format_tradeoff(TradeoffPriority.LATENCY_GIVES).startswith("Latency gives way first")
    assert format_tradeoff(TradeoffPriority.COST_GIVES).startswith("Cost gives way first")


# --- round trips: what the bot writes, the bot reads back --------------------------------------


def parsed(result: object) -> object:
    assert isinstance(result, Parsed), result
    return result.value


@given(st.integers(min_value=1, max_value=999))
def test_rate_round_trip(per_mille: int) -> None:
    rate = per_mille / 1000
    assert parsed(parse_error_rate(format_rate(rate))) == pytest.approx(rate, abs=1e-12)


@given(st.integers(min_value=1, max_value=99), st.integers(min_value=5, max_value=9))
def test_tiny_rate_round_trip(digits: int, exponent: int) -> None:
    rate = digits / 10**exponent  # below 0.1%: two significant digits survive
    assert parsed(parse_error_rate(format_rate(rate))) == pytest.approx(rate, rel=1e-9)


@given(st.integers(min_value=1, max_value=6_000_000))
def test_latency_round_trip(tenths_of_ms: int) -> None:
    ms = tenths_of_ms / 10
    assert parsed(parse_latency_ms(format_latency_ms(ms))) == pytest.approx(ms)


@given(st.integers(min_value=1, max_value=100_000_000))
def test_cost_round_trip(micro_dollars: int) -> None:
    usd = micro_dollars / 1_000_000
    assert parsed(parse_cost_per_query_usd(format_cost_per_query(usd))) == pytest.approx(usd)
    assert parsed(parse_cost_per_query_usd(format_cost_per_1k(usd))) == pytest.approx(usd)


NAMES = ["CSAT", "NPS", "weekly users", "deflection rate", "p95", "escalations", "handle time"]
NAMES += ["Tickets Resolved", "top 3 accuracy", "résumé views", "Daily active users", "AHT"]
UNITS = ["", "%", "s", "ms", "$", "users", "stars", "per week", "% of chats", "$ per user"]
METRICS = st.builds(
    SuccessMetric,
    name=st.sampled_from(NAMES),
    target=st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: n / 10_000),
    direction=st.sampled_from(list(Direction)),
    unit=st.sampled_from(UNITS),
)


@given(st.lists(METRICS, min_size=1, max_size=4))
def test_metrics_round_trip(metrics: list[SuccessMetric]) -> None:
    text = "; ".join(format_metric(m) for m in metrics)
    read = parsed(parse_success_metrics(text))
    assert isinstance(read, list)
    assert [m.model_copy(update={"target": 0}) for m in read] == [
        m.model_copy(update={"target": 0}) for m in metrics
    ]
    assert [m.target for m in read] == pytest.approx([m.target for m in metrics])


@pytest.mark.parametrize(
    "text",
    [
        "CSAT at least 4.2",
        "weekly users ≥ 500",
        "escalations at most 5%",
        "NPS > 30",
        "CSAT >= 4.2; deflection rate at least 30%; p95 ≤ 2 s",
        "revenue ≥ $5,000 per month",
    ],
)
def test_parsed_metrics_round_trip(text: str) -> None:
    metrics = parsed(parse_success_metrics(text))
    assert isinstance(metrics, list)
    again = "; ".join(format_metric(m) for m in metrics)
    assert parsed(parse_success_metrics(again)) == metrics


DETAILS = st.text(min_size=1, max_size=200).map(str.strip).filter(bool)


@settings(max_examples=200)
@given(st.sampled_from(list(FallbackKind)), DETAILS)
def test_fallback_with_detail_round_trip(kind: FallbackKind, detail: str) -> None:
    fallback = Fallback(kind=kind, detail=detail)
    assert parsed(parse_fallback(format_fallback(fallback))) == fallback


@pytest.mark.parametrize(
    "text",
    [
        "say it is not sure",
        "I don't know",
        "hand over to a human",
        "offer alternatives",
        "show the search page instead",
        "route it to a support agent in Zendesk",
        "say_unsure",
    ],
)
def test_parsed_fallback_round_trip(text: str) -> None:
    fallback = parsed(parse_fallback(text))
    assert isinstance(fallback, Fallback)
    assert parsed(parse_fallback(format_fallback(fallback))) == fallback


@pytest.mark.parametrize("kind", [k for k in FallbackKind if k is not FallbackKind.OTHER])
def test_bare_fallback_round_trip(kind: FallbackKind) -> None:
    assert parsed(parse_fallback(format_fallback(Fallback(kind=kind)))) == Fallback(kind=kind)


@pytest.mark.parametrize("priority", list(TradeoffPriority))
def test_tradeoff_round_trip(priority: TradeoffPriority) -> None:
    assert parsed(parse_tradeoff(format_tradeoff(priority))) is priority
