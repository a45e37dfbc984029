"""What every eval-file reader produces: one CaseRow per test case, and facts about the run."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import BadInput

TEXT_LIMIT = 500  # questions and reasons are shown in reports, not archived


class CheckKind(StrEnum):
    """What a check judges, read from the tool's own assertion or scorer type.

    Only correctness and groundedness decide whether an answer was wrong; latency and cost are
    judged against their own budgets; other checks (format, tone, length, custom code) count
    only when a team says so.
    """

    CORRECTNESS = "correctness"
    GROUNDEDNESS = "groundedness"
    LATENCY = "latency"
    COST = "cost"
    OTHER = "other"


class Check(BaseModel):
    """One named check of one case: a promptfoo metric or assertion, an Inspect scorer, a
    DeepEval metric, a score column. Several assertions sharing a name are one check that
    passes when all of them passed."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    kind: CheckKind = CheckKind.OTHER
    score: float | None = None
    threshold: float | None = None
    tool_type: str | None = None  # the tool's own type: "icontains", "latency", "Faithfulness"


class CaseRow(BaseModel):
    """One test case of one run."""

    case_id: str
    passed: bool | None  # the tool's own verdict; None when errored: no answer to judge
    errored: bool = False  # the system under test gave no answer (provider error, exception)
    latency_ms: float | None = None
    cost_usd: float | None = None
    label: str | None = None  # model or provider label
    question: str | None = None
    reason: str | None = None
    checks: list[Check] = Field(default_factory=list)  # one per name, in the file's order

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)

    def verdicts(self) -> dict[str, bool]:
        """Each check's name and whether it passed (the shape readers used before kinds)."""
        return {check.name: check.passed for check in self.checks}


def merge_checks(checks: Iterable[Check]) -> list[Check]:
    """One check per name, in first-seen order: passes when every part passed. The kind is
    the strongest one seen (a name used by a groundedness assertion judges groundedness);
    a score or threshold is kept only when the name had a single part."""
    merged: dict[str, Check] = {}
    parts: dict[str, int] = {}
    for check in checks:
        seen = merged.get(check.name)
        parts[check.name] = parts.get(check.name, 0) + 1
        if seen is None:
            merged[check.name] = check
            continue
        kind = min(seen.kind, check.kind, key=KIND_ORDER.index)
        merged[check.name] = Check(
            name=check.name,
            passed=seen.passed and check.passed,
            kind=kind,
            tool_type=seen.tool_type if seen.tool_type == check.tool_type else None,
        )
    return list(merged.values())


KIND_ORDER = (
    CheckKind.GROUNDEDNESS,
    CheckKind.CORRECTNESS,
    CheckKind.LATENCY,
    CheckKind.COST,
    CheckKind.OTHER,
)


class RunMeta(BaseModel):
    """What the file says about the run as a whole.

    Filled while rows are read: promptfoo writes its version after the results, so read every
    row before relying on `tool_version` or `label`.
    """

    tool: str | None = None  # "promptfoo", "inspect", "deepeval", "junit", or None
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
