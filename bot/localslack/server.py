"""LocalSlack: a loopback stand-in for Slack's Web API, file hosting and Socket Mode. (Over 300
lines on purpose: one class holds the workspace state every test asserts on and the Web API
methods that change it.)"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from bot.localslack import spec
from bot.localslack.calls import CallLog, CallPredicate, Fault, FaultPlan, Hold, RecordedCall
from bot.localslack.handler import IncomingRequest, Reply, fault_reply, make_handler
from bot.localslack.methods import ApiError, WebApi, decode_json_params
from bot.localslack.socket_mode import SocketModeServer
from bot.localslack.tokens import TokenRegistry
from bot.localslack.workspace import (
    APP_ID,
    BOT_USER_ID,
    Channel,
    Message,
    StoredFile,
    Workspace,
    user_record,
)


class LoopbackServer(ThreadingHTTPServer):
    """Python's default listen backlog is 5: under a burst of connections the kernel drops
    the rest and clients retry a second later. Stand-ins must not add that to what we measure."""

    request_queue_size = 256
    daemon_threads = True


class LocalSlack:
    """Run with `with LocalSlack() as slack:` or start()/stop(); point the bot at `api_url`."""

    def __init__(
        self,
        bot_token: str = "xoxb-local",
        team_id: str = "T0LOCAL",
        app_token: str | None = None,
        team_name: str = "Local Workspace",
        port: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.workspace = Workspace(team_id, team_name)
        self.log = CallLog()
        self.faults = FaultPlan()
        self.spec_violations: list[spec.SpecViolation] = []
        self.tokens = TokenRegistry(bot_token, team_id, app_token)
        self._response_urls: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._port = port
        self._http: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self.socket = SocketModeServer(APP_ID)
        self.api = WebApi(
            self.workspace, lambda: self.base_url, self.socket.new_url, self.tokens.add
        )

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        self._http = LoopbackServer(("127.0.0.1", self._port), make_handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="localslack-http", daemon=True
        )
        self._thread.start()
        self.socket.start()
        return self

    def stop(self) -> None:
        self.socket.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> LocalSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("LocalSlack is not running; call start() first")
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # --- recording ------------------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        return self.log.all()

    @property
    def on_call(self) -> Callable[[RecordedCall], None] | None:
        return self.log.on_call

    @on_call.setter
    def on_call(self, listener: Callable[[RecordedCall], None] | None) -> None:
        self.log.on_call = listener

    def calls_to(self, method: str) -> list[RecordedCall]:
        return self.log.to(method)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: CallPredicate | None = None,
    ) -> list[RecordedCall]:
        return self.log.wait_for(method, count, timeout, predicate)

    def reset(self) -> None:
        """Forget calls, spec violations and pending faults; the workspace keeps its messages."""
        self.log.clear()
        self.faults.clear()
        with self._lock:
            self.spec_violations.clear()

    # --- faults ---------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        error: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls to `method` ("*" = any) fail with this HTTP status; with
        `channel`, only calls naming that channel.

        With status=200 and an `error`, the call answers ok=false with that error code; with
        status=429 and `retry_after=None`, the answer has no Retry-After header."""
        retry = retry_after if status == 429 else None
        self.faults.add(Fault(method, times, status, error, retry, channel=channel))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        self.faults.add(Fault(method, times, delay=seconds))

    def hold(self, method: str, longest: float = 1.5) -> Hold:
        """Keep the next call to `method` waiting until the returned hold is released (at most
        `longest` seconds, inside the bot's own timeout); its `arrived` is set meanwhile."""
        held = Hold(method, longest)
        self.faults.add_hold(held)
        return held

    # --- workspace setup and inspection ---------------------------------------------------
    def add_user(
        self, user_id: str, name: str | None = None, tz: str = "UTC", real_name: str | None = None
    ) -> None:
        record = user_record(user_id, name or user_id.lower(), tz, real_name)
        with self.workspace.lock:
            self.workspace.users[user_id] = record

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        members: list[str] | None = None,
    ) -> None:
        """A channel; with `members`, exactly those people are in it (else it is open: whoever
        acts there joins, see Channel)."""
        channel = Channel(channel_id, name, private=private)
        if members is not None:
            channel.open = False
            for user_id in members:
                channel.join(user_id)
        with self.workspace.lock:
            channel.bot_is_member = channel_id not in self.workspace.not_member
            self.workspace.channels[channel_id] = channel

    def join(self, channel_id: str, user_id: str) -> None:
        with self.workspace.lock:
            self.workspace.channel(channel_id).join(user_id)

    def leave(self, channel_id: str, user_id: str) -> None:
        with self.workspace.lock:
            channel = self.workspace.channel(channel_id)
            channel.open = False
            channel.members = [m for m in channel.members if m != user_id]

    def bot_not_in(self, channel_id: str) -> None:
        with self.workspace.lock:
            self.workspace.not_member.add(channel_id)
            if channel_id in self.workspace.channels:
                self.workspace.channels[channel_id].bot_is_member = False

    def messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        """Every message in the channel (thread replies too), or one thread's parent and replies."""
        return self.workspace.messages(channel, thread_ts)

    def bot_messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        return [m for m in self.messages(channel, thread_ts) if m.get("user") == BOT_USER_ID]

    def ephemeral_messages(self, channel: str, user: str | None = None) -> list[Message]:
        with self.workspace.lock:
            found = self.workspace.channel(channel).ephemeral
            return copy.deepcopy([m for m in found if user in (None, m["to_user"])])

    def message(self, channel: str, ts: str) -> Message | None:
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.find_message(channel, ts))

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.home_views.get(user_id))

    def open_views(self) -> list[dict[str, Any]]:
        with self.workspace.lock:
            return copy.deepcopy(list(self.workspace.views.values()))

    def add_user_message(self, channel: str, message: Message) -> Message:
        """Store a message a person wrote (the driver does this before delivering the event)."""
        return self.workspace.add_message(channel, message)

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        channel: str | None = None,
        thread_ts: str | None = None,
        user: str = "U0PM",
    ) -> dict[str, Any]:
        """Store a file someone shared; returns the file object as Slack puts it in events."""
        stored = StoredFile(file_id, name, content, user, name, [channel] if channel else [])
        stored.thread_ts = thread_ts
        with self.workspace.lock:
            self.workspace.files[file_id] = stored
        return self.api.file_object(stored)

    def new_response_url(self, channel: str | None = None) -> str:
        url_id = uuid.uuid4().hex[:16]
        with self._lock:
            self._response_urls[url_id] = channel
        return f"{self.base_url}/response/{url_id}"

    def new_oauth_code(self, team_id: str, team_name: str = "", user_id: str = "U0PM") -> str:
        """A code that oauth.v2.access exchanges for an install into `team_id`."""
        code = f"code-{uuid.uuid4().hex[:12]}"
        self.api.oauth_codes[code] = (team_id, team_name or f"Team {team_id}", user_id)
        return code

    # --- socket mode ----------------------------------------------------------------------
    def socket_connected(self, timeout: float = 5.0) -> bool:
        return self.socket.wait_connected(timeout)

    def socket_send(
        self, type: str, payload: dict[str, Any], timeout: float = 5.0
    ) -> dict[str, Any]:
        return self.socket.send(type, payload, timeout)

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        self.socket.disconnect(reason)

    # --- request handling -----------------------------------------------------------------
    def route(self, request: IncomingRequest) -> Reply:
        parts = request.path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            return self._api_call(parts[1], request)
        if parts[0] == "upload" and len(parts) == 2 and request.method == "POST":
            return self._upload(parts[1], request)
        if parts[0] == "files" and len(parts) >= 2:
            return self._download(parts[1], request)
        if parts[0] == "response" and len(parts) == 2 and request.method == "POST":
            return self._response_url(parts[1], request)
        return Reply(404, b"not found\n", "text/plain")

    def _record(
        self, method: str, params: dict[str, Any], token: str | None, at: float, reply: Reply
    ) -> Reply:
        response: dict[str, Any] = {}
        if reply.content_type.startswith("application/json"):
            response = json.loads(reply.body) if reply.body else {}
        self.log.append(RecordedCall(method, params, token, at, reply.status, response))
        return reply

    def _api_call(self, method: str, request: IncomingRequest) -> Reply:
        at = time.time()
        params = decode_json_params(request.params())
        token = params.pop("token", None) or request.bearer_token()
        pause = self.faults.take_delay(method)
        if pause:
            time.sleep(pause)
        held = self.faults.take_hold(method)
        if held is not None:
            held.wait_here()
        violation = spec.check(method, params)
        if violation is None and method not in self.api.handlers:
            violation = spec.SpecViolation(method, "not implemented by LocalSlack", params)
        if violation is not None:
            with self._lock:
                self.spec_violations.append(violation)
        fault = self.faults.take_failure(method, str(params.get("channel") or "") or None)
        if fault is not None:
            return self._record(method, params, token, at, fault_reply(fault))
        if violation is not None:
            error = (
                "invalid_arguments" if violation.reason.startswith("missing") else "unknown_method"
            )
            reply = Reply.json({"ok": False, "error": error, "detail": violation.reason})
            return self._record(method, params, token, at, reply)
        auth_error, team_id = self.tokens.authorize(method, token)
        if auth_error:
            return self._record(
                method, params, token, at, Reply.json({"ok": False, "error": auth_error})
            )
        try:
            answer = {"ok": True, **self.api.handlers[method](params, team_id)}
        except ApiError as error:
            answer = {"ok": False, "error": error.error}
        return self._record(method, params, token, at, Reply.json(answer))

    def _upload(self, file_id: str, request: IncomingRequest) -> Reply:
        at = time.time()
        with self.workspace.lock:
            stored = self.workspace.files.get(file_id)
            if stored is not None:
                stored.content, stored.uploaded = request.body, True
        reply = Reply(200 if stored else 404, b"OK - %d" % len(request.body), "text/plain")
        params = {"file_id": file_id, "size": len(request.body)}
        return self._record("file_upload", params, None, at, reply)

    def _download(self, file_id: str, request: IncomingRequest) -> Reply:
        at, token = time.time(), request.bearer_token()
        pause = self.faults.take_delay("file_download")
        if pause:
            time.sleep(pause)
        authorized = self.tokens.team_of(token) is not None
        with self.workspace.lock:
            stored = self.workspace.files.get(file_id)
        if not authorized:
            reply = Reply(401, b"sign in to see this file\n", "text/plain")
        elif stored is None:
            reply = Reply(404, b"no such file\n", "text/plain")
        else:
            reply = Reply(200, stored.content, "application/octet-stream")
        return self._record("file_download", {"file_id": file_id}, token, at, reply)

    def _response_url(self, url_id: str, request: IncomingRequest) -> Reply:
        at = time.time()
        with self._lock:
            known = url_id in self._response_urls
            channel = self._response_urls.get(url_id)
        params = decode_json_params(request.params())
        if not known:
            return self._record(
                "response_url", params, None, at, Reply(404, b"expired_url", "text/plain")
            )
        if channel and params.get("response_type") == "in_channel":
            message: Message = {
                k: params[k] for k in ("text", "blocks", "thread_ts") if k in params
            }
            self.workspace.add_message(channel, {"user": BOT_USER_ID, **message})
        return self._record(
            "response_url", params | {"url_id": url_id}, None, at, Reply(200, b"ok", "text/plain")
        )
