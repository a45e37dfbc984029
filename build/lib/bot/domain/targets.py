"""The agreed numbers of one feature: typed values the checklist produces and reports judge."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Direction(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


class FallbackKind(StrEnum):
    SAY_UNSURE = "say_unsure"
    ESCALATE_HUMAN = "escalate_human"
    OFFER_ALTERNATIVES = "offer_alternatives"
    OTHER = "other"


class Role(StrEnum):
    PM = "pm"
    ENGINEER = "engineer"


class TradeoffPriority(StrEnum):
    """Which budget gives way first when a better model costs more."""

    LATENCY_GIVES = "latency_gives"  # accept slower answers to stay within cost
    COST_GIVES = "cost_gives"  # accept higher cost to stay within latency


class Fallback(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: FallbackKind
    detail: str = ""


class SuccessMetric(BaseModel):
    """A success measure: "CSAT at least 4.2" → name=CSAT, target=4.2, direction=at_least."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(min_length=1, max_length=80)
    target: float
    direction: Direction
    unit: str = ""


class Targets(BaseModel):
    """Every value the kickoff collects. Fields stay None until answered."""

    max_error_rate: float | None = Field(default=None, gt=0, lt=1)
    error_impact: str | None = None
    fallback: Fallback | None = None
    success_metrics: list[SuccessMetric] = Field(default_factory=list)
    max_latency_p95_ms: float | None = Field(default=None, gt=0)
    max_cost_per_query_usd: float | None = Field(default=None, gt=0)
    tradeoff_priority: TradeoffPriority | None = None
