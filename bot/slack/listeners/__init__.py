"""Every listener module registers itself here, explicitly."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.slack.listeners import commands, home, kickoff


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    kickoff.register(app, deps)
    home.register(app, deps)
