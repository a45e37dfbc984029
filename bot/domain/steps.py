"""The items of the pre-build checklist, in the order the bot asks them."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    ERROR_RATE = "error_rate"
    ERROR_IMPACT = "error_impact"
    FALLBACK = "fallback"
    SUCCESS_METRICS = "success_metrics"
    LATENCY = "latency"
    COST = "cost"
    TRADEOFF = "tradeoff"
