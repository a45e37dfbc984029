"""The claim recogniser: a table of phrasings people really type, with their typos."""

from __future__ import annotations

import pytest

from bot.domain.reframe import Dimension, recognise

A, L, C = Dimension.ACCURACY, Dimension.LATENCY, Dimension.COST
V, S = Dimension.VALUE, Dimension.SHIP_IT

TABLE: list[tuple[str, Dimension | None]] = [
    # accuracy
    ("the model is hallucinating", A),
    ("The model is HALLUCINATING!!!", A),
    ("it's halucinating again", A),
    ("it hallucinates", A),
    ("bot hallucinated a refund policy", A),
    ("it keeps hallucinatng", A),
    ("it makes stuff up", A),
    ("the bot is making things up", A),
    ("it is wrong a lot", A),
    ("the answers are wrong", A),
    ("It gets it wrong half the time", A),
    ("too many hallucinations lately", A),
    ("the answers are inaccurate", A),
    ("it's not accurate", A),
    ("the model is unreliable", A),
    ("gives wrong answers to customers", A),
    ("inacurate answers everywhere", A),
    # latency
    ("it's too slow", L),
    ("soooo sloww", L),
    ("the bot feels laggy", L),
    ("Answers take forever.", L),
    ("it isn't fast enough for chat", L),
    ("latency is terrible", L),
    ("sluggish replies", L),
    # cost
    ("this is pricey", C),
    ("it costs a fortune", C),
    ("way too expensive", C),
    ("the model is expensve", C),
    ("we're burning money on tokens", C),
    ("the bill is through the roof", C),
    # users don't care
    ("users don't care about accuracy", V),
    ("Users don’t care about accuracy.", V),
    ("nobody will notice", V),
    ("customers won't notice the mistakes", V),
    ("hallucinations don't really matter here", V),
    # ship it
    ("it's good enough", S),
    ("good enuf, ship it", S),
    ("Ship it!", S),
    ("let's ship", S),
    ("looks ready for production", S),
    # not claims
    ("the hallucination bench is at noon", None),
    ("hallucination review moved to Thursday", None),
    ("it isn't slow at all", None),
    ("it's not expensive", None),
    ("not good enough yet", None),
    ("the build is slow today", None),
    ("lunch was pricey", None),
    ("what is wrong with the CI?", None),
    ("something went wrong with the deploy", None),
    ("if it's slow we'll know", None),
    ("thanks, looks great", None),
    ("let's slow down and write the spec", None),
    ("", None),
    ("<@U123> ping", None),
]


def test_the_table_has_enough_phrasings() -> None:
    assert len(TABLE) >= 40
    assert sum(1 for _, expected in TABLE if expected is None) >= 10


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_recognises(text: str, expected: Dimension | None) -> None:
    claim = recognise(text)
    assert (claim.dimension if claim else None) == expected, text


def test_several_claims_the_earliest_wins_but_users_dont_care_first() -> None:
    first = recognise("it's slow and expensive")
    assert first is not None and first.dimension is L
    value = recognise("it's wrong a lot but users don't care")
    assert value is not None and value.dimension is V
    negated_then_real = recognise("it's not slow, but it costs a fortune")
    assert negated_then_real is not None and negated_then_real.dimension is C


def test_phrase_is_the_words_that_made_the_claim() -> None:
    claim = recognise("Honestly the bot is halucinating a lot")
    assert claim is not None and claim.phrase == "hallucinating"
