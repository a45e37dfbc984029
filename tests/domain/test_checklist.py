"""The checklist: every value the parser returns reads back the same from the summary wording,
and no text makes any step's parser raise."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.parsing import Parsed
from bot.domain.targets import Targets

ANSWERS = {
    Step.ERROR_RATE: st.sampled_from(["{}%", "{} %", "1 in {}", "at most {}%"]).flatmap(
        lambda pattern: st.integers(min_value=2, max_value=99).map(pattern.format)
    ),
    Step.ERROR_IMPACT: st.text(min_size=5, max_size=200).filter(lambda t: t.strip() != ""),
    Step.FALLBACK: st.sampled_from(
        [
            "say_unsure",
            "escalate_human",
            "offer_alternatives",
            "show three related help articles",
            "hand over to a human agent",
            "tell the user we are not sure",
        ]
    ),
    Step.SUCCESS_METRICS: st.lists(
        st.tuples(
            st.sampled_from(["CSAT", "weekly users", "deflection rate", "NPS", "tickets solved"]),
            st.sampled_from(["at least", "at most", "≥", "≤", ">=", "<="]),
            st.decimals(min_value=1, max_value=10_000, places=1).map(str),
            st.sampled_from(["", "%", " users"]),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    ).map(lambda items: "; ".join(f"{n} {c} {v}{u}" for n, c, v, u in items)),
    Step.LATENCY: st.one_of(
        st.integers(min_value=50, max_value=60_000).map("{} ms".format),
        st.decimals(min_value="0.1", max_value=60, places=1).map("under {}s".format),
    ),
    Step.COST: st.one_of(
        st.decimals(min_value="0.0001", max_value=5, places=4).map("${} per query".format),
        st.integers(min_value=1, max_value=5000).map("${} per 1k".format),
    ),
    Step.TRADEOFF: st.sampled_from(
        ["latency", "cost", "latency_gives", "cost_gives", "we can pay more"]
    ),
}


def same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9)
    return left == right


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_parsed_value_round_trips_through_the_summary(data: st.DataObject) -> None:
    for step in checklist.ORDER:
        text = data.draw(ANSWERS[step], label=step.value)
        parsed = checklist.parse_answer(step, text)
        if not isinstance(parsed, Parsed):
            continue
        shown = checklist.describe(checklist.apply(Targets(), step, parsed.value), step)
        again = checklist.parse_answer(step, shown)
        assert isinstance(again, Parsed), (step, text, shown, again)
        assert same(again.value, parsed.value), (step, text, shown)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(checklist.ORDER), st.text(max_size=5000))
def test_no_text_makes_a_step_raise(step: Step, text: str) -> None:
    result = checklist.parse_answer(step, text)
    assert isinstance(result, Parsed) or result.reply.strip()
