"""Kickoff listeners: /kickoff, thread replies, the answer/sign-off/edit buttons and the modal,
and the after-ack halves of those that only store (`start`, `answer`, `sign_stored`).
(Just over 300 lines: each ack that only stores keeps its after-ack half beside it.)"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import plain
from bot.domain.reframe import recognise
from bot.domain.targets import Role
from bot.errors import BadInput, Conflict, NotFound, UserFacingError
from bot.ids import Action, Block, Command, View
from bot.jobs import reading as reading_job
from bot.services import access, inbox, kickoff, outbox
from bot.services.access import Need
from bot.services.kickoff import answers, changes, signoff, summary
from bot.services.kickoff.outcomes import Clarify, Noted, Stale
from bot.slack import revisions
from bot.slack import text as slack_text
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import modals
from bot.slack.forms import open_form
from bot.slack.kickoff_replies import asked_by, say, stale_press
from bot.slack.lookup import clicked_feature, team_of
from bot.slack.middleware import work_of
from bot.slack.wire import (
    ChoiceValue,
    EditForm,
    EditValue,
    ReadingValue,
    SignOffValue,
    WithdrawValue,
)
from bot.store.models import Feature

KICKOFF_GONE = "That kickoff no longer exists."
STALE_SUMMARY = "That summary is out of date; sign the newest one in the kickoff thread."
NAME_TAKEN = "That name is already taken in this workspace. Pick another name."
IN_A_DM = (
    "A kickoff needs a channel the PM and the engineer are both in, so both can answer and sign "
    "off; this is a direct message. Run `/kickoff` in the feature's channel."
)
BOT_NAMED = (
    "I can't sign off, so I can't be the PM or the engineer: name the two people who will, "
    "e.g. `/kickoff Support answers @ana @raj`."
)
# Message subtypes that are still a person talking (file drops, thread broadcasts).
HUMAN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def register(app: App, deps: Deps) -> None:
    @app.command(Command.KICKOFF.value)
    def start_kickoff(
        ack: Ack, body: dict[str, Any], command: dict[str, Any], context: BoltContext
    ) -> None:
        """Ack path: refuse what can never work at once; store the rest for `start`."""
        if str(command.get("channel_id") or "").startswith("D"):  # Slack's ids of DMs
            raise BadInput(IN_A_DM)
        _, named = kickoff.read_kickoff_text(slack_text.read(command.get("text")))
        if context.bot_user_id and context.bot_user_id in named[:2]:
            raise BadInput(BOT_NAMED)
        inbox.accept(deps, body)
        deps.inbox_ready.set()
        ack()

    @app.event("message")
    def message_in(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Ack path: decide without the database whether the message may matter, and if so
        store it raw (one insert); bot/slack/after_ack.py routes it after the ack."""
        ack()
        if not worth_keeping(event):
            return
        inbox.accept(deps, body)
        deps.inbox_ready.set()

    @app.action(re.compile(f"^({Action.FALLBACK_CHOICE.value}|{Action.TRADEOFF_CHOICE.value}):"))
    def choice(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        pressed = ChoiceValue.decode(action.get("value"))
        feature_id, value = str(pressed.feature), pressed.choice
        step = (
            Step.FALLBACK
            if action["action_id"].startswith(Action.FALLBACK_CHOICE.value)
            else Step.TRADEOFF
        )
        session = work_of(context).session
        feature = _feature(session, deps, body, feature_id)
        outcome = answers.choose(session, deps.clock, feature, body["user"]["id"], step, value)
        if outcome is not None:
            say(session, deps, outcome, asked_by(body, feature))

    @app.action(re.compile(f"^({Action.SIGN_PM.value}|{Action.SIGN_ENGINEER.value})$"))
    def sign(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        """Ack path: store the press (one insert, or the spool) and sign it after the ack
        (`sign_stored`). Signing waits for the feature's lock; many people pressing at once
        would each wait for the others inside Slack's 3 s (docs/performance.md, "Sign-off
        presses at once"), while storing waits for none."""
        shown = SignOffValue.decode(action.get("value"), STALE_SUMMARY)  # garbled: said now
        key = work_of(context).key
        assert key is not None  # every interaction has one (bot/slack/middleware.py)
        message = body.get("message") or {}
        # In the kickoff thread's queue: handled after what was typed there before it.
        thread = str(message.get("thread_ts") or "") or f"feature:{shown.feature}"
        inbox.accept_press(deps, body, key, conversation=thread[:80])
        deps.inbox_ready.set()
        ack()

    @app.action(Action.WITHDRAW_CHANGE.value)
    def withdraw(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        """The proposer takes back an open change to agreed targets."""
        ack()
        pressed = WithdrawValue.decode(action.get("value"), STALE_SUMMARY)
        session = work_of(context).session
        feature = _feature(session, deps, body, str(pressed.feature))
        user_id = body["user"]["id"]
        withdrawn = changes.withdraw(session, deps.clock, feature, user_id, pressed.version)
        say(session, deps, withdrawn, asked_by(body, feature))

    @app.action(re.compile(f"^{Action.EDIT_ANSWER.value}:"))
    def edit(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        pressed = EditValue.decode(action.get("value"))
        work = work_of(context)
        session = work.session
        feature = _feature(session, deps, body, str(pressed.feature))
        view = modals.edit_answer(feature, pressed.step, body.get("response_url"))
        work.commit()  # never call Slack inside the transaction
        open_form(client, body["trigger_id"], view)

    @app.view(View.EDIT_ANSWER.value)
    def edit_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        form = EditForm.decode(view.get("private_metadata"))
        feature_id, step = str(form.feature), form.step
        values = view["state"]["values"]
        value_text = values[Block.EDIT_VALUE.value]["value"]["value"] or ""
        reason = (values.get(Block.EDIT_REASON.value) or {}).get("value", {}).get("value")
        work = work_of(context)
        session = work.session
        try:
            feature = _feature(session, deps, body, feature_id)
            outcome = changes.change(
                session, deps.clock, feature, body["user"]["id"], step, value_text, reason
            )
        except UserFacingError as refused:  # shown in the form, which stays open
            work.rollback()
            ack(
                response_action="errors",
                errors={Block.EDIT_VALUE.value: _plain(refused.message)},
            )
            return
        if isinstance(outcome, Clarify):
            # Under the field it is about: the reason, when that is what is missing.
            field, said = Block.EDIT_VALUE.value, outcome.text
            if Block.EDIT_REASON.value in values and "reason" in outcome.text:
                field = Block.EDIT_REASON.value
            elif outcome.text == changes.no_reason(step, None):
                said = modals.AGREED_SINCE_OPENED  # agreed since it opened: no reason field
            ack(response_action="errors", errors={field: _plain(said)})
            work.rollback()
            return
        say(session, deps, outcome, asked_by(body, feature, form.reply_to))
        ack()

    @app.action(re.compile(f"^({Action.CONFIRM_READING.value}|{Action.REJECT_READING.value})$"))
    def confirm(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        accept = action["action_id"] == Action.CONFIRM_READING.value
        work = work_of(context)
        session = work.session
        pressed = ReadingValue.decode(action.get("value"))
        feature = _feature(session, deps, body, str(pressed.feature))
        user_id = body["user"]["id"]
        outcome = answers.confirm_reading(
            session, deps.clock, feature, user_id, accept, pressed.reading
        )
        if outcome is not None:
            say(session, deps, outcome, asked_by(body, feature))


def _plain(message: str) -> str:
    """A reply as a form's error under a field: plain text, and short (Slack shows 150)."""
    return plain(message)[:150]


def _feature(session: Session, deps: Deps, body: dict[str, Any], feature_id: str) -> Feature:
    """The kickoff a click names; only members of its channel may act on it."""
    return clicked_feature(session, deps, body, feature_id, KICKOFF_GONE)


def worth_keeping(event: dict[str, Any]) -> bool:
    """A person's message that is a kickoff answer, a file drop or a possible claim, or a
    thread reply of theirs edited or deleted."""
    if event.get("subtype") in (revisions.CHANGED, revisions.DELETED):
        return revisions.revision_of(event) is not None
    if event.get("bot_id") or event.get("subtype") not in HUMAN_SUBTYPES or not event.get("user"):
        return False
    is_reply = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
    if is_reply or event.get("files"):
        return True
    return recognise(slack_text.read(event.get("text")).text) is not None


def sign_stored(deps: Deps, session: Session, body: dict[str, Any]) -> None:
    """After the ack: sign what the pressed summary showed. A summary that is out of date
    signs nothing, is retired, and the presser is shown the current numbers; a press that may
    not sign (someone else's role, signed already) is told why, privately (bot/jobs/inbox.py)."""
    action = (body.get("actions") or [{}])[0]
    shown = SignOffValue.decode(action.get("value"), STALE_SUMMARY)
    role = Role.PM if action.get("action_id") == Action.SIGN_PM.value else Role.ENGINEER
    user = str(body["user"]["id"])
    feature = kickoff.get_feature(session, team_of(body), str(shown.feature))
    if feature is None:
        raise NotFound(KICKOFF_GONE)
    # If Slack can't say just now who is in the channel, the press is tried again later.
    access.require_after_ack(deps.directory, feature, user, Need.ACT, KICKOFF_GONE)
    outcome = signoff.sign(
        session,
        deps.clock,
        feature,
        user,
        role,
        shown_version=shown.version,
        shown_fingerprint=shown.fingerprint,
    )
    message = body.get("message") or {}
    ts = str(message.get("ts") or "") or None
    if isinstance(outcome, Stale):
        stale_press(session, deps, feature, outcome, body, ts)
        return
    if ts is not None:  # the summary pressed is the one to update
        summary.adopt(session, feature, ts)
    say(session, deps, outcome, asked_by(body, feature))


def start(deps: Deps, session: Session, command: dict[str, Any]) -> None:
    """After the ack: create the feature and queue the kickoff message and first question."""
    said = slack_text.read(command.get("text"))
    name, _ = kickoff.read_kickoff_text(said)
    taken = kickoff.get_feature(session, command["team_id"], kickoff.slugify(name))
    if taken is not None:
        try:  # the service's answer links the feature's thread: only if they may see it
            access.require(deps.directory, taken, command["user_id"], Need.SEE, "")
        except UserFacingError:
            raise Conflict(NAME_TAKEN) from None
    feature = kickoff.start(
        session,
        deps.clock,
        team_id=command["team_id"],
        channel_id=command["channel_id"],
        user_id=command["user_id"],
        said=said,
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
    first = checklist.ITEMS[checklist.ORDER[0]].question
    outbox.say(session, deps.clock, feature, *kickoff_blocks.question(first, feature.id))


def answer(deps: Deps, session: Session, feature: Feature, body: dict[str, Any]) -> None:
    """After the ack: a reply in a kickoff thread, read as an answer. What the reader cannot
    place goes to the language model (when there is one), as a job stored with this work."""
    event = body.get("event") or {}
    # Answers and edits typed in the thread: members of the feature's channel only. If Slack
    # can't say just now, the stored message is tried again later rather than refused.
    access.require_after_ack(deps.directory, feature, str(event["user"]), Need.ACT, KICKOFF_GONE)
    said = slack_text.read(event.get("text"))
    outcome = answers.answer(
        session,
        deps.clock,
        feature,
        event["user"],
        said,
        bot_user=slack_text.bot_user_of(body),
        model=deps.llm is not None,
    )
    if outcome is None:
        return
    if (
        isinstance(outcome, Clarify)
        and outcome.reader_unsure
        and outcome.step is not None
        and deps.llm is not None
    ):
        # The model answers within 8 s, or the job says our own follow-up.
        reading_job.queue(deps, session, feature, event, said.text, outcome.step, outcome.text)
        return
    say(session, deps, outcome)
    if isinstance(outcome, Noted) and outcome.unplaced and deps.llm is not None:
        # Part of the reply was placed; the model may read the rest for the items still open.
        step = checklist.Step(feature.stage)
        reading_job.queue(deps, session, feature, event, outcome.unplaced, step, "")
