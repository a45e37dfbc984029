"""Typo tolerance shared by the readers of claims (reframe) and of kickoff replies: the distance
between two words, and the nearest keyword to a misspelt word."""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with adjacent swaps counted as one edit; stops early past limit."""
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return previous[-1]


def nearest(word: str, keywords: Iterable[str], budget: int) -> str | None:
    """The closest keyword within `budget` edits (ties: the first in sorted order)."""
    best: tuple[int, str] | None = None
    for keyword in sorted(keywords):
        if abs(len(keyword) - len(word)) > budget:
            continue
        distance = edit_distance(word, keyword, budget)
        if distance <= budget and (best is None or distance < best[0]):
            best = (distance, keyword)
    return best[1] if best is not None else None
