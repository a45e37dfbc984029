"""Checks that each Web API call names a real method and carries its required arguments."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("web_api_methods.json")

# Methods Slack added after the archived OpenAPI spec (2020), with their required arguments
# as listed in Slack's current method reference.
SUPPLEMENT: dict[str, list[str]] = {
    "apps.connections.open": [],
    "files.getUploadURLExternal": ["filename", "length"],
    "files.completeUploadExternal": ["files"],
    "assistant.threads.setStatus": ["channel_id", "thread_ts", "status"],
    "conversations.canvases.create": ["channel_id"],
}

# Arguments the old spec forgot to mark as required, though Slack rejects calls without them.
OVERRIDES: dict[str, list[str]] = {
    "chat.delete": ["channel", "ts"],
    "chat.scheduleMessage": ["channel", "post_at"],
    "conversations.history": ["channel"],
    "conversations.info": ["channel"],
    "conversations.members": ["channel"],
    "conversations.replies": ["channel", "ts"],
    "files.info": ["file"],
    "users.info": ["user"],
    "views.update": ["view"],
}


@dataclass(frozen=True)
class SpecViolation:
    method: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


@cache
def method_table() -> dict[str, tuple[str, ...]]:
    raw: dict[str, list[str]] = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    raw.update(SUPPLEMENT)
    raw.update(OVERRIDES)
    return {name: tuple(args) for name, args in raw.items()}


def is_known(method: str) -> bool:
    return method in method_table()


def check(method: str, params: dict[str, Any]) -> SpecViolation | None:
    """Return what is wrong with the call, or None when it matches the spec."""
    table = method_table()
    if method not in table:
        return SpecViolation(method, "unknown_method", dict(params))
    missing = [arg for arg in table[method] if params.get(arg) is None]
    if missing:
        return SpecViolation(method, f"missing required args: {', '.join(missing)}", dict(params))
    return None
