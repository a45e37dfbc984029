"""A real HTTP server on 127.0.0.1 that answers `POST /v1/chat/completions` like OpenAI does.

Point the `openai` client at `base_url`; script what it answers with `reply_with`, `delay`,
`fail` or `responder`, and read what it was sent from `requests`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any

from bot.localslack.server import LoopbackServer

DEFAULT_REPLY = '{"ok": true}'
MAX_DELAY_SECONDS = 30.0  # a scripted delay never holds a thread longer than this
MAX_BODY_BYTES = 4 * 1024 * 1024

Responder = Callable[[dict[str, Any]], str]

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "unknown_url"),
    429: ("requests", "rate_limit_exceeded"),
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error envelope: {"error": {"message", "type", "param", "code"}}."""
    error_type, code = _ERROR_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def completion_body(request: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat completion as OpenAI shapes it; token counts are word counts, close enough."""
    prompt_words = sum(
        len(str(message.get("content", "")).split())
        for message in request.get("messages", [])
        if isinstance(message, dict)
    )
    answer_words = len(content.split())
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(request.get("model", "local-model")),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": answer_words,
            "total_tokens": prompt_words + answer_words,
        },
    }


class LocalOpenAI:
    """Run with `with LocalOpenAI() as openai:`; then `OpenAI(base_url=openai.base_url, ...)`.

    Each request, in order: a queued delay is slept (bounded, cut short by stop), a queued
    failure is answered; otherwise the content is the next queued reply, else the responder's
    answer, else `default_reply`.
    """

    def __init__(self, default_reply: str = DEFAULT_REPLY, port: int = 0) -> None:
        self.default_reply = default_reply
        self.responder: Responder | None = None
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[str] = deque()
        self._delays: deque[float] = deque()
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._port = port
        self._http: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting -------------------------------------------------------------------------
    def reply_with(self, content: str, times: int = 1) -> LocalOpenAI:
        with self._lock:
            self._replies.extend([content] * times)
        return self

    def delay(self, seconds: float, times: int = 1) -> LocalOpenAI:
        bounded = max(0.0, min(seconds, MAX_DELAY_SECONDS))
        with self._lock:
            self._delays.extend([bounded] * times)
        return self

    def fail(self, status: int = 500, times: int = 1) -> LocalOpenAI:
        if not 400 <= status <= 599:
            raise ValueError("a failure needs an HTTP error status (400-599)")
        with self._lock:
            self._failures.extend([status] * times)
        return self

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("LocalOpenAI is not running")
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalOpenAI:
        self._stopping.clear()
        self._http = LoopbackServer(("127.0.0.1", self._port), _make_handler(self))
        self._http.daemon_threads = True  # a delayed answer must never keep the process alive
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="localopenai-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any handler sleeping in a scripted delay
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- answering -------------------------------------------------------------------------
    def answer(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Status and JSON body for one parsed request; None when stopped mid-delay."""
        with self._lock:
            self.requests.append(request)
            pause = self._delays.popleft() if self._delays else 0.0
            failure = self._failures.popleft() if self._failures else None
        if pause and self._stopping.wait(pause):
            return None
        if failure is not None:
            return failure, error_body(failure, "The local stand-in was told to fail.")
        with self._lock:
            queued = self._replies.popleft() if self._replies else None
        if queued is not None:
            content = queued
        elif self.responder is not None:
            content = self.responder(request)
        else:
            content = self.default_reply
        return 200, completion_body(request, content)


def _make_handler(stand_in: LocalOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "localopenai/1"
        protocol_version = "HTTP/1.1"  # keep-alive, as the real client expects

        def do_POST(self) -> None:
            if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
                self._discard_body()
                self._send(404, error_body(404, f"Unknown request URL: POST {self.path}."))
                return
            authorization = self.headers.get("Authorization", "")
            if not authorization.startswith("Bearer ") or not authorization[7:].strip():
                self._discard_body()
                self._send(401, error_body(401, "You didn't provide an API key."))
                return
            request = self._read_json()
            if request is None:
                self._send(400, error_body(400, "The body must be a JSON object."))
                return
            if not isinstance(request.get("messages"), list) or not request.get("model"):
                self._send(400, error_body(400, "Both 'model' and 'messages' are required."))
                return
            answer = stand_in.answer(request)
            if answer is None:
                self.close_connection = True
                return
            self._send(*answer)

        def do_GET(self) -> None:
            self._send(404, error_body(404, f"Unknown request URL: GET {self.path}."))

        def _length(self) -> int:
            try:
                return max(0, int(self.headers.get("Content-Length") or 0))
            except ValueError:
                return 0

        def _discard_body(self) -> None:
            length = self._length()
            if length > MAX_BODY_BYTES:
                self.close_connection = True
            elif length:
                self.rfile.read(length)

        def _read_json(self) -> dict[str, Any] | None:
            length = self._length()
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                return None
            try:
                decoded = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                return None
            return decoded if isinstance(decoded, dict) else None

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `requests` instead of a log."""

    return Handler
