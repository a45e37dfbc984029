"""A value only put forward as a question ("10%?", "half a percent?") is not an answer yet: it is
held, the thread is asked whether it holds, and it counts when the next reply says yes ("yes",
"ok", "fine", 👍). Any other reply lets it go: a proposal that meets "I'm not comfortable putting a
number on it" or a different number is no one's value. Slack-free."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.parsing.edits import agrees
from bot.services.kickoff.draft import Effect, apply_facts, value_from_json
from bot.store.models import Feature

_KEY = "proposal"
# Emoji that say yes, as Slack sends them (shortcodes) or as typed characters.
_THUMBS = re.compile(r":(?:\+1|thumbsup|white_check_mark|heavy_check_mark|ok_hand):|[👍✅✔👌]")
_NO = re.compile(r"\b(?:no|nope|not|never|hold on|wait)\b")


def held(feature: Feature) -> dict[str, Any] | None:
    found = (feature.pending_json or {}).get(_KEY)
    return found if isinstance(found, dict) else None


def hold(feature: Feature, step: Step, value: Any, user_id: str) -> str:
    """Keep the proposal and say what a yes would note."""
    pending = dict(feature.pending_json or {})
    pending[_KEY] = {
        "step": step.value,
        "value": checklist.value_to_json(step, value),
        "user": user_id,
    }
    feature.pending_json = pending
    label = checklist.ITEMS[step].label
    return (
        f"Shall I note *{label}*: {checklist.show(step, value)}? A yes (or 👍) notes it; "
        "anything else leaves it open."
    )


def drop(feature: Feature) -> None:
    pending = {k: v for k, v in (feature.pending_json or {}).items() if k != _KEY}
    feature.pending_json = pending or None


def assents(text: str) -> bool:
    """A short yes: "yes", "ok", "fine by me", "sounds good", "👍" — no number, no "no"."""
    flat = text.strip().lower()
    rest = _THUMBS.sub(" ", flat)
    if rest != flat and not re.search(r"[a-z0-9]", rest):
        return True
    said = re.findall(r"[a-z']+", rest)
    if not said or len(said) > 4 or any(c.isdigit() for c in rest) or _NO.search(rest):
        return False
    return agrees(rest) or said[0] in ("yes", "yep", "yeah", "y", "sure", "deal")


def confirm(
    session: Session, feature: Feature, proposal: dict[str, Any], said: str, now: datetime
) -> Effect:
    """The yes: the proposal is noted as its proposer's answer."""
    step = Step(str(proposal["step"]))
    value = value_from_json(step, proposal["value"])
    return apply_facts(session, feature, str(proposal["user"]), [(step, value, said)], now)
