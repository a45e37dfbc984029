"""run_playground: start the stage, read lines, print the bot's answers, clean up."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings
from bot.playground.cast import CHANNELS, PEOPLE

if TYPE_CHECKING:
    from bot.playground.session import Playground

BANNER = f"""\
Groundline playground: the real bot, talking to a pretend Slack on this machine.
You are {PEOPLE[0][1]} (the PM, {PEOPLE[0][0]}) in #{CHANNELS[0][1]}; {PEOPLE[1][1]} \
({PEOPLE[1][0]}) is the engineer.
Start with `/kickoff Support answers <@{PEOPLE[0][0]}> <@{PEOPLE[1][0]}>`, or type `help`. \
Ctrl-D leaves; nothing here reaches a real workspace."""
ONE_LINE = "Groundline playground (local Slack stand-in); `help` lists the commands."


def run_playground(
    settings: Settings,
    database_url: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    interactive = stdin.isatty()
    quiet = _quiet_logs(settings)
    # Imported only now, so the quieter logging applies to what they log on import.
    from bot.playground.session import Playground
    from bot.playground.stage import open_stage

    def write(line: str) -> None:
        stdout.write(line + "\n")
        stdout.flush()

    try:
        with open_stage(settings, database_url) as stage:
            if quiet:  # Bolt warns about unknown commands with a code sample; we say it briefly
                stage.runtime.app.logger.setLevel(logging.ERROR)
            playground = Playground(stage, write)
            write(BANNER if interactive else ONE_LINE)
            while True:
                line = _read(stdin, stdout, playground, interactive)
                if line is None:
                    break
                if not interactive and line.strip():
                    write(f"> {line.rstrip()}")
                if not playground.handle(line):
                    break
    except KeyboardInterrupt:
        write("")
    return 0


def _read(stdin: TextIO, stdout: TextIO, playground: Playground, interactive: bool) -> str | None:
    if not interactive:
        line = stdin.readline()
        return line if line else None
    prompt = f"{playground.channel_label()} {playground.name(playground.me)}> "
    if stdin is sys.stdin and stdout is sys.stdout:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        try:
            return input(prompt)
        except EOFError:
            stdout.write("\n")
            return None
    stdout.write(prompt)
    stdout.flush()
    line = stdin.readline()
    return line if line else None


def _quiet_logs(settings: Settings) -> bool:
    """The bot's INFO lines would interleave with the transcript; keep warnings unless the
    operator asked for a log level."""
    if "LOG_LEVEL" in settings.model_fields_set:
        return False
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    return True
