"""The stand-in's memory of a Slack workspace: channels, messages, users, files and views."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0LOCAL"
Message = dict[str, Any]


@dataclass
class Channel:
    id: str
    name: str
    bot_is_member: bool = True
    messages: list[Message] = field(default_factory=list)
    ephemeral: list[Message] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        is_im = self.id.startswith("D")
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not is_im and not self.id.startswith("G"),
            "is_group": self.id.startswith("G"),
            "is_im": is_im,
            "is_private": is_im or self.id.startswith("G"),
            "is_member": self.bot_is_member,
            "is_archived": False,
            "created": 1700000000,
        }


@dataclass
class StoredFile:
    id: str
    name: str
    content: bytes
    user: str
    title: str = ""
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    uploaded: bool = True


class Workspace:
    """All state, guarded by one lock; every read returns copies so callers can't race us."""

    def __init__(self, team_id: str, team_name: str) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.lock = threading.RLock()
        self.channels: dict[str, Channel] = {}
        self.not_member: set[str] = set()
        self.users: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self._counter = 0

    def next_ts(self) -> str:
        with self.lock:
            self._counter += 1
            micros = 1_700_000_000_000_000 + self._counter * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._counter += 1
            return f"{prefix}0L{self._counter:06d}"

    def channel(self, channel_id: str) -> Channel:
        with self.lock:
            if channel_id not in self.channels:
                self.channels[channel_id] = Channel(
                    id=channel_id,
                    name=channel_id.lower(),
                    bot_is_member=channel_id not in self.not_member,
                )
            return self.channels[channel_id]

    def add_message(self, channel_id: str, message: Message) -> Message:
        with self.lock:
            stored = {"type": "message", "ts": self.next_ts(), **message, "channel": channel_id}
            self.channel(channel_id).messages.append(stored)
            return copy.deepcopy(stored)

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            channel = self.channels.get(channel_id)
            found = [m for m in channel.messages if m["ts"] == ts] if channel else []
            return found[0] if found else None

    def messages(self, channel_id: str, thread_ts: str | None = None) -> list[Message]:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                return []
            if thread_ts is None:
                return copy.deepcopy(channel.messages)
            return copy.deepcopy(
                [m for m in channel.messages if thread_ts in (m["ts"], m.get("thread_ts"))]
            )

    def user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            stored = self.users.get(user_id)
        if stored is None:
            stored = user_record(user_id, name=user_id.lower(), tz="UTC", real_name=None)
        return copy.deepcopy(stored)


def user_record(user_id: str, name: str, tz: str, real_name: str | None) -> dict[str, Any]:
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    real = real_name or name
    return {
        "id": user_id,
        "name": name,
        "real_name": real,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "is_bot": user_id == BOT_USER_ID,
        "deleted": False,
        "profile": {"real_name": real, "display_name": name},
    }
