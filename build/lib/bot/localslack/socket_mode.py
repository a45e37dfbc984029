"""Socket Mode side of the stand-in: a loopback WebSocket server speaking Slack's envelope protocol.

Slack's protocol: the app calls apps.connections.open, connects to the URL it gets, receives
{"type": "hello"}, then gets envelopes {"envelope_id", "type", "payload", ...} and must answer
each with {"envelope_id", "payload"?} (the ack). {"type": "disconnect"} asks it to reconnect.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

ENVELOPE_TYPES = ("slash_commands", "events_api", "interactive")


class SocketModeServer:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> None:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            compression=None,
            process_request=self._check_ticket,
            close_timeout=1,
        )
        self._server.SHUTDOWN_POLLING_INTERVAL = 0.02  # quick stop() between tests
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="localslack-socket", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        with self._changed:
            connections = list(self._connections)
        for connection in connections:
            connection.close(1001, "stand-in stopping")
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def new_url(self) -> str:
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def wait_connected(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._connections), timeout)

    def send(self, envelope_type: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(
                f"envelope type must be one of {ENVELOPE_TYPES}, not {envelope_type!r}"
            )
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._latest_connection(timeout).send(json.dumps(envelope))
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for {envelope_type} envelope within {timeout}s")
            return self._acks.pop(envelope_id)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "localslack"}}
        self._latest_connection(1.0).send(json.dumps(message))

    def _latest_connection(self, timeout: float) -> ServerConnection:
        if not self.wait_connected(timeout):
            raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
        with self._changed:
            return self._connections[-1]

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._changed:
            if ticket in self._tickets:
                self._tickets.discard(ticket)  # one connection per URL, as with Slack
                return None
        return Response(401, "Unauthorized", Headers(), b"unknown or used ticket\n")

    def _handle(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "localslack", "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }
        connection.send(json.dumps(hello))
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._connections.remove(connection)
                self._changed.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if isinstance(message, dict) and "envelope_id" in message:
            with self._changed:
                self._acks[str(message["envelope_id"])] = message
                self._changed.notify_all()
