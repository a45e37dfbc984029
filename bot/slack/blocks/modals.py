"""Modals (views.open)."""

from __future__ import annotations

from typing import Any

from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import clip
from bot.ids import Block, View
from bot.services.kickoff import agreed_version
from bot.slack.wire import EditForm, NoteForm
from bot.store.models import Feature


def _text_input(
    block_id: str, label: str, placeholder: str, multiline: bool = False, max_length: int = 3000
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label[:2000]},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": max_length,
            "placeholder": {"type": "plain_text", "text": placeholder[:150]},
        },
    }


# Under the value of a form opened before the targets were agreed (so without a reason field),
# saved after: plain text, within the 150 characters Slack shows.
AGREED_SINCE_OPENED = (
    "These targets were agreed after this form opened, so a change now needs a reason. Nothing "
    "was changed: close this and press Edit again."
)


def edit_answer(feature: Feature, step: Step, reply_to: str | None = None) -> dict[str, Any]:
    """The form to change one answer; after agreement a change needs a reason. `reply_to`:
    the opening click's response_url, back with the submission."""
    need_reason = agreed_version(feature) is not None
    feature_id = feature.id
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": checklist.ITEMS[step].question.text[:3000]},
        },
        _text_input(
            Block.EDIT_VALUE.value,
            checklist.ITEMS[step].new_label,
            "Type it as you would in the thread",
        ),
    ]
    if need_reason:
        blocks.append(
            _text_input(Block.EDIT_REASON.value, "Why the change?", "Kept in the history", True)
        )
    metadata = EditForm(feature=feature_id, step=step, reply_to=reply_to).encode()
    return _form(View.EDIT_ANSWER, metadata, "Change an answer", blocks)


def decision_note(
    feature_id: int, decision_id: int, chosen: str, max_length: int, reply_to: str | None = None
) -> dict[str, Any]:
    """Why the team chose an option, in a sentence or two; kept with the decision. `reply_to`:
    the opening click's response_url, back with the submission."""
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(chosen, 3000)}},
        _text_input(
            Block.DECISION_NOTE.value,
            "Why this option?",
            "What you expect it to change, and by when",
            multiline=True,
            max_length=max_length,
        ),
    ]
    metadata = NoteForm(feature=feature_id, decision=decision_id, reply_to=reply_to).encode()
    return _form(View.DECISION_NOTE, metadata, "Note on a decision", blocks)


def _form(view: View, metadata: str, title: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A modal with Save and Cancel; `metadata` comes back with the submission."""
    return {
        "type": "modal",
        "callback_id": view.value,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
