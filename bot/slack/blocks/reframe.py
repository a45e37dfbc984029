"""Block Kit for reframe replies: the answer, who asked, and a kickoff button when no target
is agreed yet."""

from __future__ import annotations

from bot.domain.checklist import AGREED
from bot.domain.mrkdwn import clip, escape, thread_link
from bot.ids import Action
from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.wire import KickoffPointerValue
from bot.store.models import Feature

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
    value = KickoffPointerValue(feature=feature_id).encode()
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


def no_feature_blocks(question: str = NO_FEATURE) -> list[Block]:
    """No kickoff in this channel: the question that gets a target, and a button to start one."""
    return [section(question), kickoff_button(None)]


def listening_announcement(feature: Feature, user_id: str, turn_on: bool) -> str:
    """What the channel is told when someone turns listening mode on or off."""
    name = escape(feature.name)
    if not turn_on:
        return f"<@{user_id}> turned off listening for *{name}*."
    return (
        f"<@{user_id}> turned on listening for *{name}*: when someone here says the model "
        "hallucinates, is slow, costs too much or is good enough, I'll reply in the thread with "
        "the agreed numbers (at most once an hour per thread). "
        f"`/align listen {feature.slug} off` stops it."
    )


def kickoff_pointer(feature: Feature | None) -> str:
    """Where the kickoff is (or how to start one), for the button on a reply asking for a target."""
    if feature is None:
        return (
            "Start it here with `/kickoff <feature name> [@pm] [@engineer]`. I'll ask the "
            "questions in a thread: the limit on wrong answers, latency and cost. Once the PM "
            "and the engineer sign off, claims like this one get answered with numbers."
        )
    name = escape(feature.name)
    if feature.thread_ts is None:
        return f"The kickoff for *{name}* is starting; its thread will appear in a moment."
    link = thread_link(feature.channel_id, feature.thread_ts)
    if feature.stage == AGREED:
        return (
            f"The targets for *{name}* are agreed, but not this one. To add it, reply in "
            f"<{link}|the kickoff thread> with `change <answer> to <value> because <reason>`; "
            "both sign-offs are needed again."
        )
    return f"The kickoff for *{name}* is under way: <{link}|carry on in its thread>."
