"""HTTP: uvicorn (uvloop, httptools) serving Slack's endpoint itself and, through a2wsgi, the
WSGI routes of `bot/server.py` (health, OAuth, the upload API, whose bodies it streams).

Slack's requests are read on the event loop, and the busiest of them are dispatched there too,
one at a time: acks that only store what they were given (a message event: one spool file or
one inbox row; `/kickoff` and sign-off presses: the same) or answer without the database
(`/align help`). One thread that never waits for the interpreter lock answers sooner than eight
that take turns
(docs/performance.md, "Ack latency"). Everything that may wait — on the database's locks (a
SQLite writer holds its lock for seconds during a big ingest) or on Slack (`views.open`,
`views.publish`) — is dispatched on a small thread pool, so it never holds up the loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from slack_bolt import BoltRequest, BoltResponse

from bot.errors import ConfigError
from bot.ids import Action
from bot.server import MAX_SLACK_BODY, WsgiApp

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
SLACK_PATH = "/slack/events"
DISPATCH_THREADS = 8
# Events whose listeners only decide and store (bot/slack/listeners/kickoff.py `message_in`).
ON_LOOP_EVENTS = frozenset({"message"})
ON_LOOP_COMMANDS = frozenset({"/kickoff"})
# Presses whose listeners only store (bot/slack/listeners/kickoff.py `sign`).
ON_LOOP_ACTIONS = frozenset({Action.SIGN_PM.value, Action.SIGN_ENGINEER.value})


class TooLarge(Exception):
    pass


class AsgiApp:
    def __init__(self, wsgi: WsgiApp) -> None:
        self.wsgi = wsgi
        self.bolt = wsgi.bolt
        self.gate = wsgi.gate
        # a2wsgi's types name its own Environ and StartResponse; WsgiApp is a plain WSGI app.
        self.others = WSGIMiddleware(cast(Any, wsgi), workers=DISPATCH_THREADS)
        self.pool = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="dispatch")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] != SLACK_PATH or scope["method"] != "POST":
            await self.others(scope, receive, send)  # type: ignore[arg-type]
            return
        try:
            body = await _read_body(scope, receive)
        except TooLarge:
            await _respond(send, 413, b'{"error": "too_large"}', "application/json")
            return
        response = await self._dispatch(scope, body)
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, values in response.headers.items()
            for value in values
        ]
        payload = response.body.encode("utf-8") if isinstance(response.body, str) else b""
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _dispatch(self, scope: Scope, body: bytes) -> BoltResponse:
        headers: dict[str, str | Sequence[str]] = {}
        for name, value in scope["headers"]:
            values = headers.setdefault(name.decode("latin-1"), [])
            assert isinstance(values, list)
            values.append(value.decode("latin-1"))
        try:
            request = BoltRequest(body=body.decode("utf-8", errors="replace"), headers=headers)
        except (ValueError, AttributeError, TypeError, KeyError):
            return _malformed()
        if isinstance(request.body, dict) and on_loop(request.body):
            return self._run(request)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._run, request)

    def _run(self, request: BoltRequest) -> BoltResponse:
        self.gate.enter()
        try:
            response: BoltResponse = self.bolt.dispatch(request)
        except (ValueError, AttributeError, TypeError, KeyError):
            return _malformed()
        finally:
            self.gate.leave()
        return response


def on_loop(body: dict[str, Any]) -> bool:
    """Requests whose ack never waits on a lock or on Slack, dispatched on the event loop."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and event.get("type") in ON_LOOP_EVENTS
    if kind == "block_actions":
        actions = body.get("actions")
        return (
            isinstance(actions, list)
            and len(actions) == 1
            and isinstance(actions[0], dict)
            and actions[0].get("action_id") in ON_LOOP_ACTIONS
        )
    command = body.get("command")
    if isinstance(command, str):
        if command in ON_LOOP_COMMANDS:
            return True
        # `/align` alone or `/align help` answers from a constant.
        words = str(body.get("text") or "").split()
        return not words or words[0].lower() == "help"
    return kind in ("url_verification", "ssl_check")


def _malformed() -> BoltResponse:
    # Bolt parses the body before it checks the signature: a body that is not Slack's JSON or
    # form shape is the sender's mistake (400), not ours (500).
    log.info("refused a malformed Slack request body", exc_info=True)
    return BoltResponse(
        status=400, body='{"error": "malformed"}', headers={"content-type": "application/json"}
    )


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_SLACK_BODY:
            raise TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_SLACK_BODY:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class HttpServer:
    """uvicorn on a socket bound here, so `port=0` picks a free one (tests, playground) and a
    port in use is a clear failure at once, or on one bound before (serve's web processes
    share the socket their supervisor bound); run in a background thread on its own uvloop."""

    def __init__(
        self, app: WsgiApp, host: str, port: int, listening: socket.socket | None = None
    ) -> None:
        import uvicorn  # here: the worker process never serves HTTP

        self.socket = listening if listening is not None else bind(host, port)
        self.host = host
        self.port = int(self.socket.getsockname()[1])
        self.asgi = AsgiApp(app)
        config = uvicorn.Config(
            self.asgi,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_config=None,  # our logging (bot/logs.py), secrets scrubbed
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> HttpServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.socket]}, name="http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.asgi.pool.shutdown(wait=False, cancel_futures=True)
        self.socket.close()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
        listening.listen(2048)
    except (socket.gaierror, UnicodeError):
        listening.close()
        raise ConfigError("HOST", f"{host} is not an address of this machine") from None
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise ConfigError("PORT", f"{port} is already in use on {host}") from None
        if error.errno == errno.EACCES:
            raise ConfigError(
                "PORT", f"{port} needs privileges this process does not have"
            ) from None
        if error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise ConfigError("HOST", f"{host} is not an address of this machine") from None
        raise
    listening.setblocking(False)
    return listening
