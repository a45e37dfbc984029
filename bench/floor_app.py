"""The floors: a bare Bolt app with one command that only acks (`process_before_response=True`,
no database, no middleware of ours), on two stacks.

Run: python bench/floor_app.py uvicorn|waitress PORT SLACK_API_URL

- `uvicorn`: Bolt's `AsyncApp` under uvicorn with 2 worker processes, uvloop and httptools: the
  fastest stack measured on this machine (the true floor).
- `waitress`: Bolt's sync `App` behind waitress with the thread count `bot/server.py` used, and
  waitress's own defaults otherwise: what a plain WSGI deployment gives.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BOT_TOKEN, SIGNING_SECRET

WAITRESS_THREADS = 8  # bot/server.py's HttpServer default when serve ran on waitress
UVICORN_WORKERS = 2


def build_app(slack_api_url: str) -> Any:
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack_api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/align")
    def align(ack: Ack, command: dict[str, Any]) -> None:
        ack(response_type="ephemeral", text="help")

    return app


def asgi_floor() -> Any:
    """uvicorn's factory (one call per worker process): the AsyncApp as an ASGI app."""
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=os.environ["FLOOR_SLACK_API_URL"]),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
        # (AsyncApp has no token_verification_enabled: it calls auth.test once, on the first
        # request, against the stand-in, during the unmeasured warm-up.)
    )

    @app.command("/align")
    async def align(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(response_type="ephemeral", text="help")

    handler = AsyncSlackRequestHandler(app)

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b'{"status": "ok"}'})
            return
        await handler(scope, receive, send)

    return asgi


def serve_waitress(port: int, slack_api_url: str) -> None:
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from waitress.server import create_server

    server = create_server(
        SlackRequestHandler(build_app(slack_api_url)),
        host="127.0.0.1",
        port=port,
        threads=WAITRESS_THREADS,
    )
    threading.Thread(target=server.run, name="http", daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()  # the server thread is a daemon: leaving main ends the process


def serve_uvicorn(port: int, slack_api_url: str) -> None:
    import uvicorn

    os.environ["FLOOR_SLACK_API_URL"] = slack_api_url
    uvicorn.run(
        "bench.floor_app:asgi_floor",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=UVICORN_WORKERS,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


def main() -> None:
    stack, port, slack_api_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {"uvicorn": serve_uvicorn, "waitress": serve_waitress}[stack](port, slack_api_url)


if __name__ == "__main__":
    main()
