"""Slash commands: /kickoff and /align <verb>. Parse, call one service, reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.errors import BadInput
from bot.ids import Command
from bot.slack import blocks
from bot.slack.text import escape

Handler = Callable[[Deps, dict[str, Any], list[str], Ack], None]


def _help(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    ack(response_type="ephemeral", text=blocks.help_text(), blocks=blocks.help_blocks())


ALIGN_VERBS: dict[str, Handler] = {"help": _help}


def register(app: App, deps: Deps) -> None:
    @app.command(Command.ALIGN.value)
    def align(ack: Ack, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        verb = words[0].lower() if words else "help"
        handler = ALIGN_VERBS.get(verb)
        if handler is None:
            raise BadInput(
                f"I don't know `/align {escape(verb[:40])}`. Try `/align help` for the list."
            )
        handler(deps, command, words[1:], ack)
