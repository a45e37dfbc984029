"""What the bot sent to the stand-in (and answered over HTTP), as transcript lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.localslack.calls import RecordedCall
from bot.playground.render import render_message, render_view, view_title

THREAD = "    ┆ "
PRIVATE = "  ╎ "
BOX = "  │ "
# Calls that change what a person sees; the rest (auth.test, users.info...) are bookkeeping.
SHOWN = {
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.delete",
    "response_url",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
}


@dataclass(frozen=True)
class Audience:
    """Who is looking: turns ids into the names a person would see."""

    actor: str
    people: Mapping[str, str]
    channel_names: Mapping[str, str]

    @property
    def names(self) -> dict[str, str]:
        """User and channel ids to names, for rendering mentions."""
        return {**self.channel_names, **self.people}

    def person(self, user_id: str) -> str:
        return "you" if user_id == self.actor else "@" + self.people.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return "#" + self.channel_names.get(channel_id, channel_id.lower())


ThreadCheck = Callable[[str, str], bool]


def describe_call(call: RecordedCall, audience: Audience, in_thread: ThreadCheck) -> list[str]:
    """Lines for one call. `in_thread(channel, ts)` tells whether an edited message is a
    thread reply, so the edit shows where the message is."""
    if call.method not in SHOWN:
        return []
    params = call.params
    if not call.ok:
        error = call.response.get("error") or f"HTTP {call.status}"
        return [f"  ! Slack refused the bot's {call.method}: {error}"]
    if call.method == "chat.postMessage":
        channel = str(params.get("channel", ""))
        return _post(params, audience, channel, bool(params.get("thread_ts")))
    if call.method == "chat.update":
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        return _post(params, audience, channel, in_thread(channel, ts), edited=True)
    if call.method == "chat.delete":
        return ["  (the bot deleted one of its messages)"]
    if call.method == "chat.postEphemeral":
        return _private(params, audience, str(params.get("user", audience.actor)))
    if call.method == "response_url":
        return _response(params, audience)
    view = call.response.get("view") or params.get("view") or {}
    if call.method == "views.publish":
        who = audience.person(str(params.get("user_id", "")))
        return _box(f"Home tab, for {who}", view, audience)
    label = "modal" if call.method != "views.update" else "modal (updated)"
    hint = "fill it in: modal <value> | <second field>"
    return _box(f"{label}: {view_title(view)}", view, audience, hint)


def describe_reply(status: int, body: str, audience: Audience, what: str) -> list[str]:
    """The bot's direct HTTP answer to a slash command or a modal submission."""
    if status == 404 and what.startswith("/"):
        return [f"  ! The bot has no {what} command (yet)."]
    if status == 404:
        return [f"  ! Nothing in the bot handles {what} (HTTP 404)."]
    if status >= 400:
        return [f"  ! The bot answered {what} with HTTP {status}."]
    if not body.strip():
        return []
    try:
        answer: Any = json.loads(body)
    except json.JSONDecodeError:
        return _lines(PRIVATE, ["(only you) " + body.strip()])
    if not isinstance(answer, dict):
        return []
    action = answer.get("response_action")
    if action == "errors":
        errors = answer.get("errors") or {}
        return [f"  │ ! {message}" for message in errors.values()] + ["  └ fix it: modal <value>"]
    if action in ("update", "push"):
        view = answer.get("view") or {}
        return _box(f"modal: {view_title(view)}", view, audience)
    if action == "clear":
        return ["  (the modal closed)"]
    return _response(answer, audience)


def _response(params: Mapping[str, Any], audience: Audience) -> list[str]:
    if params.get("delete_original"):
        return ["  (the bot removed the message)"]
    if params.get("response_type") == "in_channel":
        return _post(params, audience, "", bool(params.get("thread_ts")))
    if params.get("replace_original") and str(params.get("replace_original")) != "false":
        lines = render_message(params.get("text"), params.get("blocks"), audience.names)
        return _lines(PRIVATE, ["(only you, edited) " + lines[0], *lines[1:]])
    return _private(params, audience, audience.actor)


def _post(
    params: Mapping[str, Any],
    audience: Audience,
    channel: str,
    in_thread: bool,
    edited: bool = False,
) -> list[str]:
    lines = render_message(params.get("text"), params.get("blocks"), audience.names)
    mark = " (edited)" if edited else ""
    if in_thread:
        return _lines(THREAD, [f"bot{mark}: {lines[0]}", *lines[1:]])
    where = audience.channel(channel) + "  " if channel else ""
    return [f"{where}bot{mark}: {lines[0]}", *("  " + line for line in lines[1:])]


def _private(params: Mapping[str, Any], audience: Audience, user: str) -> list[str]:
    lines = render_message(params.get("text"), params.get("blocks"), audience.names)
    return _lines(PRIVATE, [f"(only {audience.person(user)}) {lines[0]}", *lines[1:]])


def _box(title: str, view: Mapping[str, Any], audience: Audience, hint: str = "") -> list[str]:
    body = render_view(view, audience.names)
    return [f"  ┌ {title}", *_lines(BOX, body), f"  └ {hint}".rstrip()]


def _lines(prefix: str, lines: list[str]) -> list[str]:
    return [(prefix + line).rstrip() for line in lines]
