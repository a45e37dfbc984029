"""conversations.info and conversations.members as Slack answers them for private channels.

- A private channel the bot is not in does not exist for the bot: both methods answer
  `channel_not_found` (https://docs.slack.dev/reference/methods/conversations.info lists it as the
  error for a channel the token cannot see). A public channel answers either way.
- conversations.members pages with `limit` (default 100, under 1000) and an opaque `cursor`; the
  last page's `response_metadata.next_cursor` is "" (https://docs.slack.dev/reference/methods/
  conversations.members, https://docs.slack.dev/apis/web-api/pagination). Slack may return fewer
  than `limit`: `Workspace.members_page_cap` plays that.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.localslack.files_api import ApiError
from bot.localslack.workspace import Channel, Workspace

Params = dict[str, Any]
Answer = dict[str, Any]
DEFAULT_LIMIT = 100
MAX_LIMIT = 999


class MemberMethods:
    ws: Workspace

    def _visible_channel(self, params: Params) -> Channel:
        channel_id = str(params.get("channel") or "")
        if not channel_id:
            raise ApiError("channel_not_found")
        with self.ws.lock:
            channel = self.ws.channel(channel_id)
            if channel.is_private and not channel.bot_is_member:
                raise ApiError("channel_not_found")
            return channel

    def conversations_info(self, params: Params, team_id: str) -> Answer:
        return {"channel": self._visible_channel(params).info()}

    def conversations_members(self, params: Params, team_id: str) -> Answer:
        channel = self._visible_channel(params)
        limit = _limit(params.get("limit"))
        start = _offset(str(params.get("cursor") or ""))
        with self.ws.lock:
            everyone = channel.member_ids()
            size = min(limit, self.ws.members_page_cap)
        if start > len(everyone):
            raise ApiError("invalid_cursor")
        page = everyone[start : start + size]
        after = start + len(page)
        next_cursor = _cursor(after) if after < len(everyone) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def _limit(given: Any) -> int:
    if given in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(given)
    except (TypeError, ValueError):
        raise ApiError("invalid_limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError("invalid_limit")
    return limit


def _cursor(offset: int) -> str:
    return base64.b64encode(f"member_index:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        label, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if label != "member_index" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError("invalid_cursor") from None
