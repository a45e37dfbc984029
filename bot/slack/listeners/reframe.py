"""Reframe in Slack: `/align reframe <text>`, `/align listen F on|off`, the "Reframe with
numbers" message shortcut, and the kickoff button on replies that ask for a target.

Each stores a job with its ack; the worker runs it (bot/jobs/reframe.py): composes the answer,
the model (maybe) words it, and it is queued through the outbox."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.domain.reframe import recognise
from bot.domain.reframe_wording import nothing_agreed_here
from bot.errors import BadInput, NotFound
from bot.ids import Action, Shortcut
from bot.jobs import reframe as reframe_job
from bot.services import access, kickoff, listening, outbox
from bot.services import reframe as service
from bot.services.access import Need
from bot.services.reframe import Job
from bot.slack import text as slack_text
from bot.slack.blocks import reframe as reframe_blocks
from bot.slack.middleware import work_of
from bot.slack.verbs import AlignCall
from bot.slack.wire import KickoffPointerValue

log = logging.getLogger(__name__)

REFRAME_USAGE = (
    "Usage: `/align reframe <what someone said>`, e.g. `/align reframe the model is "
    "hallucinating`. Run it in the feature's channel."
)
LISTEN_USAGE = "Usage: `/align listen <feature> on` or `/align listen <feature> off`."
NOT_A_CLAIM = (
    "I couldn't tell which agreed number that is about. I understand claims about wrong "
    'answers ("it hallucinates"), speed ("too slow"), cost ("too pricey"), "users don\'t '
    'care about accuracy" and "it\'s good enough, ship it".'
)


def reframe(call: AlignCall) -> None:
    """`/align reframe <text>`: the answer is posted in the channel, for everyone to see."""
    parts = slack_text.read(call.command.get("text")).text.strip().split(None, 1)
    text = parts[1].strip() if len(parts) > 1 else ""
    if not text:
        raise BadInput(REFRAME_USAGE)
    channel_id = call.command["channel_id"]
    claim = recognise(text)
    feature = service.feature_in_channel(call.session, call.team, channel_id)
    if feature is None:
        if claim is None:
            raise BadInput(NOT_A_CLAIM)  # "lunch at noon?": not a claim, no reframe
        question = nothing_agreed_here(claim)
        call.reply(question, reframe_blocks.no_feature_blocks(question))
        return
    # The answer is posted in the feature's channel: acting there, members only.
    access.require(call.deps.directory, feature, call.user, Need.ACT, reframe_blocks.NO_FEATURE)
    if claim is None:
        raise BadInput(NOT_A_CLAIM)
    job = Job(
        feature_id=feature.id,
        claim=claim,
        team_id=call.team,
        channel_id=channel_id,
        thread_ts=None,
        dedup_key=f"reframe:command:{uuid.uuid4().hex}",
        asked_by=call.user,
        asked_text=text,
        response_url=call.command.get("response_url"),
    )
    reframe_job.queue(call.deps, call.session, job, call.user)
    call.ack()


def listen(call: AlignCall) -> None:
    """`/align listen [feature] on|off`; without a feature, the one in this channel."""
    args = call.args
    if not args or args[-1].lower() not in ("on", "off"):
        raise BadInput(LISTEN_USAGE)
    turn_on = args[-1].lower() == "on"
    key = " ".join(args[:-1])
    # Listening changes how the bot behaves in the channel: the feature's people decide.
    if key:
        feature = call.feature(key, Need.STEER)
    else:
        here = service.feature_in_channel(call.session, call.team, call.command["channel_id"])
        nothing_here = f"There's no feature in this channel. {LISTEN_USAGE}"
        if here is None:
            raise BadInput(nothing_here)
        access.require(call.deps.directory, here, call.user, Need.STEER, nothing_here)
        feature = here
    listening.set_listening(feature, turn_on)
    said = reframe_blocks.listening_announcement(feature, call.user, turn_on)
    state = "on" if turn_on else "off"
    asked = outbox.Asked.of(
        call.command,
        f"the note telling the channel that listening is {state} for *{escape(feature.name)}*",
        f"Listening is {state} all the same.",
    )
    outbox.say(call.session, call.deps.clock, feature, said, where=outbox.CHANNEL, asked=asked)
    call.reply(f"Listening is {state} for *{escape(feature.name)}* in <#{feature.channel_id}>.")


def register(app: App, deps: Deps) -> None:
    @app.shortcut(Shortcut.REFRAME_MESSAGE.value)
    def reframe_message(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Reply in the message's thread, for everyone, or privately when we can't help."""
        ack()
        message = body.get("message") or {}
        team_id = str((body.get("team") or {}).get("id") or "")
        channel_id = str((body.get("channel") or {}).get("id") or "")
        user_id = str((body.get("user") or {}).get("id") or "")
        thread_ts = message.get("thread_ts") or message.get("ts")
        private = outbox.ReplyTarget(team_id, channel_id, user_id, thread_ts=thread_ts)
        claim = recognise(slack_text.read(message.get("text")).text)
        session = work_of(context).session
        feature = service.feature_in_channel(session, team_id, channel_id)
        if feature is None:
            if claim is None:
                outbox.ephemeral(session, deps.clock, private, NOT_A_CLAIM)
                return
            question = nothing_agreed_here(claim)
            blocks = reframe_blocks.no_feature_blocks(question)
            outbox.ephemeral(session, deps.clock, private, question, blocks)
            return
        access.require(deps.directory, feature, user_id, Need.ACT, reframe_blocks.NO_FEATURE)
        if claim is None:
            outbox.ephemeral(session, deps.clock, private, NOT_A_CLAIM)
            return
        job = Job(
            feature_id=feature.id,
            claim=claim,
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=str(thread_ts) if thread_ts else None,
            dedup_key=f"reframe:shortcut:{uuid.uuid4().hex}",
            response_url=body.get("response_url"),
        )
        reframe_job.queue(deps, session, job, user_id or None)

    @app.action(Action.START_KICKOFF.value)
    def start_kickoff(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        """Explain how to start the kickoff, or point to the one under way."""
        ack()
        target = outbox.ReplyTarget.from_body(body)
        if target is None:
            return
        pressed = KickoffPointerValue.decode(action.get("value"))
        key = str(pressed.feature) if pressed.feature is not None else ""
        session = work_of(context).session
        feature = kickoff.get_feature(session, target.team_id, key) if key else None
        if feature is not None and target.user_id is not None:
            try:  # a feature this person may not see is not pointed to
                access.require(deps.directory, feature, target.user_id, Need.SEE, "")
            except NotFound:
                feature = None
        outbox.ephemeral(session, deps.clock, target, reframe_blocks.kickoff_pointer(feature))
