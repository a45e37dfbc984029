"""`/align <verb>`: read the verb, hand the call to its handler (the table is wired in
bot/slack/listeners/__init__.py), and the two verbs that only look: help and status."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.errors import BadInput
from bot.ids import Command
from bot.services import access, kickoff, outbox, schedules
from bot.services import reports as report_service
from bot.services.access import Need
from bot.slack import blocks
from bot.slack import text as slack_text
from bot.slack.blocks import status
from bot.slack.middleware import work_of
from bot.slack.verbs import AlignCall, Handler


def help_verb(call: AlignCall) -> None:
    call.reply_encoded(_help_reply())


@cache
def _help_reply() -> str:
    """The help never changes: encoded once. Encoding its blocks on every `/align help` was
    about a fifth of the ack's CPU (docs/performance.md, "Ack latency")."""
    reply = {"response_type": "ephemeral", "text": blocks.help_text()}
    return json.dumps(reply | {"blocks": blocks.help_blocks()})


def status_verb(call: AlignCall) -> None:
    unchecked = 0
    session = call.session
    if call.args:
        features = [call.feature(" ".join(call.args), Need.SEE)]
    else:
        everything = kickoff.features_of(session, call.team)
        shown = access.visible(call.deps.directory, everything, call.user)
        features, unchecked = shown.features, shown.unchecked
    failures = schedules.last_report_failures(session, (f.id for f in features))
    undelivered = outbox.undelivered(session, (f.id for f in features))
    # One named feature gets its latest numbers; the list stays quick to answer.
    now = call.deps.clock.now()
    latest = report_service.latest_of(session, features, now) if call.args else None
    call.reply(
        status.status_text(features, failures, unchecked),
        status.status_blocks(features, failures, latest, unchecked, undelivered),
    )


def register(app: App, deps: Deps, verbs: Mapping[str, Handler]) -> None:
    @app.command(Command.ALIGN.value)
    def align(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        words = slack_text.read(command.get("text")).text.split()
        verb = words[0].lower() if words else "help"
        handler = verbs.get(verb)
        if handler is None:
            raise BadInput(
                f"I don't know `/align {escape(verb[:40])}`. Try `/align help` for the list."
            )
        handler(AlignCall(deps, command, words[1:], ack, work_of(context)))
