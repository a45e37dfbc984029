"""What a check judges, from the tool's own assertion or scorer type (and, failing that, its name).

The tables name the built-in types of each tool as its documentation lists them; anything else
(custom code, format checks, moderation) is OTHER unless its name says what it is.
"""

from __future__ import annotations

from bot.ingest.model import CheckKind

C, G, L, K = CheckKind.CORRECTNESS, CheckKind.GROUNDEDNESS, CheckKind.LATENCY, CheckKind.COST

# promptfoo assertion `type`s (its docs: configuration/expected-outputs); `not-x` is as `x`.
PROMPTFOO_TYPES: dict[str, CheckKind] = {
    **dict.fromkeys(
        (
            "equals", "contains", "icontains", "contains-all", "contains-any", "icontains-all",
            "icontains-any", "starts-with", "regex", "similar", "levenshtein", "rouge-n",
            "bleu", "gleu", "meteor", "llm-rubric", "model-graded-closedqa", "factuality",
            "model-graded-factuality", "answer-relevance", "g-eval", "select-best",
            "max-score", "search-rubric", "classifier", "conversation-relevance",
            "tool-call-f1", "is-valid-function-call", "is-valid-openai-function-call",
            "is-valid-openai-tools-call",
        ),
        C,
    ),
    **dict.fromkeys(("context-faithfulness", "context-recall", "context-relevance"), G),
    **dict.fromkeys(("latency", "trace-span-duration"), L),
    "cost": K,
}  # fmt: skip

# Inspect's built-in scorers (inspect_ai.scorer), by the name they are logged under.
INSPECT_SCORERS: dict[str, CheckKind] = dict.fromkeys(
    (
        "includes", "match", "exact", "f1", "pattern", "answer", "choice",
        "model_graded_qa", "model_graded_fact", "math", "expression_equivalence",
    ),
    C,
)  # fmt: skip

# DeepEval's metric names as its test runs record them (`metricsData[].name`).
DEEPEVAL_METRICS: dict[str, CheckKind] = {
    **dict.fromkeys(
        (
            "answer relevancy", "summarization", "exact match", "tool correctness",
            "task completion", "argument correctness", "json correctness", "pattern match",
            "conversation completeness", "knowledge retention", "role adherence",
        ),
        C,
    ),
    **dict.fromkeys(
        (
            "faithfulness", "hallucination", "contextual precision", "contextual recall",
            "contextual relevancy",
        ),
        G,
    ),
}  # fmt: skip

GROUNDED_WORDS = ("ground", "faithful", "hallucinat", "citation")
CORRECT_WORDS = ("correct", "accura", "exact", "match", "factual", "relevan")
LATENCY_WORDS = ("latency", "duration", "response time", "speed", "slow")
COST_WORDS = ("cost", "price", "spend", "dollar")


def promptfoo_kind(assertion_type: str | None, metric: str | None) -> CheckKind:
    base = (assertion_type or "").strip().lower()
    base = base.removeprefix("not-")
    if base.startswith("similar:"):
        base = "similar"
    return by_name(PROMPTFOO_TYPES.get(base, CheckKind.OTHER), metric)


def inspect_kind(scorer: str) -> CheckKind:
    base = scorer.split("/")[-1].split(".")[0].lower()
    return by_name(INSPECT_SCORERS.get(base, CheckKind.OTHER), scorer)


def deepeval_kind(metric: str) -> CheckKind:
    base = metric.lower().removesuffix("[geval]").strip()
    return by_name(DEEPEVAL_METRICS.get(base, CheckKind.OTHER), metric)


def by_name(kind: CheckKind, name: str | None) -> CheckKind:
    """A name that says groundedness wins (an `icontains` named "groundedness" checks it);
    otherwise the name settles only what the tool's type left open."""
    words = (name or "").lower().replace("_", " ").replace("-", " ")
    if any(word in words for word in GROUNDED_WORDS):
        return CheckKind.GROUNDEDNESS
    if kind is not CheckKind.OTHER:
        return kind
    for hinted, hints in (
        (CheckKind.LATENCY, LATENCY_WORDS),
        (CheckKind.COST, COST_WORDS),
        (CheckKind.CORRECTNESS, CORRECT_WORDS),
    ):
        if any(word in words for word in hints):
            return hinted
    return CheckKind.OTHER
