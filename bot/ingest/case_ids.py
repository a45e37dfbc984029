"""Case ids made unique within a run, for tools whose ids may repeat (promptfoo descriptions,
DeepEval names, JUnit test names, a question column): the second "refund window" becomes
"refund window #2", the third "#3", skipping any number a real id already took.

Only a 64-bit hash of each id is kept, not the id: a run's ids kept as strings grew memory by
about 30 MB per 100,000 cases (bench/ingest.py --formats). Two different ids share a hash
with odds of about n²/2⁶⁵ (1 in 37 million for a million ids); the later one would then be
numbered as a repeat, never lost.
"""

from __future__ import annotations

from bot.ingest.model import CaseRow


class CaseIds:
    def __init__(self) -> None:
        self._seen: set[int] = set()
        # Where the count of each repeated id got to (repeated ids only), so 50,000 cases
        # sharing one description cost 50,000 steps, not a billion.
        self._next: dict[int, int] = {}

    def unique(self, label: str | None, case_id: str) -> str:
        base = hash((label, case_id))
        if base not in self._seen:
            self._seen.add(base)
            return case_id
        number = self._next.get(base, 2)
        while hash((label, f"{case_id} #{number}")) in self._seen:
            number += 1
        self._next[base] = number + 1
        self._seen.add(hash((label, f"{case_id} #{number}")))
        return f"{case_id} #{number}"

    def of(self, row: CaseRow) -> CaseRow:
        """`row`, renamed if its id (within its label) came before."""
        case_id = self.unique(row.label, row.case_id)
        return row if case_id == row.case_id else row.model_copy(update={"case_id": case_id})
