"""The floor: a bare Bolt app with one command that only acks, served by waitress.

Run: python bench/floor_app.py PORT SLACK_API_URL. process_before_response=True, no database,
no middleware; waitress with the same thread count as bot/server.py's HttpServer and
otherwise waitress's own defaults, so the floor is what a plain waitress deployment gives.
"""

from __future__ import annotations

import inspect
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bench.common import BOT_TOKEN, SIGNING_SECRET
from bot.server import HttpServer

# Read, not copied, so the floor follows bot/server.py if its thread count changes.
THREADS = int(inspect.signature(HttpServer.__init__).parameters["threads"].default)


def build_app(slack_api_url: str) -> App:
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


def main() -> None:
    port, slack_api_url = int(sys.argv[1]), sys.argv[2]
    server = create_server(
        SlackRequestHandler(build_app(slack_api_url)), host="127.0.0.1", port=port, threads=THREADS
    )
    threading.Thread(target=server.run, name="http", daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()  # the server thread is a daemon: leaving main ends the process


if __name__ == "__main__":
    main()
