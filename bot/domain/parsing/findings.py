"""What a reader finds in one part of a reply: a value for an item, or a precise follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.steps import Step


@dataclass(frozen=True)
class Found:
    """A value for an item, from the reply's text at start:end. `strong`: said with words that
    name the item ("error rate 5%", "p95 under 2 s"), not only a bare "5%" or "2 s"."""

    step: Step
    value: Any
    start: int
    end: int
    strong: bool = True


@dataclass(frozen=True)
class FollowUp:
    """Something was said about an item, but not precisely enough to store: ask this."""

    step: Step
    text: str
    start: int = 0


Finding = Found | FollowUp
