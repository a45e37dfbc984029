"""Who is in a channel, from Slack, cached briefly: the `Directory` that services/access asks.

conversations.info says whether a channel is private; conversations.members lists who is in it,
paged with a cursor until `next_cursor` is empty (https://docs.slack.dev/reference/methods/
conversations.members; limit under 1000). Both need channels:read / groups:read.

Answers are kept for CACHE_SECONDS, so a burst of clicks costs one lookup, and someone removed
from a channel loses access within that time. Someone *not* on a kept list is asked about again
(who just joined can act at once), at most once per RECHECK_SECONDS per person and channel, so
an outsider pressing away costs few lookups. Failures are not cached and not retried here:
slash commands and clicks wait for this before their ack, so one short try, and then the
access service refuses with the reason (fail closed). While lookups are deferred (the inbox
worker's transaction is open), a lookup that is not cached raises (access.LookupNeeded); during
a command, click or event listener, it steps out of the request's transaction while Slack is
asked (bot/unit_of_work.py, `no_transaction_open`).
"""

from __future__ import annotations

import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.access import DirectoryUnavailable, before_slack_lookup
from bot.unit_of_work import no_transaction_open

CACHE_SECONDS = 60.0
RECHECK_SECONDS = 2.0
CALL_TIMEOUT_SECONDS = 2  # slack_sdk takes whole seconds
LOOKUP_BUDGET_SECONDS = 2.5  # all pages of one channel's members, well inside Slack's 3 s
PAGE_LIMIT = 999
MAX_MISSES = 10_000
TokenFor = Callable[[str], str | None]
T = TypeVar("T")


class SlackDirectory:
    def __init__(
        self, token_for: TokenFor, api_url: str, cache_seconds: float = CACHE_SECONDS
    ) -> None:
        self._token_for = token_for
        self._api_url = api_url
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._private: dict[tuple[str, str], tuple[float, bool]] = {}
        self._members: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._misses: dict[tuple[str, str, str], float] = {}

    def is_private(self, team_id: str, channel_id: str) -> bool:
        key = (team_id, channel_id)
        cached = self._fresh(self._private, key)
        if cached is not None:
            return cached
        before_slack_lookup(team_id, channel_id, None)
        with no_transaction_open():
            answer = self._call(team_id, channel_id, "conversations_info", channel=channel_id)
        channel = answer.get("channel") or {}
        private = bool(channel.get("is_private") or channel.get("is_im") or channel.get("is_mpim"))
        with self._lock:
            self._private[key] = (time.monotonic(), private)
        return private

    def is_member(self, team_id: str, channel_id: str, user_id: str) -> bool:
        key = (team_id, channel_id)
        kept = self._fresh(self._members, key)
        if kept is not None and user_id in kept:
            return True
        with self._lock:
            missed = self._misses.get((team_id, channel_id, user_id))
        if kept is not None and missed is not None and time.monotonic() - missed <= RECHECK_SECONDS:
            return False  # asked Slack a moment ago: still not in
        before_slack_lookup(team_id, channel_id, user_id)
        with no_transaction_open():
            found = user_id in self.members(team_id, channel_id)
        if not found:
            with self._lock:
                if len(self._misses) >= MAX_MISSES:  # only a throttle: forgetting is safe
                    self._misses.clear()
                self._misses[(team_id, channel_id, user_id)] = time.monotonic()
        return found

    def members(self, team_id: str, channel_id: str) -> frozenset[str]:
        """Everyone in the channel, asked of Slack now (every page), then kept."""
        key = (team_id, channel_id)
        deadline = time.monotonic() + LOOKUP_BUDGET_SECONDS
        found: set[str] = set()
        cursor = ""
        while True:
            page = self._call(
                team_id,
                channel_id,
                "conversations_members",
                channel=channel_id,
                limit=PAGE_LIMIT,
                cursor=cursor or None,
            )
            found.update(str(member) for member in page.get("members") or [])
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
            if time.monotonic() > deadline:
                raise DirectoryUnavailable(channel_id, "too_slow")
        members = frozenset(found)
        with self._lock:
            self._members[key] = (time.monotonic(), members)
        return members

    def _fresh(
        self, cache: dict[tuple[str, str], tuple[float, T]], key: tuple[str, str]
    ) -> T | None:
        with self._lock:
            hit = cache.get(key)
        if hit is None or time.monotonic() - hit[0] > self._cache_seconds:
            return None
        return hit[1]

    def _call(self, team_id: str, channel_id: str, method: str, **args: Any) -> dict[str, Any]:
        token = self._token_for(team_id)
        if token is None:
            raise DirectoryUnavailable(channel_id, "not_installed")
        client = WebClient(token=token, base_url=self._api_url, timeout=CALL_TIMEOUT_SECONDS)
        try:
            response = getattr(client, method)(**{k: v for k, v in args.items() if v is not None})
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "error")
            raise DirectoryUnavailable(channel_id, error) from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise DirectoryUnavailable(channel_id, "unreachable") from None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data
