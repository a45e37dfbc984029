"""Typed errors. Services raise these; the edges (Slack, HTTP, CLI) turn them into replies."""

from __future__ import annotations


class GroundlineError(Exception):
    """Base of every error we raise on purpose."""


class ConfigError(GroundlineError):
    """A missing or malformed setting. The CLI prints one line and exits 2."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting} {problem}")
        self.setting = setting
        self.problem = problem


class NotReadyYet(GroundlineError):
    """Something this work depends on is a moment away (e.g. a thread's ts): retry shortly."""


class UserFacingError(GroundlineError):
    """Carries the exact sentence the user sees (ephemeral in Slack, one line in the CLI)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserFacingError):
    """An unknown feature, run or token."""


class Conflict(UserFacingError):
    """The request clashes with stored state (a duplicate kickoff, a second sign-off…)."""


class Forbidden(UserFacingError):
    """The user may not do this."""


class BadInput(UserFacingError):
    """Malformed input: a file, an answer, an argument."""
