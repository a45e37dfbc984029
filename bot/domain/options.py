"""Options, not a veto: what a team can do about the targets a run missed, fitted to what missed
and ordered by the agreed "which gives way first".

The three letters keep one meaning whatever missed, so a recorded decision reads the same later:
A) change the model, B) change how answers are made, C) revisit a target. What each letter
proposes depends on the misses: a stronger model for the error rate, a faster one for latency, a
cheaper one for cost. When the only misses are on the budget the team agreed gives way first,
revisiting that budget (C) comes first: that is what they agreed to give.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.checklist import Step
from bot.domain.checks import Measure
from bot.domain.targets import TradeoffPriority


class Option(StrEnum):
    STRONGER_MODEL = "A"  # change the model (stronger, faster or cheaper: whatever missed)
    RETRIEVAL = "B"  # change how answers are made: retrieval, fallback, prompts, caching
    REVISIT_TARGET = "C"


# What a letter means when nothing more is known (e.g. confirming a click).
OPTION_NAMES = {
    Option.STRONGER_MODEL: "Change the model",
    Option.RETRIEVAL: "Change how answers are made",
    Option.REVISIT_TARGET: "Revisit the target",
}
_MODEL = {Measure.ERROR_RATE: "stronger", Measure.LATENCY: "faster", Measure.COST: "cheaper"}
_WHERE = {Measure.ERROR_RATE: "error rate", Measure.LATENCY: "latency", Measure.COST: "cost"}
_PIPELINE = {
    Measure.ERROR_RATE: "filter retrieval or make the fallback stricter, so weak answers are held "
    "back",
    Measure.LATENCY: "use shorter prompts, stream the answer or cache frequent ones",
    Measure.COST: "send shorter prompts and fewer retrieved passages, or cache frequent answers",
}
_PIPELINE_TITLES = {
    Measure.ERROR_RATE: "Filter retrieval or make the fallback stricter",
    Measure.LATENCY: "Shorten prompts, stream or cache",
    Measure.COST: "Shorten prompts or cache",
}
_TARGET_WORDS = {
    Measure.ERROR_RATE: "the error-rate limit",
    Measure.LATENCY: "the latency budget",
    Measure.COST: "the cost budget",
}
STEP_OF = {
    Measure.ERROR_RATE: Step.ERROR_RATE,
    Measure.LATENCY: Step.LATENCY,
    Measure.COST: Step.COST,
}
_GIVES = {
    TradeoffPriority.LATENCY_GIVES: Measure.LATENCY,
    TradeoffPriority.COST_GIVES: Measure.COST,
}


class OptionLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    option: Option
    text: str  # without the letter: "Try a faster model."
    button: str  # the button's label: "A) Faster model"


class OptionPlan(BaseModel):
    model_config = ConfigDict(frozen=True)
    lines: list[OptionLine]  # in the order to offer them
    gives_way: Measure | None  # the budget agreed to give way first
    revisit: str  # the target C reopens first
    revisit_step: Step


def gives_way(priority: TradeoffPriority | None) -> Measure | None:
    return _GIVES.get(priority) if priority is not None else None


def _ordered(missed: Sequence[str], giving: Measure | None) -> list[str]:
    """Error rate first, then the budget that must hold, then the one that gives way, then
    success measures: the order A and B address them in."""

    def rank(name: str) -> int:
        if name == Measure.ERROR_RATE:
            return 0
        if name in _MODEL:
            return 2 if name == giving else 1
        return 3

    return sorted(dict.fromkeys(missed), key=rank)


def _measured(names: Sequence[str]) -> list[Measure]:
    return [Measure(name) for name in names if name in _MODEL]


def option_title(option: Option, missed: Sequence[str]) -> str:
    """A decision's option in a few words, for what the report it was taken on missed."""
    measured = _measured(_ordered(missed, None))
    if option is Option.REVISIT_TARGET or not measured:
        return OPTION_NAMES[option]
    if option is Option.STRONGER_MODEL:
        return f"Try a {_MODEL[measured[0]]} model" if len(measured) == 1 else "Try another model"
    return _PIPELINE_TITLES[measured[0]] if len(measured) == 1 else OPTION_NAMES[option]


def _model_line(measured: list[Measure], giving: Measure | None) -> str:
    if not measured:
        return "Try another model and compare its numbers."
    if len(measured) == 1:
        text = f"Try a {_MODEL[measured[0]]} model"
    else:
        wanted = " and ".join(f"{_MODEL[m]} ({_WHERE[m]})" for m in measured)
        text = f"Try a model that is {wanted}"
    if giving is not None and any(m is not giving for m in measured):
        trade = "a slower model" if giving is Measure.LATENCY else "a dearer model"
        text += f"; you agreed {_WHERE[giving]} gives way first, so {trade} is the agreed trade"
    return text + "."


def _pipeline_line(measured: list[Measure]) -> str:
    if not measured:
        return "Change how answers are made (prompts, retrieval, fallback) and measure again."
    if len(measured) == 1:
        text = _PIPELINE[measured[0]]
        return text[0].upper() + text[1:] + "."
    parts = [f"{_PIPELINE[m]} ({_WHERE[m]})" for m in measured]
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _target_words(name: str) -> str:
    return _TARGET_WORDS[Measure(name)] if name in _MODEL else f"the {name} target"


def plan_options(missed: Sequence[str], priority: TradeoffPriority | None) -> OptionPlan:
    """The options for a run that clearly missed `missed` (measure names and success-measure
    names), in the order to offer them."""
    if not missed:
        raise ValueError("options are for targets that were missed")
    giving = gives_way(priority)
    ordered = _ordered(missed, giving)
    measured = _measured(ordered)
    # C reopens the budget that gives way first when it missed, else the first miss.
    revisit_order = [giving, *(m for m in ordered if m != giving)] if giving in ordered else ordered
    first = str(revisit_order[0])
    targets = " and ".join(_target_words(str(name)) for name in revisit_order)
    only_the_giving = giving is not None and measured == [giving]
    if only_the_giving and giving is not None:
        revisit = (
            f"Revisit {_target_words(giving)} first: you agreed {_WHERE[giving]} gives way "
            "first. PM and engineer sign off again."
        )
    else:
        them = "them" if len(revisit_order) > 1 else "it"
        revisit = f"Revisit {targets}: change {them}, and PM and engineer sign off again."
    single = measured[0] if len(measured) == 1 else None
    lines = [
        OptionLine(
            option=Option.STRONGER_MODEL,
            text=_model_line(measured, giving),
            button=f"A) {_MODEL[single].capitalize()} model" if single else "A) Another model",
        ),
        OptionLine(
            option=Option.RETRIEVAL,
            text=_pipeline_line(measured),
            button="B) Filter or fallback"
            if single is Measure.ERROR_RATE
            else ("B) Prompts or caching" if single else "B) Change the pipeline"),
        ),
        OptionLine(option=Option.REVISIT_TARGET, text=revisit, button="C) Revisit the target"),
    ]
    if only_the_giving:
        lines = [lines[2], lines[0], lines[1]]
    step = STEP_OF.get(Measure(first), Step.SUCCESS_METRICS) if first in _MODEL else None
    return OptionPlan(
        lines=lines,
        gives_way=giving,
        revisit=first,
        revisit_step=step or Step.SUCCESS_METRICS,
    )
