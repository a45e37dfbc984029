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
    """A conversation. Private channels made since 2021 have C ids like public ones, so only
    `is_private` tells them apart (https://docs.slack.dev/reference/objects/conversation-object).

    Membership: a channel a test declared (`LocalSlack.add_channel(..., members=[...])`) has
    exactly those people. An undeclared one is *open*: whoever posts, runs a command or presses
    a button in it is taken to have joined it first, as Slack makes people join to take part."""

    id: str
    name: str
    bot_is_member: bool = True
    messages: list[Message] = field(default_factory=list)
    ephemeral: list[Message] = field(default_factory=list)
    private: bool = False
    members: list[str] = field(default_factory=list)  # people, in joining order; not the bot
    open: bool = True

    @property
    def is_private(self) -> bool:
        return self.private or self.id.startswith(("D", "G"))

    def join(self, user_id: str) -> None:
        if user_id != BOT_USER_ID and user_id not in self.members:
            self.members.append(user_id)

    def member_ids(self) -> list[str]:
        """What conversations.members lists: the people and, when it is in, the bot user."""
        return [*self.members, *([BOT_USER_ID] if self.bot_is_member else [])]

    def info(self) -> dict[str, Any]:
        is_im = self.id.startswith("D")
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not is_im and not self.id.startswith("G"),
            "is_group": self.id.startswith("G"),
            "is_im": is_im,
            "is_private": self.is_private,
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
        # Slack may return fewer members per page than asked for; tests lower this to page.
        self.members_page_cap = 999
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

    def took_part(self, channel_id: str, user_id: str) -> None:
        """Someone acted in this channel: in an open channel that means they are in it."""
        with self.lock:
            channel = self.channel(channel_id)
            if channel.open:
                channel.join(user_id)

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
