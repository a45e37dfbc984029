"""HTTP plumbing: turns requests into calls on LocalSlack and its answers into responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from bot.localslack.calls import Fault

if TYPE_CHECKING:
    from bot.localslack.server import LocalSlack


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> Reply:
        return cls(status, json.dumps(data).encode("utf-8"), headers=headers or {})


@dataclass
class IncomingRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def bearer_token(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def params(self) -> dict[str, Any]:
        """Query string, then form or JSON body, merged as Slack does."""
        merged: dict[str, Any] = dict(self.query)
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json" and self.body:
            decoded = json.loads(self.body)
            if isinstance(decoded, dict):
                merged.update(decoded)
        elif self.body:
            merged.update(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        return merged


def make_handler(slack: LocalSlack) -> type[BaseHTTPRequestHandler]:
    class LocalSlackHandler(BaseHTTPRequestHandler):
        server_version = "localslack/1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `slack.calls` instead of the access log."""

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = IncomingRequest(
                method=self.command,
                path=split.path,
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            try:
                reply = slack.route(request)
            except ValueError as error:  # unreadable JSON or form
                reply = Reply.json(
                    {"ok": False, "error": "invalid_form_data", "detail": str(error)}
                )
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

    return LocalSlackHandler


def fault_reply(fault: Fault) -> Reply:
    if fault.status == 429:
        # Slack always sends Retry-After; None leaves it out, to test a client that must cope.
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        return Reply.json({"ok": False, "error": "ratelimited"}, 429, headers)
    if fault.status == 200:
        return Reply.json({"ok": False, "error": fault.error or "fatal_error"})
    return Reply.json({"ok": False, "error": fault.error or "fatal_error"}, fault.status)
