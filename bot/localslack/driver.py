"""SlackDriver: plays Slack's part, delivering signed requests to an app's HTTP endpoint. (Over
300 lines on purpose: one builder per kind of payload Slack sends, shaped like the samples.)"""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.localslack import composer, payloads
from bot.localslack.calls import RecordedCall
from bot.localslack.payloads import Payload, Team
from bot.localslack.server import LocalSlack
from bot.localslack.signing import sign

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Delivered:
    status: int
    body: str
    headers: dict[str, str]
    elapsed_ms: float
    request_body: bytes = b""
    event_id: str | None = field(default=None)
    request_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class SlackDriver:
    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        slack: LocalSlack,
        team_id: str = "T0LOCAL",
        api_app_id: str = "A0LOCAL",
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.slack = slack
        self.team = Team(team_id, api_app_id)
        self.timeout = timeout
        self._event_bodies: dict[str, bytes] = {}
        self.last: Delivered | None = None

    # --- slash commands and events --------------------------------------------------------
    def command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U0PM",
        channel_id: str = "C0FEAT",
        user_name: str | None = None,
        encoded: bool = False,
        response_url: str | None = None,
    ) -> Delivered:
        """Someone runs a slash command; `text` is what they typed (encoded as Slack does, see
        localslack/composer.py), or with `encoded` already in Slack's encoding. A given
        `response_url` replaces the stand-in's own (e.g. one that cannot be reached)."""
        self.slack.workspace.took_part(channel_id, user_id)
        if not encoded:
            text = composer.wire_text(composer.pieces(text, self.slack.workspace), command=True)
        fields = {
            "token": payloads.VERIFICATION_TOKEN,
            "team_id": self.team.id,
            "team_domain": self.team.id.lower(),
            "channel_id": channel_id,
            "channel_name": self.slack.workspace.channel(channel_id).name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.team.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or self.slack.new_response_url(channel_id),
            "trigger_id": payloads.trigger_id(),
        }
        return self.send_raw(urlencode(fields).encode("utf-8"), FORM)

    def message(
        self,
        channel: str,
        text: str,
        user: str = "U0PM",
        thread_ts: str | None = None,
        files: list[Payload] | None = None,
        bot_id: str | None = None,
        subtype: str | None = None,
        encoded: bool = False,
    ) -> Delivered:
        """Someone posts in `channel`; the message is stored in the stand-in, then delivered.
        `text` is what they typed, sent as Slack encodes it (localslack/composer.py); with
        `encoded` it is already in Slack's encoding, as a message event carries it."""
        if bot_id is None:
            self.slack.workspace.took_part(channel, user)
        typed = (
            composer.wire_pieces(text) if encoded else composer.pieces(text, self.slack.workspace)
        )
        wire = text if encoded else composer.wire_text(typed, command=False)
        message: Payload = {"user": user, "text": wire, "team": self.team.id}
        message["blocks"] = composer.rich_text(typed, uuid.uuid4().hex[:4])
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
            parent = self.slack.message(channel, thread_ts)
            message["parent_user_id"] = parent.get("user", user) if parent else user
        if files:
            message["files"], message["upload"] = files, False
            message.setdefault("subtype", "file_share")
        if bot_id is not None:
            message["bot_id"] = bot_id
        if subtype is not None:
            message["subtype"] = subtype
        stored = self.slack.add_user_message(channel, message)
        event = {"client_msg_id": str(uuid.uuid4()), **stored, "event_ts": stored["ts"]}
        event["channel_type"] = channel_type(channel)
        return self.event(event)

    def edit(self, channel: str, ts: str, text: str) -> Delivered:
        """Its author edits a message: the stand-in keeps the new text, and the app gets a
        `message_changed` event carrying both versions, as Slack sends it
        (https://docs.slack.dev/reference/events/message/message_changed/)."""
        typed = composer.pieces(text, self.slack.workspace)
        with self.slack.workspace.lock:
            stored = self.slack.workspace.find_message(channel, ts)
            if stored is None:
                raise LookupError(f"no message {ts} in {channel}")
            before = {k: v for k, v in stored.items() if k != "channel"}
            stored["text"] = composer.wire_text(typed, command=False)
            stored["blocks"] = composer.rich_text(typed, uuid.uuid4().hex[:4])
            stored["edited"] = {"user": stored.get("user"), "ts": self.slack.workspace.next_ts()}
            after = {k: v for k, v in stored.items() if k != "channel"}
        now = after["edited"]["ts"]
        return self.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "channel": channel,
                "ts": now,
                "event_ts": now,
                "channel_type": channel_type(channel),
                "message": after,
                "previous_message": before,
            }
        )

    def delete(self, channel: str, ts: str) -> Delivered:
        """Its author deletes a message: a `message_deleted` event with the message as it was
        (https://docs.slack.dev/reference/events/message/message_deleted/)."""
        with self.slack.workspace.lock:
            kept = self.slack.workspace.channel(channel)
            gone = [m for m in kept.messages if m["ts"] == ts]
            if not gone:
                raise LookupError(f"no message {ts} in {channel}")
            kept.messages = [m for m in kept.messages if m["ts"] != ts]
        now = self.slack.workspace.next_ts()
        before = {k: v for k, v in gone[0].items() if k != "channel"}
        return self.event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "hidden": True,
                "channel": channel,
                "ts": now,
                "event_ts": now,
                "deleted_ts": ts,
                "channel_type": channel_type(channel),
                "previous_message": before,
            }
        )

    def event(self, inner_event: Payload) -> Delivered:
        """Deliver any Events API event (app_home_opened, reaction_added, app_uninstalled...)."""
        event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
        body = payloads.event_callback(self.team, inner_event, event_id, int(time.time()))
        raw = json.dumps(body).encode("utf-8")
        self._event_bodies[event_id] = raw
        delivered = self.send_raw(raw, JSON)
        return replace(delivered, event_id=event_id)

    def redeliver(
        self,
        delivered_or_event_id: Delivered | str,
        retry_num: int = 1,
        reason: str = "http_timeout",
    ) -> Delivered:
        """Send an event again, as Slack does when the app was slow or failed."""
        event_id = (
            delivered_or_event_id
            if isinstance(delivered_or_event_id, str)
            else delivered_or_event_id.event_id
        )
        if event_id is None or event_id not in self._event_bodies:
            raise LookupError(f"no event {event_id!r} was delivered by this driver")
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
        delivered = self.send_raw(self._event_bodies[event_id], JSON, headers=headers)
        return replace(delivered, event_id=event_id)

    def replay(self, delivered: Delivered, app_url: str | None = None) -> Delivered:
        """Send a captured request again byte for byte, signature and timestamp included, as
        someone who recorded it could within Slack's five-minute window (to another replica
        with `app_url`)."""
        if not delivered.request_headers:
            raise LookupError("that delivery was not sent by this driver")
        return post(
            app_url or self.app_url, delivered.request_body, delivered.request_headers, self.timeout
        )

    # --- interactivity --------------------------------------------------------------------
    def press(
        self,
        message: Payload | RecordedCall,
        label: str | None = None,
        action_id: str | None = None,
        user: str = "U0PM",
        value: str | None = None,
    ) -> Delivered:
        """Click a button, found by its label (any case) or action_id, in the message's
        current version (later chat.update calls count)."""
        posted = payloads.as_message(message)
        channel, ts = str(posted.get("channel", "")), str(posted.get("ts", ""))
        current = self.slack.message(channel, ts) or posted
        block_id, button = payloads.find_button(current, label, action_id)
        if channel and not current.get("is_ephemeral"):
            self.slack.workspace.took_part(channel, user)
        action = {
            "action_id": button.get("action_id"),
            "block_id": block_id,
            "text": button.get("text"),
            "value": value if value is not None else button.get("value"),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        shown = {k: v for k, v in current.items() if k not in ("channel", "to_user")}
        payload: Payload = {
            "type": "block_actions",
            "user": payloads.user_block(user, self.team),
            "api_app_id": self.team.app_id,
            "token": payloads.VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": bool(current.get("is_ephemeral")),
            },
            "trigger_id": payloads.trigger_id(),
            "team": payloads.team_block(self.team),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": self.slack.workspace.channel(channel).name},
            "message": shown,
            "state": {"values": {}},
            "response_url": self.slack.new_response_url(channel),
            "actions": [action],
        }
        if current.get("is_ephemeral"):
            payload.pop("message")
        return self.interaction(payload)

    def message_shortcut(
        self, callback_id: str, message: Payload | RecordedCall, channel: str, user: str = "U0PM"
    ) -> Delivered:
        shown = payloads.as_message(message)
        self.slack.workspace.took_part(channel, user)
        payload = {
            "type": "message_action",
            "token": payloads.VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": payloads.team_block(self.team),
            "user": payloads.user_block(user, self.team),
            "channel": {"id": channel, "name": self.slack.workspace.channel(channel).name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": payloads.trigger_id(),
            "response_url": self.slack.new_response_url(channel),
            "message_ts": shown.get("ts"),
            "message": {k: v for k, v in shown.items() if k != "channel"},
        }
        return self.interaction(payload)

    def view_submission(
        self, view: Payload | RecordedCall, values: dict[str, Any], user: str = "U0PM"
    ) -> Delivered:
        """Submit a modal. `view` is the opened view (or the views.open call); `values` maps
        block_id or action_id to what the person entered."""
        opened = view.response.get("view", {}) if isinstance(view, RecordedCall) else view
        submitted = {**opened, "state": {"values": payloads.view_state(opened, values)}}
        payload = {
            "type": "view_submission",
            "team": payloads.team_block(self.team),
            "user": payloads.user_block(user, self.team),
            "api_app_id": self.team.app_id,
            "token": payloads.VERIFICATION_TOKEN,
            "trigger_id": payloads.trigger_id(),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self.interaction(payload)

    def interaction(self, payload: Payload) -> Delivered:
        body = urlencode({"payload": json.dumps(payload)}).encode("utf-8")
        return self.send_raw(body, FORM)

    # --- transport ------------------------------------------------------------------------
    def send_raw(
        self,
        body: bytes,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Delivered:
        """POST `body` signed with the secret; `signature=""` sends it unsigned, any other
        string is sent as the signature as it is."""
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, **sign(self.signing_secret, body, ts)}
        if signature == "":
            sent.pop("X-Slack-Signature")
        elif signature is not None:
            sent["X-Slack-Signature"] = signature
        sent.update(headers or {})
        delivered = replace(post(self.app_url, body, sent, self.timeout), request_headers=sent)
        self.last = delivered
        return delivered


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Delivered:
    parts = urlsplit(url)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    try:
        # The app may answer (413, say) and hang up before reading all of the body.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request("POST", path or "/", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    return Delivered(response.status, text, dict(response.getheaders()), elapsed, body)


def channel_type(channel_id: str) -> str:
    return {"D": "im", "G": "group"}.get(channel_id[:1], "channel")
