"""Finding the button a person means by its label, newest message first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.playground.render import button_labels


class PlaygroundError(Exception):
    """A line the playground could not carry out; shown as one line, then the session goes on."""


class NothingThere(PlaygroundError):
    """`press` or `drop` found no such button or file: the line may have been an answer that
    starts with the verb ("drop it to 5%"), so the playground says how to send it instead."""


def find_button(
    messages: Sequence[dict[str, Any]], wanted: str, where: str
) -> tuple[dict[str, Any], str]:
    """The newest message with a button labelled `wanted` (any case; a unique part of the label
    will do) and that button's exact label. `messages` must be newest first."""
    query = _normal(wanted)
    if not query:
        raise PlaygroundError("Press what? Say `press <button label>`.")
    for message in messages:
        for label in button_labels(message.get("blocks") or []):
            if _normal(label) == query or _normal(label).removesuffix(" ✓") == query:
                return message, label
    for message in messages:
        partial = [
            label for label in button_labels(message.get("blocks") or []) if query in _normal(label)
        ]
        if len(partial) == 1:
            return message, partial[0]
        if partial:
            choices = ", ".join(f"“{label}”" for label in partial)
            raise PlaygroundError(f"“{wanted.strip()}” could be {choices}; say which.")
    raise NothingThere(_no_such_button(messages, wanted.strip(), where))


def _no_such_button(messages: Sequence[dict[str, Any]], wanted: str, where: str) -> str:
    labels: list[str] = []
    for message in messages:
        labels.extend(
            label for label in button_labels(message.get("blocks") or []) if label not in labels
        )
    if not labels:
        return f"No button “{wanted}”: the bot has shown no buttons in {where} yet."
    shown = ", ".join(f"“{label}”" for label in labels[:12])
    more = f" (and {len(labels) - 12} more)" if len(labels) > 12 else ""
    return f"No button “{wanted}” in {where}. Buttons there: {shown}{more}."


def _normal(label: str) -> str:
    return " ".join(label.strip().strip("\"'“”[]").split()).lower()
