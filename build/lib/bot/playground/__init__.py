"""`groundline playground`: the real bot against the local Slack stand-in, in the terminal."""

from bot.playground.run import run_playground

__all__ = ["run_playground"]
