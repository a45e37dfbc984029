"""What every entry point hands to the Slack layer and the jobs: settings, storage, time, model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.gate import AckGate
from bot.store.db import SessionFactory, session_scope
from bot.store.health import StorageHealth
from bot.store.spool import Spool
from bot.unit_of_work import AlreadyHandled, RequestWork, record_delivery

if TYPE_CHECKING:
    from bot.llm import LanguageModel
    from bot.services.access import Directory


__all__ = ["AlreadyHandled", "Deps"]


@dataclass
class Deps:
    settings: Settings
    session_factory: SessionFactory
    clock: Clock = field(default_factory=SystemClock)
    llm: LanguageModel | None = None
    # Set by the delivery worker; poked after each commit so replies go out at once.
    outbox_ready: threading.Event = field(default_factory=threading.Event)
    # Background workers yield to Slack requests being acknowledged.
    gate: AckGate = field(default_factory=AckGate)
    # Poked after a message is stored in the inbox, so the inbox worker handles it at once.
    inbox_ready: threading.Event = field(default_factory=threading.Event)
    # SQLite only: where acks store what they take in (bot/store/spool.py).
    inbox_spool: Spool | None = None
    # A workspace's bot token: set by the runtime with OAuth installs; else the configured one.
    token_for_team: Callable[[str], str | None] | None = None
    # The last write the database refused, for /healthz and honest replies.
    storage: StorageHealth = field(default_factory=StorageHealth)
    # Slow work that must not hold up Slack's ack (language model calls).
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=32, thread_name_prefix="bg")
    )

    @cached_property
    def directory(self) -> Directory:
        """Who is in which channel, from Slack, cached briefly (services/access asks it)."""
        from bot.slack.directory import SlackDirectory  # the Slack edge, built on first use

        return SlackDirectory(self.bot_token, self.settings.SLACK_API_URL)

    def bot_token(self, team_id: str) -> str | None:
        if self.token_for_team is not None:
            return self.token_for_team(team_id)
        token = self.settings.SLACK_BOT_TOKEN
        return token.get_secret_value() if token is not None else None

    @contextmanager
    def unit_of_work(self, delivery_key: str | None = None) -> Iterator[Session]:
        """One transaction for one request. With a delivery key, the key is recorded in the same
        transaction as the work, so a crash before commit lets Slack's retry through, and a
        retry after commit is refused with AlreadyHandled.

        Inside a Slack command or interaction (bot/slack/middleware.py) every block is the
        request's own unit of work, which carries the request's replay key."""
        request = RequestWork.current()
        if request is not None:
            # Never a second session beside the request's: on SQLite the two would wait for
            # each other's write lock. An extra key is recorded in the request's own.
            with request.block() as joined:
                if delivery_key is not None:
                    record_delivery(joined, self, delivery_key)
                yield joined
            return
        with session_scope(self.session_factory) as session:
            if delivery_key is not None:
                record_delivery(session, self, delivery_key)
            yield session
        self.outbox_ready.set()
