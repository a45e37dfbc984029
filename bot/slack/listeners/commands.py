"""Slash commands: /kickoff and /align <verb>. Parse, call one service, reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

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
from bot.slack.listeners import evals, reframe, reports, schedule
from bot.slack.listeners.lookup import commanded_feature

Handler = Callable[[Deps, dict[str, Any], list[str], Ack], None]


def _help(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    ack(response_type="ephemeral", text=blocks.help_text(), blocks=blocks.help_blocks())


def _status(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    unchecked = 0
    with deps.unit_of_work() as session:
        if args:
            features = [commanded_feature(session, deps, command, " ".join(args), Need.SEE)]
        else:
            everything = kickoff.features_of(session, command["team_id"])
            shown = access.visible(deps.directory, everything, command["user_id"])
            features, unchecked = shown.features, shown.unchecked
        failures = schedules.last_report_failures(session, (f.id for f in features))
        undelivered = outbox.undelivered(session, (f.id for f in features))
        # One named feature gets its latest numbers; the list stays quick to answer.
        latest = report_service.latest_of(session, features, deps.clock.now()) if args else None
        ack(
            response_type="ephemeral",
            text=status.status_text(features, failures, unchecked),
            blocks=status.status_blocks(features, failures, latest, unchecked, undelivered),
        )


ALIGN_VERBS: dict[str, Handler] = {
    "help": _help,
    "status": _status,
    "metric": evals.metric,
    "token": evals.token,
    "wrong": evals.wrong,
    "schedule": schedule.schedule,
    "report": reports.report_command,
    "reframe": reframe.reframe,
    "listen": reframe.listen,
}


def register(app: App, deps: Deps) -> None:
    @app.command(Command.ALIGN.value)
    def align(ack: Ack, command: dict[str, Any]) -> None:
        words = slack_text.read(command.get("text")).text.split()
        verb = words[0].lower() if words else "help"
        handler = ALIGN_VERBS.get(verb)
        if handler is None:
            raise BadInput(
                f"I don't know `/align {escape(verb[:40])}`. Try `/align help` for the list."
            )
        handler(deps, command, words[1:], ack)
