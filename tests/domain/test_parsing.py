"""Tests for bot.domain.parsing: tables of real phrasings, then properties with hypothesis.
(Over 300 lines: mostly tables of phrasings, a row for each way people write a thing.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import checklist
from bot.domain.parsing import (
    MAX_ANSWER_CHARS,
    Parsed,
    Unclear,
    parse_cost_per_query_usd,
    parse_edit_request,
    parse_error_impact,
    parse_error_rate,
    parse_fallback,
    parse_latency_ms,
    parse_success_metrics,
    parse_tradeoff,
)
from bot.domain.targets import Direction, Fallback, FallbackKind, SuccessMetric, TradeoffPriority

Parser = Callable[[str], Parsed[Any] | Unclear]
ALL_PARSERS: list[Parser] = [
    parse_error_rate,
    parse_error_impact,
    parse_fallback,
    parse_success_metrics,
    parse_latency_ms,
    parse_cost_per_query_usd,
    parse_tradeoff,
]


def value_of(result: Parsed[Any] | Unclear) -> object:
    assert isinstance(result, Parsed), f"expected a value, got: {result}"
    return result.value


def reply_of(result: Parsed[Any] | Unclear) -> str:
    assert isinstance(result, Unclear), f"expected a follow-up, got: {result}"
    return result.reply


# --- (1) error rate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10%", 0.1),
        ("10 %", 0.1),
        ("0.1", 0.1),
        ("one in ten", 0.1),
        ("1 in 20", 0.05),
        ("ten percent", 0.1),
        ("2.5%", 0.025),
        ("10", 0.1),
        ("one out of twenty", 0.05),
        ("1 in a hundred", 0.01),
        ("under 10% please", 0.1),
        ("no more than 8 per cent", 0.08),
        ("95% accuracy", 0.05),
        ("twenty-five percent", 0.25),
        ("1/20", 0.05),
        ("never more than 5%", 0.05),
        ("1 error in 50 answers", 0.02),
        ("1 wrong answer out of 20", 0.05),
    ],
)
def test_error_rate_reads(text: str, expected: float) -> None:
    assert value_of(parse_error_rate(text)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("0", "Zero"),
        ("0%", "Zero"),
        ("zero", "Zero"),
        ("none", "Zero"),
        ("no errors", "Zero"),
        ("100% accuracy", "Zero"),
        ("as low as possible", '"as low as possible" is a direction'),
        ("minimal", '"minimal" is a direction'),
        ("idk", "first guess"),
        ("not sure", "first guess"),
        ("?", "first guess"),
        ("", "didn't catch"),
        ("   ", "didn't catch"),
        ("100%", "below 100%"),
        ("150%", "below 100%"),
        ("-5%", "negative"),
        ("5-10%", "range (5% to 10%)"),
        ("between 5 and 10 percent", "range"),
        ("5% or 10%", "5% and 10%"),
        ("500", "500"),
        ("whatever the model does", "couldn't find a number"),
    ],
)
def test_error_rate_pushes_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_error_rate(text))
    assert expected_in_reply in reply
    assert "5%" in reply and "10%" in reply  # every follow-up offers example thresholds


# --- (1b) error impact -------------------------------------------------------------------------


def test_error_impact_keeps_free_text() -> None:
    text = "  A customer follows a wrong refund rule; ~$40 per case  "
    assert value_of(parse_error_impact(text)) == text.strip()


@pytest.mark.parametrize("text", ["", "idk", "?", "none", "x", "n/a", "not sure"])
def test_error_impact_refuses_non_answers(text: str) -> None:
    assert "wrong answer" in reply_of(parse_error_impact(text))


# --- (2) fallback ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "detail"),
    [
        ("say it is not sure", FallbackKind.SAY_UNSURE, ""),
        ("I don't know", FallbackKind.SAY_UNSURE, ""),
        ('reply "I don\u2019t know" and stop there', FallbackKind.SAY_UNSURE, None),
        ("hand over to a human", FallbackKind.ESCALATE_HUMAN, ""),
        ("escalate", FallbackKind.ESCALATE_HUMAN, ""),
        ("route it to a support agent in Zendesk", FallbackKind.ESCALATE_HUMAN, None),
        ("offer alternatives", FallbackKind.OFFER_ALTERNATIVES, ""),
        ("suggest links", FallbackKind.OFFER_ALTERNATIVES, ""),
        ("say_unsure", FallbackKind.SAY_UNSURE, ""),
        ("escalate_human", FallbackKind.ESCALATE_HUMAN, ""),
        ("offer_alternatives", FallbackKind.OFFER_ALTERNATIVES, ""),
        ("show the search page instead", FallbackKind.OTHER, "show the search page instead"),
        ("Something else: open the FAQ", FallbackKind.OTHER, "open the FAQ"),
        # saying it is unsure opens a hand-over; the hand-over is what the user gets (conv3:
        # the third blind set's writer read "say so and offer to connect them with a claims
        # specialist" so, and this line was the one reading the other way)
        ("Say it is not sure, then hand over", FallbackKind.ESCALATE_HUMAN, None),
        ("say you're not sure and ping the on-call pharmacist", FallbackKind.ESCALATE_HUMAN, None),
        (
            'answer "not sure - here are a few related guides"',
            FallbackKind.OFFER_ALTERNATIVES,
            None,
        ),
        ("say it's unsure and show the one policy page", FallbackKind.SAY_UNSURE, None),
        ("don't hand over to a human, just say it's not sure", FallbackKind.SAY_UNSURE, None),
        ("never escalate; offer similar articles", FallbackKind.OFFER_ALTERNATIVES, None),
    ],
)
def test_fallback_reads(text: str, kind: FallbackKind, detail: str | None) -> None:
    fallback = value_of(parse_fallback(text))
    assert isinstance(fallback, Fallback)
    assert fallback.kind is kind
    assert fallback.detail == (text.strip() if detail is None else detail)


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("other", "something of your own"),
        ("idk", "first guess"),
        ("not sure", "first guess"),
        ("nothing", "doesn't say what the user sees"),
        ("meh", "should look like"),
        ("", "didn't catch"),
    ],
)
def test_fallback_pushes_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_fallback(text))
    assert expected_in_reply in reply
    assert "hand over to a human" in reply


# --- (3) success measures ----------------------------------------------------------------------


def metric(name: str, target: float, at_least: bool = True, unit: str = "") -> SuccessMetric:
    direction = Direction.AT_LEAST if at_least else Direction.AT_MOST
    return SuccessMetric(name=name, target=target, direction=direction, unit=unit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CSAT at least 4.2", [metric("CSAT", 4.2)]),
        ("weekly users ≥ 500", [metric("weekly users", 500)]),
        (
            "CSAT >= 4.2; deflection rate at least 30%; p95 ≤ 2 s",
            [
                metric("CSAT", 4.2),
                metric("deflection rate", 30, unit="%"),
                metric("p95", 2, at_least=False, unit="s"),
            ],
        ),
        ("escalations at most 5%", [metric("escalations", 5, at_least=False, unit="%")]),
        ("NPS > 30", [metric("NPS", 30)]),
        ("at least 500 weekly users", [metric("weekly users", 500)]),
        ("reduce escalations to 5%", [metric("escalations", 5, at_least=False, unit="%")]),
        ("CSAT 4.2 or higher", [metric("CSAT", 4.2)]),
        ("NPS ≥ -10", [metric("NPS", -10)]),
        ("weekly users ≥ 5k", [metric("weekly users", 5000)]),
        ("revenue ≥ $5,000 per month", [metric("revenue", 5000, unit="$ per month")]),
        ("CSAT ≥ 4.2 and weekly users ≥ 500", [metric("CSAT", 4.2), metric("weekly users", 500)]),
        (
            "- CSAT ≥ 4.2\n- handle time < 90 seconds",
            [metric("CSAT", 4.2), metric("handle time", 90, False, "s")],
        ),
        ("top 3 accuracy ≥ 90%", [metric("top 3 accuracy", 90, unit="%")]),
    ],
)
def test_success_metrics_read(text: str, expected: list[SuccessMetric]) -> None:
    assert value_of(parse_success_metrics(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("CSAT 4.2", "Should CSAT be at least 4.2 or at most 4.2?"),
        ("happy users", 'couldn\'t find a target number in "happy users"'),
        ("CSAT ≥ 4.2; more usage", "I got CSAT ≥ 4.2."),
        ("at least 4.2", "couldn't tell what is measured"),
        ("CSAT over 4 but under 5", "both at least and at most"),
        ("idk", "first guess"),
    ],
)
def test_success_metrics_push_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_success_metrics(text))
    assert expected_in_reply in reply
    assert "CSAT ≥ 4.2" in reply


# --- (4a) latency ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("under 2s", 2000),
        ("2000 ms", 2000),
        ("1.5 seconds", 1500),
        ("2 sec", 2000),
        ("p95 under 800ms", 800),
        ("p95 ≤ 2 s", 2000),
        ("half a second", 500),
        ("under a second", 1000),
        ("95th percentile under 2 s", 2000),
        ("95% of answers within 3 seconds", 3000),
        ("2 minutes", 120_000),
        ("2,500 ms", 2500),
    ],
)
def test_latency_reads(text: str, expected_ms: float) -> None:
    assert value_of(parse_latency_ms(text)) == pytest.approx(expected_ms)


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("2", "Is that 2 seconds or 2 ms?"),
        ("fast", '"fast" is a direction'),
        ("as fast as possible", "is a direction"),
        ("11 minutes", "over 10 minutes"),
        ("0 ms", "zero"),
        ("-2s", "negative"),
        ("1-2 s", "range (1 s to 2 s)"),
        ("2 s or 3 s", "2 s and 3 s"),
        ("", "didn't catch"),
    ],
)
def test_latency_pushes_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_latency_ms(text))
    assert expected_in_reply in reply
    assert "800 ms" in reply


# --- (4b) cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_usd"),
    [
        ("$0.01 per query", 0.01),
        ("a cent a query", 0.01),
        ("1 cent per query", 0.01),
        ("$10 per 1k", 0.01),
        ("$10 per 1,000 queries", 0.01),
        ("10 dollars per thousand", 0.01),
        ("0.5¢/query", 0.005),
        ("$0.0005 per query", 0.0005),
        ("0.02 per request", 0.02),
        ("$5 per million queries", 0.000005),
        ("half a cent per answer", 0.005),
        ("$0.01 each", 0.01),
        ("USD 0.01 per query", 0.01),
        # The question asks what one answer may cost: an amount under a dollar answers it.
        ("$0.01", 0.01),
        ("0,4 cents per query", 0.004),
        ("a tenth of a cent per query", 0.001),
        ("3 bucks per thousand queries", 0.003),
        ("$10/1k requests", 0.01),
    ],
)
def test_cost_reads(text: str, expected_usd: float) -> None:
    assert value_of(parse_cost_per_query_usd(text)) == pytest.approx(expected_usd)


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("cheap", '"cheap" is a direction'),
        ("$8", "Is that $8 per query, or $8 per 1,000 queries?"),
        ("0.01", "per 1,000 queries?"),
        ("$200 per query", "over $100 per query"),
        ("free", "zero"),
        ("$0 per query", "zero"),
        ("-$1 per query", "negative"),
        ("€0.01 per query", "US dollars"),
        ("$1 per 1000 tokens", "not per token"),
        ("$20 a month", "not per month"),
        # The question back reads as English whatever the amount was per (the adversarial
        # pass found "How many queries a token do you expect" and "not per monthly").
        ("$1 per 1000 tokens", "How many tokens does one answer use"),
        ("$2 per million tokens", "How many tokens does one answer use"),
        ("$500 monthly", "not per month. How many queries a month do you expect"),
        ("$9k annually", "not per year. How many queries a year do you expect"),
        ("$30 per seat", "not per seat. How many queries a seat do you expect"),
        ("$0.01-$0.02 per query", "range ($0.01 to $0.02)"),
        ("not sure", "first guess"),
    ],
)
def test_cost_pushes_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_cost_per_query_usd(text))
    assert expected_in_reply in reply
    assert "$10 per 1,000 queries" in reply


# --- (4c) tradeoff -----------------------------------------------------------------------------

LATENCY, COST = TradeoffPriority.LATENCY_GIVES, TradeoffPriority.COST_GIVES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latency", LATENCY),
        ("speed can give", LATENCY),
        ("slower is ok", LATENCY),
        ("latency_gives", LATENCY),
        ("keep cost down, latency can give", LATENCY),
        ("we don't want to pay more", LATENCY),
        ("Cost", COST),
        ("pay more", COST),
        ("spend more", COST),
        ("cost_gives", COST),
        ("latency can't give", COST),
        ("we'd rather pay more than wait", COST),
        ("keep it fast", COST),
    ],
)
def test_tradeoff_reads(text: str, expected: TradeoffPriority) -> None:
    assert value_of(parse_tradeoff(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected_in_reply"),
    [
        ("both", "couldn't tell"),
        ("latency can give but cost can also give", "both ways"),
        ("idk", "first guess"),
    ],
)
def test_tradeoff_pushes_back(text: str, expected_in_reply: str) -> None:
    reply = reply_of(parse_tradeoff(text))
    assert expected_in_reply in reply
    assert '"latency"' in reply and '"cost"' in reply


# --- edits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("change error rate to 8%", ("error_rate", "8%")),
        ("set latency to 1.5s", ("latency", "1.5s")),
        ("edit cost: $0.02 per query", ("cost", "$0.02 per query")),
        ("change fallback to hand over to a human", ("fallback", "hand over to a human")),
        ("update success measures to CSAT ≥ 4.5", ("success_metrics", "CSAT ≥ 4.5")),
        ("Change the tradeoff to cost", ("tradeoff", "cost")),
        ("set cost of errors: lost customers", ("error_impact", "lost customers")),
        ("set error rate -5%", ("error_rate", "-5%")),
        ("change fallback", ("fallback", "")),
        ("hello there", None),
        ("change my mind", None),
        ("setlatency to 2s", None),
        ("", None),
    ],
)
def test_edit_requests(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_edit_request(text, checklist.names()) == expected


# --- every parser: long, empty, hostile input --------------------------------------------------


@pytest.mark.parametrize("parser", ALL_PARSERS)
def test_too_long_answers_are_refused_politely(parser: Parser) -> None:
    reply = reply_of(parser("10% " * (MAX_ANSWER_CHARS // 4 + 1)))
    assert "4,000 characters" in reply


@pytest.mark.parametrize("parser", ALL_PARSERS)
def test_worst_case_input_never_hangs(parser: Parser) -> None:
    """Inputs that make a backtracking regex explode; pytest-timeout fails a hang. How fast
    they parse is a benchmark's business, not a test's."""
    nasty = [
        "1," * 1999,
        "9" * 3999,
        "a " * 1999,
        "at least " * 444,
        "- " * 1999,
        "one " * 999,
        "$1 per " * 571,
    ]
    for text in nasty:
        result = parser(text[:MAX_ANSWER_CHARS])
        assert isinstance(result, Parsed) or result.reply, text[:20]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parsers_never_raise_on_any_text(text: str) -> None:
    for parser in ALL_PARSERS:
        assert isinstance(parser(text), Parsed | Unclear)
    parse_edit_request(text, checklist.names())


ANSWERISH = st.lists(
    st.sampled_from(
        [
            "1",
            "0",
            "10",
            "2.5",
            "1,000",
            "-",
            "%",
            "$",
            "¢",
            "/",
            "in",
            "per",
            "a",
            "k",
            "one",
            "ten",
            "half",
            "s",
            "ms",
            ">=",
            "≥",
            "<",
            "at",
            "least",
            "most",
            "or",
            "and",
            ";",
            ",",
            "to",
            "query",
            "queries",
            "CSAT",
            "users",
            "latency",
            "cost",
            "not",
            "human",
            "between",
            "thousand",
            "hundred",
            "twenty",
            "-",
            "minus",
            "\n",
            "…",
            "é",
            "٣",
        ]
    ),
    max_size=30,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(ANSWERISH)
def test_parsers_never_raise_on_answer_like_text(text: str) -> None:
    for parser in ALL_PARSERS:
        assert isinstance(parser(text), Parsed | Unclear)
    parse_edit_request(text, checklist.names())


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=3990, max_size=4200))
def test_parsers_never_raise_on_long_text(text: str) -> None:
    for parser in ALL_PARSERS:
        assert isinstance(parser(text), Parsed | Unclear)
