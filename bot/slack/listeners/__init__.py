"""Every listener module registers itself here, explicitly."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.slack.listeners import (
    commands,
    home,
    kickoff,
    listening,
    reframe,
    reports,
    wrong_choice,
)


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    kickoff.register(app, deps)
    home.register(app, deps)
    reports.register(app, deps)
    reframe.register(app, deps)
    listening.register(app, deps)
    wrong_choice.register(app, deps)
