"""Sending one outbox row to Slack, and what Slack's answer means for it.

Six ways of sending (a message, the kickoff's root message, an ephemeral, a response_url reply,
an update, a chart file); each answer becomes a value: `Sent`, or `Refused` with Slack's error
code and whether trying again can help. No database here: the loop reads the rows before and
records the results after, so no transaction is ever open while Slack is called.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.errors import NotFound
from bot.store.states import OutboxKind

ClientFor = Callable[[str], WebClient]

# Slack's answers that trying again will not change. For chat.postMessage and friends Slack
# answers HTTP 200 with ok=false and one of these codes (docs.slack.dev/reference/methods/
# chat.postMessage, "Errors"); only rate limits come as HTTP 429 with Retry-After
# (docs.slack.dev/apis/web-api/rate-limits).
CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NO_ACCESS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_installed"})
BAD_MESSAGE = frozenset({"msg_too_long", "invalid_blocks", "no_text"})
PERMANENT = (
    CHANNEL_GONE
    | NO_ACCESS
    | BAD_MESSAGE
    | frozenset(
        {
            "user_not_in_channel",  # an ephemeral for someone who left
            "message_not_found",  # an update of a deleted message
            "cant_update_message",
            "expired_url",  # a response_url past its 30 minutes or 5 uses
            "used_url",
            "report_not_posted",  # a chart whose report was never posted
        }
    )
)
RATE_LIMITED = "ratelimited"


@dataclass(frozen=True)
class Outgoing:
    """What one outbox row sends, with its thread resolved; no database needed to send it."""

    id: int
    team_id: str
    channel_id: str
    kind: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    user_id: str | None
    response_url: str | None


@dataclass(frozen=True)
class Sent:
    row_id: int
    channel_id: str
    ts: str | None = None  # the posted message's, when there is one


@dataclass(frozen=True)
class Refused:
    row_id: int
    channel_id: str
    error: str  # Slack's error code, or what went wrong on the way
    permanent: bool = False  # trying again will not help
    retry_after: float = 0.0  # Slack's Retry-After, for a rate limit

    @property
    def rate_limited(self) -> bool:
        return self.error == RATE_LIMITED


Result = Sent | Refused


def send(client_for: ClientFor, message: Outgoing) -> Result:
    """One Slack call for one row; never raises for what Slack or the network says."""
    try:
        ts = _call(client_for, message)
    except SlackApiError as exc:
        if exc.response.status_code == 429:
            return Refused(message.id, message.channel_id, RATE_LIMITED, False, retry_after(exc))
        status = exc.response.status_code
        if status >= 500:  # Slack's (or a proxy's) trouble, whatever the body says: retry
            return Refused(message.id, message.channel_id, f"http_{status}")
        error = str(exc.response.get("error") or f"http_{status}")
        return Refused(message.id, message.channel_id, error, error in PERMANENT)
    except OSError as exc:  # network trouble, or Slack's 5xx on a response_url: retry later
        return Refused(message.id, message.channel_id, f"network: {type(exc).__name__}")
    except NotFound:  # the workspace uninstalled us: nothing to retry
        return Refused(message.id, message.channel_id, "not_installed", True)
    except ResponseUrlRefused as exc:
        return Refused(message.id, message.channel_id, exc.error, True)
    return Sent(message.id, message.channel_id, ts)


class ResponseUrlRefused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _call(client_for: ClientFor, message: Outgoing) -> str | None:
    if message.kind == OutboxKind.RESPONSE and message.response_url:
        _respond(message)
        return None
    client = client_for(message.team_id)
    if message.kind == OutboxKind.EPHEMERAL:
        client.chat_postEphemeral(
            channel=message.channel_id,
            user=message.user_id or "",
            text=message.text,
            thread_ts=message.thread_ts,
            blocks=message.blocks,
        )
        return None
    if message.kind == OutboxKind.UPDATE and message.thread_ts:
        client.chat_update(
            channel=message.channel_id,
            ts=message.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
        return None
    if message.kind == OutboxKind.FILE:  # the report's chart, into the report's thread
        spec = (message.blocks or [{}])[0]
        client.files_upload_v2(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            file=base64.b64decode(spec["png_base64"]),
            filename=spec.get("filename", "chart.png"),
            title=message.text,
        )
        return None
    response = client.chat_postMessage(
        channel=message.channel_id,
        text=message.text,
        blocks=message.blocks,
        thread_ts=message.thread_ts,
    )
    return str(response["ts"])


def _respond(message: Outgoing) -> None:
    """A reply through a command's response_url: works even where the bot is not a member, and
    needs no token. Slack allows 5 uses in 30 minutes; after that it answers 404."""
    assert message.response_url is not None
    payload: dict[str, Any] = {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": message.text,
    }
    if message.blocks:
        payload["blocks"] = message.blocks
    # No retries inside the call: the row's own backoff retries it, counted (loop.py).
    hook = WebhookClient(message.response_url, timeout=10, retry_handlers=[])
    answer = hook.send_dict(payload)
    if answer.status_code == 200:
        return
    if answer.status_code == 429 or answer.status_code >= 500:
        raise OSError(f"response_url answered {answer.status_code}")
    body = (answer.body or "").strip()
    raise ResponseUrlRefused(body[:40] if body.isidentifier() else f"http_{answer.status_code}")


def retry_after(exc: SlackApiError) -> float:
    """Seconds Slack asked us to wait (429 Retry-After), 0 when it did not say."""
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(str(first)), 0.0)
            except ValueError:
                return 0.0
    return 0.0
