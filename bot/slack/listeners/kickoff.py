"""Kickoff listeners: /kickoff, thread replies, the answer/sign-off/edit buttons and the modal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape, plain
from bot.domain.parsing import Parsed
from bot.domain.reframe import recognise
from bot.domain.targets import Role, Targets
from bot.errors import Conflict, NotReadyYet, UserFacingError
from bot.ids import Action, Block, Command, View
from bot.services import access, inbox, kickoff, outbox
from bot.services.access import Need
from bot.services.kickoff import Outcome
from bot.services.reading import propose
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import modals, section
from bot.slack.listeners import evals as evals_listener
from bot.slack.listeners import listening
from bot.slack.listeners import reframe as reframe_listener
from bot.slack.listeners.lookup import clicked_feature
from bot.store.models import Feature

KICKOFF_GONE = "That kickoff no longer exists."


class MembershipUnknown(Exception):
    """Slack could not say who is in the channel: the inbox retries the message with backoff."""


# Message subtypes that are still a person talking (file drops, thread broadcasts).
HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def register(app: App, deps: Deps) -> None:
    @app.command(Command.KICKOFF.value)
    def start_kickoff(ack: Ack, body: dict[str, Any], command: dict[str, Any]) -> None:
        """Ack path: refuse what can never work at once; store the rest for `start`."""
        kickoff.read_kickoff_text(command.get("text") or "")
        inbox.accept(deps, body)
        deps.inbox_ready.set()
        ack()

    @app.event("message")
    def message_in(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Ack path: decide without the database whether the message may matter, and if so
        store it raw (one insert); `process_message` handles it after the ack."""
        ack()
        if not worth_keeping(event):
            return
        inbox.accept(deps, body)
        deps.inbox_ready.set()

    @app.action(re.compile(f"^({Action.FALLBACK_CHOICE.value}|{Action.TRADEOFF_CHOICE.value}):"))
    def choice(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        feature_id, value = action["value"].split(":", 1)
        step = (
            Step.FALLBACK
            if action["action_id"].startswith(Action.FALLBACK_CHOICE.value)
            else Step.TRADEOFF
        )
        with deps.unit_of_work() as session:
            feature = _feature(session, deps, body, feature_id)
            outcome = kickoff.choose(session, deps.clock, feature, body["user"]["id"], step, value)
            if outcome is not None:
                say(session, deps, outcome)

    @app.action(re.compile(f"^({Action.SIGN_PM.value}|{Action.SIGN_ENGINEER.value})$"))
    def sign(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        feature_id = action["value"].split(":", 1)[0]
        role = Role.PM if action["action_id"] == Action.SIGN_PM.value else Role.ENGINEER
        with deps.unit_of_work() as session:
            feature = _feature(session, deps, body, feature_id)
            outcome = kickoff.sign(session, deps.clock, feature, body["user"]["id"], role)
            message = body.get("message") or {}
            version = kickoff.current_version(feature)
            if message.get("ts") and not outcome.agreed:
                text, blocks = kickoff_blocks.summary(feature, version, outcome.targets)
                outbox.update(
                    session,
                    deps.clock,
                    team_id=feature.team_id,
                    channel_id=feature.channel_id,
                    ts=message["ts"],
                    text=text,
                    blocks=blocks,
                )
            say(session, deps, outcome)

    @app.action(re.compile(f"^{Action.EDIT_ANSWER.value}:"))
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        feature_id, step = action["value"].split(":", 1)
        with deps.unit_of_work() as session:
            feature = _feature(session, deps, body, feature_id)
            agreed = kickoff.current_version(feature).status == "agreed"
            view = modals.edit_answer(feature.id, Step(step), need_reason=agreed)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(View.EDIT_ANSWER.value)
    def edit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        feature_id, step = view["private_metadata"].split(":", 1)
        values = view["state"]["values"]
        value_text = values[Block.EDIT_VALUE.value]["value"]["value"] or ""
        reason = (values.get(Block.EDIT_REASON.value) or {}).get("value", {}).get("value")
        with deps.unit_of_work() as session:
            try:
                feature = _feature(session, deps, body, feature_id)
            except UserFacingError as refused:  # shown in the form, which stays open
                ack(
                    response_action="errors",
                    errors={Block.EDIT_VALUE.value: plain(refused.message)[:150]},
                )
                return
            outcome = kickoff.change(
                session, deps.clock, feature, body["user"]["id"], Step(step), value_text, reason
            )
            if outcome.clarify:
                ack(
                    response_action="errors", errors={Block.EDIT_VALUE.value: outcome.clarify[:150]}
                )
                session.rollback()
                return
            say(session, deps, outcome)
        ack()

    @app.action(re.compile(f"^({Action.CONFIRM_READING.value}|{Action.REJECT_READING.value})$"))
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        accept = action["action_id"] == Action.CONFIRM_READING.value
        with deps.unit_of_work() as session:
            feature = _feature(session, deps, body, action["value"])
            outcome = kickoff.confirm_reading(
                session, deps.clock, feature, body["user"]["id"], accept
            )
            if outcome is not None:
                say(session, deps, outcome)


def _interpret(deps: Deps, feature_id: int, step: Step, text: str, clarify: str) -> None:
    """Background: the language model's reading, shown back for a yes/no; else our follow-up."""
    assert deps.llm is not None
    reading = propose(deps.llm, step, checklist.QUESTIONS[step].text, text)
    with deps.unit_of_work() as session:
        feature = session.get(Feature, feature_id)
        if feature is None or feature.stage != step.value:
            return  # someone answered meanwhile
        if reading is None:
            safe = escape(clarify)  # our parser quotes the person's words back
            _post_in_thread(session, deps, feature, safe, [section(safe)])
            return
        kickoff.hold_reading(feature, step, reading, clarify)
        parsed = checklist.parse_answer(step, reading)
        assert isinstance(parsed, Parsed)
        described = checklist.describe(checklist.apply(Targets(), step, parsed.value), step)
        _post_in_thread(
            session, deps, feature, *kickoff_blocks.reading(feature.id, text, described)
        )


def _feature(session: Session, deps: Deps, body: dict[str, Any], feature_id: str) -> Feature:
    """The kickoff a click names; only members of its channel may act on it."""
    return clicked_feature(session, deps, body, feature_id, KICKOFF_GONE)


def _post_in_thread(
    session: Session, deps: Deps, feature: Feature, text: str, blocks: list[dict[str, Any]]
) -> None:
    outbox.post(
        session,
        deps.clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        text=text,
        blocks=blocks,
        feature_id=feature.id,
        in_feature_thread=True,
    )


def say(session: Session, deps: Deps, outcome: Outcome) -> None:
    """Queue what an outcome means for the thread (and the channel, for changes)."""
    feature = outcome.feature
    if outcome.clarify:
        safe = escape(outcome.clarify)  # our parser quotes the person's words back
        text, blocks = safe, [section(safe)]
        _post_in_thread(session, deps, feature, text, blocks)
        return
    lead = ""
    if outcome.accepted_step is not None:
        step = outcome.accepted_step
        described = escape(checklist.describe(outcome.targets, step))
        lead = f"Got it: *{checklist.STEP_NAMES[step]}* — {described}.\n\n"
    elif outcome.changed_step is not None and outcome.new_version is None:
        step = outcome.changed_step
        described = escape(checklist.describe(outcome.targets, step))
        lead = f"Updated *{checklist.STEP_NAMES[step]}* to {described}.\n\n"
    version = kickoff.current_version(feature)
    if outcome.new_version is not None and outcome.changed_step is not None:
        announcement = kickoff_blocks.change_announcement(
            feature, version, outcome.changed_step, outcome.targets
        )
        outbox.post(
            session,
            deps.clock,
            team_id=feature.team_id,
            channel_id=feature.channel_id,
            text=announcement,
            blocks=[section(announcement)],
            feature_id=feature.id,
        )
    if outcome.question is not None:
        _post_in_thread(
            session, deps, feature, *kickoff_blocks.question(outcome.question, feature.id, lead)
        )
    elif outcome.agreed:
        text, blocks = kickoff_blocks.agreed(feature, version, outcome.targets)
        _post_in_thread(session, deps, feature, text, blocks)
        if version.version > 1:
            outbox.post(
                session,
                deps.clock,
                team_id=feature.team_id,
                channel_id=feature.channel_id,
                text=text,
                blocks=blocks,
                feature_id=feature.id,
            )
    elif outcome.review:
        text, blocks = kickoff_blocks.summary(feature, version, outcome.targets)
        if lead:
            blocks.insert(0, section(lead.strip()))
        _post_in_thread(session, deps, feature, text, blocks)
    elif outcome.signed_role is not None:
        role = "PM" if outcome.signed_role is Role.PM else "engineer"
        line = f"Signed as {role}. Waiting for the other sign-off."
        _post_in_thread(session, deps, feature, line, [section(line)])


def worth_keeping(event: dict[str, Any]) -> bool:
    """A person's message that is a kickoff answer, a file drop or a possible claim."""
    if event.get("bot_id") or event.get("subtype") not in HUMAN_SUBTYPES or not event.get("user"):
        return False
    is_reply = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
    return (
        is_reply or bool(event.get("files")) or recognise(str(event.get("text") or "")) is not None
    )


def start(deps: Deps, session: Session, command: dict[str, Any]) -> None:
    """After the ack: create the feature and queue the kickoff message and first question."""
    name, _ = kickoff.read_kickoff_text(command.get("text") or "")
    taken = kickoff.get_feature(session, command["team_id"], kickoff.slugify(name))
    if taken is not None:
        try:  # the service's answer links the feature's thread: only if they may see it
            access.require(deps.directory, taken, command["user_id"], Need.SEE, "")
        except UserFacingError:
            raise Conflict(
                "That name is already taken in this workspace. Pick another name."
            ) from None
    feature = kickoff.start(
        session,
        deps.clock,
        team_id=command["team_id"],
        channel_id=command["channel_id"],
        user_id=command["user_id"],
        text=command.get("text") or "",
    )
    text, blocks = kickoff_blocks.opening(feature)
    outbox.kickoff_root(
        session,
        deps.clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        feature_id=feature.id,
        text=text,
        blocks=blocks,
        response_url=command.get("response_url"),
    )
    first = checklist.QUESTIONS[checklist.ORDER[0]]
    _post_in_thread(session, deps, feature, *kickoff_blocks.question(first, feature.id))


def process_message(
    deps: Deps, session: Session, body: dict[str, Any]
) -> Callable[[], None] | None:
    """After the ack: a kickoff to start, a reframe asked for, a file drop, an answer in a
    kickoff thread, or a claim to reframe."""
    if body.get("command") == Command.KICKOFF.value:
        start(deps, session, body)
        return None
    job = reframe_listener.job_from_inbox(deps, body)
    if job is not None:
        return job
    event = body.get("event") or {}
    if event.get("files"):  # an eval file dropped in the thread
        return lambda: evals_listener.handle_file_drop(deps, body, event)
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
    if feature is None:  # not a kickoff answer; maybe a claim (after our commit)
        return lambda: listening.maybe_reply(deps, body, event)
    # Answers and edits typed in the thread: members of the feature's channel only. If Slack
    # can't say just now, the stored message is tried again later rather than refused.
    try:
        access.require(deps.directory, feature, str(event["user"]), Need.ACT, KICKOFF_GONE)
    except access.AccessUnknown as unsure:
        if unsure.transient:
            raise MembershipUnknown(unsure.message) from None
        raise
    text = event.get("text") or ""
    outcome = kickoff.answer(session, deps.clock, feature, event["user"], text)
    if outcome is None:
        return None
    if outcome.unclear_step is not None and deps.llm is not None:
        # Ask the model in the background; it answers within 8 s or we say our own follow-up.
        step, clarify = outcome.unclear_step, outcome.clarify or ""

        def ask_model() -> None:
            deps.background.submit(_interpret, deps, feature.id, step, text, clarify)

        return ask_model
    say(session, deps, outcome)
    return None
