"""What a stored Slack item means once the ack has gone: the inbox worker's one handler.

Acks only store (bot/services/inbox.py). Here, in the inbox worker's transaction, each stored
item goes to the part that handles it: a kickoff to start, a sign-off press, a reframe job, a
file drop, an answer in a kickoff thread, or a possible claim in a listening channel; and each
kind of job (slow work after the ack) to its runner. Listener modules never call one another;
they meet here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotReadyYet
from bot.ids import Command
from bot.jobs import file_drop, reading, rejudge
from bot.jobs import reframe as reframe_job
from bot.jobs.inbox import JobRunner
from bot.services import kickoff
from bot.services.inbox import JobKind
from bot.slack import revisions
from bot.slack.listeners import kickoff as kickoff_listener
from bot.slack.listeners import listening
from bot.store.models import Feature


def handle(deps: Deps, session: Session, body: dict[str, Any]) -> None:
    """Route one stored slash command or message event, in the worker's transaction (jobs
    it stores run once that commits)."""
    if body.get("command") == Command.KICKOFF.value:
        kickoff_listener.start(deps, session, body)
        return
    if body.get("type") == "block_actions":  # a sign-off press (the only press stored)
        kickoff_listener.sign_stored(deps, session, body)
        return
    event = body.get("event") or {}
    revision = revisions.revision_of(event)
    if revision is not None:  # a thread reply edited or deleted
        again = revisions.revised(deps, session, body, revision, kickoff_listener.KICKOFF_GONE)
        if again is not None:  # it gave nothing before: read it as edited
            edited_in, edited = again
            kickoff_listener.answer(deps, session, edited_in, {**body, "event": edited})
        return
    if event.get("files"):  # an eval file dropped in the thread
        file_drop.take(deps, session, body, event)
        return
    feature = kickoff_thread_of(session, body, event)
    if feature is None:  # not a kickoff answer; maybe a claim
        listening.maybe_reply(deps, session, body, event)
        return
    kickoff_listener.answer(deps, session, feature, body)


# Slow work after the ack, by kind (bot/jobs/inbox.py runs them).
JOBS: dict[str, JobRunner] = {
    JobKind.FILE: file_drop.fetch_and_store,
    JobKind.READING: reading.read,
    JobKind.REFRAME: reframe_job.write,
    JobKind.REJUDGE: rejudge.run,
}


def kickoff_thread_of(
    session: Session, body: dict[str, Any], event: dict[str, Any]
) -> Feature | None:
    """The feature whose kickoff thread this message replies in, if any."""
    thread_ts = event.get("thread_ts")
    team_id = body.get("team_id") or event.get("team") or ""
    feature = None
    if thread_ts and thread_ts != event.get("ts"):
        feature = kickoff.find_by_thread(session, team_id, event["channel"], thread_ts)
    if (
        feature is None
        and thread_ts
        and kickoff.root_being_posted(session, team_id, event["channel"])
    ):
        # The kickoff message is on its way and its ts not saved yet: try again in a moment.
        raise NotReadyYet("kickoff thread not recorded yet")
    return feature
