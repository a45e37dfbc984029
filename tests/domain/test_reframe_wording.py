"""Reframe answers: every number our template shows is one of its facts (so the number guard
can hold a model to them), and the guard in `word` keeps invented numbers out."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from bot.domain.costs import CostSummary
from bot.domain.quantiles import LatencySummary
from bot.domain.reframe import recognise
from bot.domain.reframe_wording import Situation, answer
from bot.domain.runs import RunFacts
from bot.domain.targets import Targets
from bot.llm import only_allowed_numbers
from bot.services.reframe import word

TARGETS = Targets(
    max_error_rate=0.1,
    max_latency_p95_ms=2000,
    max_cost_per_query_usd=0.01,
    error_impact="a customer gets a wrong refund policy",
)
RUN = RunFacts(
    id=3,
    created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    n=412,
    n_failed=111,
    latency=LatencySummary(n=412, p50_ms=900, p95_ms=1930, p95_low_ms=1810, p95_high_ms=2040),
    cost=CostSummary(n=412, mean_usd=0.0021, sd_usd=0.0008, min_usd=0.0004, max_usd=0.0061),
)
CLAIMS = ["it hallucinates", "too slow", "pricey", "users don't care about accuracy", "ship it"]


@pytest.mark.parametrize(
    ("claim", "targets", "run"),
    list(itertools.product(CLAIMS, [TARGETS, None], [RUN, None])),
)
def test_every_number_in_the_template_is_a_fact(
    claim: str, targets: Targets | None, run: RunFacts | None
) -> None:
    recognised = recognise(claim)
    assert recognised is not None
    composed = answer("Support answers v2", recognised, targets, run)
    assert only_allowed_numbers(composed.text, set(composed.facts)), composed.text
    if targets is None:
        assert composed.situation is Situation.NO_TARGET
    elif run is None:
        assert composed.situation is Situation.NO_DATA


def test_the_headline_reads_like_people_talk() -> None:
    claim = recognise("the model is hallucinating")
    assert claim is not None
    text = answer("Support answers", claim, TARGETS, RUN).text
    assert "26.9% of 412 answered test cases failed (95% CI 22.9–31.4%)" in text
    assert "roughly 3 in 10 users would get a wrong answer" in text
    assert "at most 10%" in text and "misses the agreed limit" in text


class ScriptedModel:
    """A LanguageModel that answers with a fixed text (a real object, not a mock)."""

    def __init__(self, reply: str | None) -> None:
        self.reply = reply

    def complete_json(self, system: str, user: str, timeout: float) -> str | None:
        return None if self.reply is None else json.dumps({"text": self.reply})


def test_word_keeps_the_model_to_our_numbers() -> None:
    claim = recognise("it hallucinates")
    assert claim is not None
    composed = answer("Support answers", claim, TARGETS, RUN)
    assert word(None, composed) == composed.text
    assert word(ScriptedModel(None), composed) == composed.text
    assert word(ScriptedModel("About 30% fail."), composed) == composed.text
    assert word(ScriptedModel("Nearly four in ten fail."), composed) == composed.text
    kept = "26.9% of 412 failed; we agreed on at most 10%. <!channel>"
    assert word(ScriptedModel(kept), composed) == kept.replace("<", "&lt;").replace(">", "&gt;")
