"""Block Kit for reframe replies: the answer, who asked, and a kickoff button when no target
is agreed yet."""

from __future__ import annotations

from bot.domain.mrkdwn import clip, escape
from bot.ids import Action
from bot.slack.blocks import Block, actions, button, context, section

LISTENING_HINT = (
    "I'm listening in this channel for claims like this one. Not helpful? React to this "
    "reply with :thumbsdown: (or any emoji but a thumbs up) and I'll stay out of this thread."
)
NO_FEATURE = (
    "There's no feature in this channel yet, so there are no agreed numbers to point to. "
    "Start a kickoff here and agree on them first: `/kickoff <feature name> [@pm] [@engineer]`."
)


def kickoff_button(feature_id: int | None) -> Block:
    label = "Start a kickoff" if feature_id is None else "Agree on a target"
    value = "" if feature_id is None else str(feature_id)
    return actions(button(label, Action.START_KICKOFF.value, value, style="primary"))


def reply_blocks(
    text: str,
    *,
    feature_id: int,
    asks_for_target: bool,
    asked_by: str | None = None,
    asked_text: str | None = None,
    listening: bool = False,
) -> list[Block]:
    blocks: list[Block] = []
    if asked_by is not None and asked_text:
        quoted = escape(clip(" ".join(asked_text.split()), 200))
        blocks.append(context(f"<@{asked_by}> asked about: _{quoted}_"))
    blocks.append(section(text))
    if asks_for_target:
        blocks.append(kickoff_button(feature_id))
    if listening:
        blocks.append(context(LISTENING_HINT))
    return blocks


def no_feature_blocks() -> list[Block]:
    return [section(NO_FEATURE), kickoff_button(None)]
