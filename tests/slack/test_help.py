"""`/align help` lists exactly the verbs `/align` understands."""

from __future__ import annotations

from bot.slack.blocks import HELP_LINES
from bot.slack.listeners import ALIGN_VERBS


def test_help_lists_every_align_verb_and_only_those() -> None:
    listed = {usage.split()[1] for usage, _ in HELP_LINES if usage.startswith("/align ")}
    assert listed == set(ALIGN_VERBS)
