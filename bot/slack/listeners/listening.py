"""Listening mode in Slack: a claim typed in a listening feature's channel gets a threaded reply
(at most once an hour per thread, never to bots), and a reaction on that reply mutes the thread.

Message events are stored with their ack and routed afterwards (bot/slack/after_ack.py), which
calls `maybe_reply` for messages that are not kickoff answers.

Which reactions mute: any emoji except the clearly approving ones (POSITIVE below). A :+1: on
the reply reads as "thanks", not "stop"; anything else on a bot's unasked-for reply is taken
as "not helpful here", which errs on the side of staying quiet.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain.reframe import recognise
from bot.ids import Event
from bot.jobs import reframe as reframe_job
from bot.services import kickoff, listening, outbox
from bot.services import reframe as service
from bot.services.access import DirectoryUnavailable
from bot.services.reframe import Job
from bot.slack import text as slack_text
from bot.unit_of_work import event_work

# Human messages: plain ones and replies also sent to the channel. Edits, joins, bot posts: no.
SPOKEN_SUBTYPES = {None, "thread_broadcast"}
POSITIVE = {
    *("+1", "thumbsup", "white_check_mark", "heavy_check_mark", "ballot_box_with_check"),
    *("pray", "raised_hands", "clap", "tada", "heart", "100", "star", "star-struck"),
    *("muscle", "ok_hand", "sparkles", "fire", "rocket", "slightly_smiling_face", "smile"),
}
log = logging.getLogger(__name__)
MUTED = "Got it: I'll stay out of this thread."


def maybe_reply(deps: Deps, session: Session, body: dict[str, Any], event: dict[str, Any]) -> None:
    """In the inbox worker's transaction: when this message makes a claim in a listening
    channel, store a job for the threaded reframe reply (bot/jobs/reframe.py)."""
    if (
        event.get("bot_id")
        or event.get("subtype") not in SPOKEN_SUBTYPES
        or not event.get("user")
        or not event.get("channel")
        or not event.get("ts")
    ):
        return
    claim = recognise(slack_text.read(event.get("text")).text)
    if claim is None:  # the common case, decided before touching the database
        return
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel_id, ts = str(event["channel"]), str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    feature = service.feature_in_channel(session, team_id, channel_id, listening_only=True)
    if feature is None or kickoff.find_by_thread(session, team_id, channel_id, thread_ts):
        return  # not listening here, or a kickoff thread (its replies are answers)
    if not listening.take_turn(session, deps.clock, team_id, channel_id, thread_ts):
        return
    job = Job(
        feature_id=feature.id,
        claim=claim,
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        dedup_key=listening.dedup_key(team_id, channel_id, ts),
        listening=True,
    )
    reframe_job.add(session, deps.clock, job)


def register(app: App, deps: Deps) -> None:
    @app.event(Event.REACTION_ADDED.value)
    def reaction_added(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        item = event.get("item") or {}
        user_id = str(event.get("user") or "")
        if item.get("type") != "message" or not user_id or event.get("reaction") in POSITIVE:
            return
        team_id = str(body.get("team_id") or "")
        channel_id, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        # The membership lookup steps out of this transaction while Slack answers.
        with event_work(deps, f"event:{body.get('event_id')}") as session:
            thread_ts = listening.thread_of_reply(session, team_id, channel_id, ts)
            if thread_ts is None:
                return  # a reaction on anything but a listening reply
            if not _member(deps, team_id, channel_id, user_id):
                return  # only the channel's members steer what we say in it
            if listening.mute(session, deps.clock, team_id, channel_id, thread_ts, user_id):
                target = outbox.ReplyTarget(team_id, channel_id, user_id, thread_ts=thread_ts)
                outbox.ephemeral(session, deps.clock, target, MUTED)


def _member(deps: Deps, team_id: str, channel_id: str, user_id: str) -> bool:
    """In the channel, as Slack says (services/access.py's "act"); when Slack cannot say, no:
    the reply stays, which is the state nobody asked to change."""
    try:
        return deps.directory.is_member(team_id, channel_id, user_id)
    except DirectoryUnavailable as exc:
        log.warning("reaction by %s not taken: membership unknown (%s)", user_id, exc.error)
        return False
