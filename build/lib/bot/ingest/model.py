"""What every eval-file reader produces: one CaseRow per test case, and facts about the run."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from bot.errors import BadInput

TEXT_LIMIT = 500  # questions and reasons are shown in reports, not archived


class CaseRow(BaseModel):
    """One test case of one run."""

    case_id: str
    passed: bool | None  # None when errored: there was no answer to judge
    errored: bool = False  # the system under test gave no answer (provider error, exception)
    latency_ms: float | None = None
    cost_usd: float | None = None
    label: str | None = None  # model or provider label
    question: str | None = None
    reason: str | None = None
    checks: dict[str, bool] = Field(default_factory=dict)  # named checks: metrics, scorers


class RunMeta(BaseModel):
    """What the file says about the run as a whole.

    Filled while rows are read: promptfoo writes its version after the results, so read every
    row before relying on `tool_version` or `label`.
    """

    tool: str | None = None  # "promptfoo", "inspect", or None for generic JSONL/CSV
    tool_version: str | None = None
    label: str | None = None  # set when every row carries the same label


class Format(StrEnum):
    AUTO = "auto"
    PROMPTFOO = "promptfoo"
    INSPECT = "inspect"
    JSONL = "jsonl"
    CSV = "csv"


class IngestError(BadInput):
    """A file we cannot read; `message` is one line naming the line, field or byte position."""


def clip(text: str | None) -> str | None:
    """Trim long text so one case cannot bloat a run."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
