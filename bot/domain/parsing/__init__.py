"""Reads what people type in a kickoff thread. Pure: text in, typed values or questions out.

- `tokens`: tokens and numbers as people write them; `results`: Parsed / Unclear and our
  follow-up wording; `clauses`: a reply cut into sentences and parts.
- One reader per item: `rate`, `impact`, `fallback`, `metrics`, `latency`, `cost`,
  `tradeoff`. Each has a `parse_…` for one answer (a button, a modal, "change X to …") and a
  `find` for one part of a longer reply.
- `reply`: a whole reply read against every item at once; `edits`: change requests,
  corrections and agreement.

No reader raises, and none stores a number that is not in the text (tests/domain).
"""

from bot.domain.parsing.cost import parse_cost_per_query_usd
from bot.domain.parsing.edits import parse_edit_request
from bot.domain.parsing.fallback import parse_fallback
from bot.domain.parsing.impact import parse_error_impact
from bot.domain.parsing.latency import parse_latency_ms
from bot.domain.parsing.metrics import parse_success_metrics
from bot.domain.parsing.rate import parse_error_rate
from bot.domain.parsing.reply import Context, Fact, Kind, Reading, read_reply, same
from bot.domain.parsing.results import MAX_ANSWER_CHARS, Parsed, ParseResult, Unclear
from bot.domain.parsing.tradeoff import parse_tradeoff

__all__ = [
    "MAX_ANSWER_CHARS",
    "Context",
    "Fact",
    "Kind",
    "ParseResult",
    "Parsed",
    "Reading",
    "Unclear",
    "parse_cost_per_query_usd",
    "parse_edit_request",
    "parse_error_impact",
    "parse_error_rate",
    "parse_fallback",
    "parse_latency_ms",
    "parse_success_metrics",
    "parse_tradeoff",
    "read_reply",
    "same",
]
