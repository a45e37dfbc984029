"""The real bot, started on a loopback port against the stand-in, with a signed-request driver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import Settings
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.runtime import Runtime
from bot.store.db import session_scope
from bot.store.queue import work_in_flight

SIGNING_SECRET = "test-signing-secret-0123456789"


def test_settings(database_url: str, slack: LocalSlack, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": 0,
        "LOG_LEVEL": "INFO",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@dataclass
class BotUnderTest:
    runtime: Runtime
    slack: LocalSlack
    driver: SlackDriver

    @property
    def url(self) -> str:
        assert self.runtime.http is not None
        return self.runtime.http.url

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.runtime.deps.session_factory) as session:
            yield session

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until everything the bot queued has been sent (or given up on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.runtime.deps.outbox_ready.set()
            self.runtime.deps.inbox_ready.set()
            with self.session() as session:
                if work_in_flight(session) == 0:
                    return
            time.sleep(0.02)
        raise AssertionError("the inbox and outbox did not drain in time")

    def stop(self) -> None:
        self.runtime.stop()


def start_bot(
    database_url: str, slack: LocalSlack, *, clock: Clock | None = None, **overrides: object
) -> BotUnderTest:
    runtime = Runtime(
        test_settings(database_url, slack, **overrides), clock=clock, pace_seconds=0.0
    ).start(port=0)
    assert runtime.http is not None
    driver = SlackDriver(f"{runtime.http.url}/slack/events", SIGNING_SECRET, slack)
    return BotUnderTest(runtime=runtime, slack=slack, driver=driver)
