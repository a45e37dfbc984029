"""The optional language model. Everything works without it; with it, we only accept what we
can check: readings are shown back for confirmation, and worded replies may only contain the
numbers we handed over."""

from __future__ import annotations

from typing import Protocol


class LanguageModel(Protocol):
    def complete_json(self, system: str, user: str, timeout: float) -> str | None:
        """One structured completion (a JSON object as text), or None on any failure."""
        ...
