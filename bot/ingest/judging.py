"""What counts as a wrong answer.

A case is a wrong answer when one of the *counted* checks failed. By default the counted checks
are the correctness and groundedness ones; when a file has none, its other checks (format,
custom code) count; latency and cost checks never do, since the latency and cost budgets judge
those. A team may choose other checks by name (stored with the feature). A case that carries
no checks at all is judged by the tool's own verdict.

Counting happens in one pass: each answered case adds the set of checks it failed to a tally,
so the counted set can be settled once the whole file is read (`Tally.failed(counted)`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.ingest.model import CaseRow, CheckKind

WRONG_KINDS = (CheckKind.GROUNDEDNESS, CheckKind.CORRECTNESS)
NEVER_WRONG = (CheckKind.LATENCY, CheckKind.COST)
MAX_FAIL_SETS = 10_000  # distinct combinations of failed checks kept; more are pooled apart


class Tally:
    """The checks a run's cases carried, and which combinations of them failed."""

    def __init__(self) -> None:
        self.kinds: dict[str, CheckKind] = {}
        self.judged: Counter[str] = Counter()
        self.failed_by: Counter[str] = Counter()
        self.fail_sets: Counter[frozenset[str]] = Counter()
        self.tool_failed = 0  # answered cases without checks that the tool failed

    def add(self, row: CaseRow) -> None:
        """One answered case."""
        if not row.checks:
            self.tool_failed += row.passed is False
            return
        failed = []
        for check in row.checks:
            self.kinds.setdefault(check.name, check.kind)
            self.judged[check.name] += 1
            if not check.passed:
                self.failed_by[check.name] += 1
                failed.append(check.name)
        if failed:
            self.fail_sets[frozenset(failed)] += 1

    def provisional(self) -> frozenset[str]:
        return frozenset(name for name, kind in self.kinds.items() if kind in WRONG_KINDS)

    def default_counted(self) -> frozenset[str]:
        return default_counted(self.kinds)

    def counted(self, chosen: Iterable[str] | None) -> tuple[frozenset[str], bool]:
        return counted_checks(self.kinds, chosen)

    def failed(self, counted: frozenset[str]) -> int:
        """How many answered cases were wrong answers, counting only `counted` checks."""
        by_checks = sum(n for names, n in self.fail_sets.items() if names & counted)
        return by_checks + self.tool_failed


def counted_checks(
    kinds: dict[str, CheckKind], chosen: Iterable[str] | None
) -> tuple[frozenset[str], bool]:
    """The checks that count for a run carrying `kinds`, and whether the team's choice applied
    (it does when the run carries at least one of the chosen checks; else the default)."""
    if chosen is not None:
        picked = frozenset(chosen) & kinds.keys()
        if picked:
            return picked, True
    return default_counted(kinds), False


def default_counted(kinds: dict[str, CheckKind]) -> frozenset[str]:
    wrong = frozenset(name for name, kind in kinds.items() if kind in WRONG_KINDS)
    if wrong:
        return wrong
    return frozenset(name for name, kind in kinds.items() if kind not in NEVER_WRONG)


def provisionally_wrong(row: CaseRow) -> bool:
    """The verdict a case is stored with while the file is still being read: wrong when a
    correctness or groundedness check failed (or, with no checks, when the tool failed it).
    `Tally.provisional()` is the counted set this assumes; when the run settles on another,
    the stored verdicts are redone."""
    if not row.checks:
        return row.passed is False
    return any(not check.passed and check.kind in WRONG_KINDS for check in row.checks)


def failed_names(row: CaseRow) -> str | None:
    """The names of the checks a case failed, one per line (stored to re-judge a run)."""
    if not row.checks:
        return None
    return "\n".join(check.name for check in row.checks if not check.passed)


def is_wrong(failed: str | None, passed: bool | None, counted: frozenset[str]) -> bool:
    """A stored case, re-judged: `failed` as `failed_names` wrote it."""
    if failed is None:
        return passed is False
    return bool(counted.intersection(failed.split("\n"))) if failed else False


def wrong_means(kinds: dict[str, CheckKind], counted: Iterable[str], chosen: bool) -> str:
    """One line for reports: "wrong = failed groundedness or correctness"."""
    names = sorted(counted)
    if not kinds:
        return "wrong = the tool's own fail"
    if not names:
        return "wrong = nothing (no check in this run counts as a wrong answer)"
    picked_kinds = {kinds[name] for name in names if name in kinds}
    if not chosen and picked_kinds <= set(WRONG_KINDS):
        words = [kind.value for kind in WRONG_KINDS if kind in picked_kinds]
        return f"wrong = failed {' or '.join(words)}"
    return f"wrong = failed {' or '.join(names)}"
