"""HTTP routes: Slack's endpoint, health, OAuth and the upload API, as one WSGI app. `bot/asgi.py`
serves it through uvicorn, and answers Slack's requests itself on the event loop."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.gate import AckGate
from bot.store import health

log = logging.getLogger(__name__)

OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")
MAX_SLACK_BODY = 1024 * 1024  # Slack's own payloads are far smaller; refuse anything bigger unread.

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
Route = Callable[[Environ, StartResponse], Iterable[bytes]]


def json_response(
    start_response: StartResponse, status: str, payload: dict[str, Any]
) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class WsgiApp:
    """Routes by path. Extra routes (the upload API) are added by the runtime."""

    def __init__(
        self,
        bolt_app: App,
        engine: Engine,
        gate: AckGate | None = None,
        storage: health.StorageHealth | None = None,
    ) -> None:
        self.gate = gate or AckGate()
        self.storage = storage or health.StorageHealth()
        self.bolt = bolt_app
        self.slack = SlackRequestHandler(bolt_app)
        self.oauth = bolt_app.oauth_flow is not None
        self.engine = engine
        self.prefix_routes: list[tuple[str, str, Route]] = []

    def add_route(self, method: str, prefix: str, route: Route) -> None:
        self.prefix_routes.append((method, prefix, route))

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in OAUTH_PATHS and method == "GET" and self.oauth:
            oauth_result: Iterable[bytes] = self.slack(environ, start_response)
            return oauth_result
        if path == "/slack/events" and method == "POST":
            if _content_length(environ) > MAX_SLACK_BODY:
                return json_response(
                    start_response, "413 Payload Too Large", {"error": "too_large"}
                )
            self.gate.enter()
            try:
                result: Iterable[bytes] = self.slack(environ, start_response)
            except (ValueError, AttributeError, TypeError, KeyError):
                # Bolt parses the body before it checks the signature: a body that is not
                # Slack's JSON or form shape is the sender's mistake (400), not ours (500).
                log.info("refused a malformed Slack request body", exc_info=True)
                return json_response(start_response, "400 Bad Request", {"error": "malformed"})
            finally:
                self.gate.leave()
            return result
        if path == "/healthz":
            problem = health.check(self.engine, self.storage)
            if problem is None:
                return json_response(start_response, "200 OK", {"status": "ok"})
            return json_response(start_response, "503 Service Unavailable", {"status": problem})
        for route_method, prefix, route in self.prefix_routes:
            if path.startswith(prefix):
                if method != route_method:
                    return json_response(
                        start_response, "405 Method Not Allowed", {"error": "method_not_allowed"}
                    )
                return route(environ, start_response)
        return json_response(start_response, "404 Not Found", {"error": "not_found"})


def _content_length(environ: Environ) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
