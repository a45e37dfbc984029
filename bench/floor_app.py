"""The floor: a bare Bolt app with one command that only acks, served exactly like ours.

Run: python bench/floor_app.py PORT SLACK_API_URL. Same waitress settings and thread count as
bot/server.py (it reuses HttpServer), process_before_response=True, no database, no middleware.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bench.common import BOT_TOKEN, SIGNING_SECRET
from bot.server import HttpServer


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
    server = HttpServer(SlackRequestHandler(build_app(slack_api_url)), "127.0.0.1", port)  # type: ignore[arg-type]
    server.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
