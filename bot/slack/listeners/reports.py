"""`/align report F` (post the report now) and the report's decision buttons A/B/C."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape, plain
from bot.domain.options import OPTION_NAMES, Option
from bot.errors import BadInput, UserFacingError
from bot.ids import Action, Block, View
from bot.jobs.reports import queue_report
from bot.services import decisions, outbox
from bot.services.access import Need
from bot.slack.blocks import modals
from bot.slack.blocks import report as report_blocks
from bot.slack.forms import open_form
from bot.slack.lookup import clicked_feature
from bot.slack.middleware import work_of
from bot.slack.verbs import AlignCall
from bot.slack.wire import DecisionValue, NoteForm, NoteValue

REPORT_USAGE = "Usage: `/align report <feature>`, e.g. `/align report support-answers`."


FEATURE_GONE = "That feature no longer exists."
STALE_BUTTON = "That button is out of date; run `/align report` for a fresh report."
CHOICE_KEPT = "Your choice to revisit the target is recorded all the same"


def report_command(call: AlignCall) -> None:
    """Post the feature's report now, through the same job the schedule uses."""
    if not call.args:
        raise BadInput(REPORT_USAGE)
    # Posting in the feature's channel is acting there: members only.
    feature = call.feature(" ".join(call.args), Need.ACT)
    # One report per request: a repeated delivery of the same command finds its period taken.
    request = str(call.command.get("trigger_id") or uuid.uuid4().hex)
    period = f"manual:{hashlib.sha256(request.encode()).hexdigest()[:32]}"
    asked = outbox.Asked.of(
        call.command,
        f"the report for *{escape(feature.name)}*",
        f"Once that is fixed, `/align report {feature.slug}` posts it again.",
    )
    if queue_report(call.deps, feature.id, period, asked) is None:
        call.reply(f"The report for *{escape(feature.name)}* is already on its way.")
        return
    call.reply(f"Posting the report for *{escape(feature.name)}* in its channel.")


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(f"^{Action.DECISION.value}(:|$)"))
    def decide(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        pressed = DecisionValue.decode(action.get("value"), STALE_BUTTON)
        report_id, option, step = pressed.report, pressed.option, pressed.step
        user_id = body["user"]["id"]
        message_ts = (body.get("container") or {}).get("message_ts")
        work = work_of(context)
        feature = clicked_feature(work.session, deps, body, str(pressed.feature), FEATURE_GONE)
        decision, created = decisions.record_decision(
            work.session, deps.clock, feature, report_id, option.value, user_id
        )
        if option is Option.REVISIT_TARGET:
            # The kickoff's own change flow: a new version that needs both sign-offs.
            reply_to = body.get("response_url")
            view = modals.edit_answer(feature, step or Step.ERROR_RATE, reply_to)
            work.commit()  # stored before we call Slack, never inside the transaction
            open_form(client, body["trigger_id"], view, kept=CHOICE_KEPT)
        elif created:
            said = report_blocks.decision_confirmation(feature, option, user_id, decision.id)
            asked = outbox.Asked.of(
                body,
                f"the record of your choice ({option.value}) under *{escape(feature.name)}*'s "
                "report",
                "Your choice is recorded all the same, and the next reports show the numbers "
                "before and after.",
            )
            outbox.say(work.session, deps.clock, feature, *said, where=message_ts, asked=asked)

    @app.action(Action.DECISION_NOTE.value)
    def open_note(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        note = NoteValue.decode(action.get("value"), STALE_BUTTON)
        feature_id, decision_id = note.feature, note.decision
        work = work_of(context)
        feature = clicked_feature(work.session, deps, body, str(feature_id), FEATURE_GONE)
        decision = decisions.decision_of(work.session, feature, decision_id)
        option = OPTION_NAMES[Option(decision.option)]
        chosen = f"{decision.option}) {option}, for *{escape(feature.name)}*"
        reply_to = body.get("response_url")
        view = modals.decision_note(feature.id, decision.id, chosen, decisions.NOTE_CHARS, reply_to)
        work.commit()
        open_form(client, body["trigger_id"], view)

    @app.view(View.DECISION_NOTE.value)
    def note_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        form = NoteForm.decode(view.get("private_metadata"), STALE_BUTTON)
        feature_id, decision_id = form.feature, form.decision
        values = view["state"]["values"]
        text = values[Block.DECISION_NOTE.value]["value"]["value"] or ""
        user_id = body["user"]["id"]
        work = work_of(context)
        try:
            feature = clicked_feature(work.session, deps, body, str(feature_id), FEATURE_GONE)
            decision = decisions.note_decision(work.session, feature, decision_id, user_id, text)
        except UserFacingError as refused:  # shown in the form, which stays open
            work.rollback()
            errors = {Block.DECISION_NOTE.value: plain(refused.message)[:150]}
            ack(response_action="errors", errors=errors)
            return
        line, blocks = report_blocks.decision_note_post(user_id, Option(decision.option), text)
        thread = decisions.report_ts(work.session, decision)
        asked = outbox.Asked.of(
            body,
            f"your note on the decision for *{escape(feature.name)}*",
            "Your note is saved with the decision all the same.",
            reply_to=form.reply_to,
            feature=feature,
        )
        outbox.say(work.session, deps.clock, feature, line, blocks, where=thread, asked=asked)
        ack()
