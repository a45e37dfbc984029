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

    tool: str | None = None  # "promptfoo", "inspect", "deepeval", "pytest", "jest", or None
    tool_version: str | None = None
    label: str | None = None  # set when every row carries the same label
    skipped: int = 0  # cases the file lists but did not run (JUnit <skipped>) or could not score
    notes: list[str] = Field(default_factory=list)  # what the reader assumed, said in the reply


class ColumnMap(BaseModel):
    """How to read a CSV or JSONL whose columns we cannot guess (`--map`, `--threshold`).

    `fields` maps our names (id, passed, error, latency_ms, latency_s, cost_usd, label,
    question, reason) to the file's column; `scores` are extra columns holding scores; a
    score passes at or above `threshold`.
    """

    fields: dict[str, str] = Field(default_factory=dict)
    scores: list[str] = Field(default_factory=list)
    threshold: float | None = None


class Format(StrEnum):
    AUTO = "auto"
    PROMPTFOO = "promptfoo"
    INSPECT = "inspect"
    DEEPEVAL = "deepeval"
    JUNIT = "junit"
    JSONL = "jsonl"
    CSV = "csv"


class IngestError(BadInput):
    """A file we cannot read; `message` is one line naming the line, field or byte position.
    A field name or value quoted from the file may hold newlines or control characters: they
    are shown escaped, so the message stays one line."""

    def __init__(self, message: str) -> None:
        super().__init__("".join(_one_line(ch) for ch in message))


def _one_line(ch: str) -> str:
    return ch if ch.isprintable() else ascii(ch)[1:-1]


def clip(text: str | None) -> str | None:
    """Trim long text so one case cannot bloat a run."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def column_map(pairs: list[str], threshold: str | float | None = None) -> ColumnMap | None:
    """`--map field=column` (repeatable; `score=column` names a score column) and
    `--threshold`; None when neither was given."""
    if not pairs and threshold in (None, ""):
        return None
    fields: dict[str, str] = {}
    scores: list[str] = []
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        ours, theirs = ours.strip().lower(), theirs.strip()
        if not sep or not ours or not theirs:
            raise IngestError(f"--map {pair[:60]!r}: write it as field=column, e.g. id=user_input")
        if ours == "score":
            scores.append(theirs)
        else:
            fields[ours] = theirs
    pass_mark: float | None = None
    if threshold not in (None, ""):
        try:
            pass_mark = float(threshold)
        except ValueError:
            raise IngestError(f"--threshold {str(threshold)[:20]!r} is not a number") from None
    return ColumnMap(fields=fields, scores=scores, threshold=pass_mark)
