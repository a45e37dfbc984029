"""Every listener module registers itself here, explicitly; the `/align` verbs, which live with
the listeners of what they act on, are wired here too, so no listener module imports another."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.slack.listeners import (
    commands,
    evals,
    home,
    kickoff,
    listening,
    reframe,
    reports,
    schedule,
    wrong_choice,
)
from bot.slack.verbs import Handler

ALIGN_VERBS: dict[str, Handler] = {
    "help": commands.help_verb,
    "status": commands.status_verb,
    "metric": evals.metric,
    "token": evals.token,
    "wrong": evals.wrong,
    "schedule": schedule.schedule,
    "report": reports.report_command,
    "reframe": reframe.reframe,
    "listen": reframe.listen,
}


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps, ALIGN_VERBS)
    kickoff.register(app, deps)
    home.register(app, deps)
    reports.register(app, deps)
    reframe.register(app, deps)
    listening.register(app, deps)
    wrong_choice.register(app, deps)
