"""Assembles the running bot (storage, Bolt app, HTTP, outbox) for serve, playground and tests."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.api import eval_runs_route
from bot.app import create_app, make_web_client
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.deps import Deps
from bot.errors import NotFound
from bot.gate import SharedAckGate, SharedCount
from bot.jobs.delivery import DeliveryWorker
from bot.jobs.inbox import InboxWorker
from bot.llm import BoundedModel, LanguageModel, OpenAIModel
from bot.server import WsgiApp
from bot.slack import after_ack
from bot.store.db import make_engine, make_session_factory, upgrade
from bot.store.spool import Spool
from bot.wake import INBOX, OUTBOX, PipeEnd, RelayedEvent

if TYPE_CHECKING:
    import socket

    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    from bot.asgi import HttpServer

log = logging.getLogger(__name__)
SWITCH_INTERVAL_SECONDS = 0.0005


class Role(StrEnum):
    """What one process runs. `serve` over HTTP runs WEB in its web processes and a WORKER
    beside them (bot/web_processes.py); tests, the playground and Socket Mode run ALL in one
    process."""

    ALL = "all"
    WEB = "web"  # HTTP and acks only; stored work is handled by the worker process
    WORKER = "worker"  # inbox, outbox, scheduler and model calls; no HTTP


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        migrate: bool = True,
        pace_seconds: float = 1.0,
        role: Role = Role.ALL,
        web_processes: int = 1,
    ) -> None:
        self.settings = settings
        self.role = role
        self.engine = make_engine(settings.DATABASE_URL)
        if migrate:
            upgrade(self.engine)
        self.deps = Deps(
            settings=settings,
            session_factory=make_session_factory(self.engine),
            clock=clock or SystemClock(),
            # The web process never calls the model (the worker does): no client, no import.
            llm=None if role is Role.WEB else _bounded(OpenAIModel.from_settings(settings)),
            inbox_spool=Spool.for_database(settings.DATABASE_URL),
        )
        self.deps.storage.watch(self.engine)
        self.wake_pipe = PipeEnd()
        self.acks_in_flight: SharedCount | None = None
        if role is Role.WEB:
            self.deps.inbox_ready = RelayedEvent(self.wake_pipe, INBOX)
            self.deps.outbox_ready = RelayedEvent(self.wake_pipe, OUTBOX)
            self.acks_in_flight = SharedCount(slots=web_processes)
            self.deps.gate = SharedAckGate(self.acks_in_flight)
        settings.require_one_install_mode()
        self._client = make_web_client(self.deps)
        self.installations: SQLAlchemyInstallationStore | None = None
        oauth = None
        if settings.oauth_enabled:
            # Imported here: slack_sdk's SQL stores load SQLAlchemy's asyncio extension (~2 MB
            # in each process), which a single-workspace bot never uses.
            from bot.slack import oauth as oauth_support

            self.installations = oauth_support.installation_store(settings, self.engine)
            oauth = oauth_support.oauth_settings(settings, self.engine, self.installations)
            self.deps.token_for_team = self.installed_token
        self.app = create_app(self.deps, client=self._client, oauth_settings=oauth)
        self.wsgi = WsgiApp(self.app, self.engine, self.deps.gate, self.deps.storage)
        self.wsgi.add_route("POST", "/api/v1/features/", eval_runs_route(self.deps))
        self.inbox = InboxWorker(self.deps, after_ack.handle, after_ack.JOBS)
        self._outbox_client = make_web_client(self.deps, wait_on_rate_limits=False)
        self.worker = DeliveryWorker(self.deps, self.outbox_client_for, pace_seconds=pace_seconds)
        self.http: HttpServer | None = None
        self.scheduler: BackgroundScheduler | None = None

    def after_fork(self, slot: int) -> None:
        """In a web process forked from serve's supervisor: connections of our own (the
        inherited pool is dropped, not closed: it is the supervisor's) and a slot of our own
        in the shared count of acks in flight."""
        self.engine.dispose(close=False)
        if self.acks_in_flight is not None:
            self.acks_in_flight.slot = slot

    def client_for(self, team_id: str) -> WebClient:
        """The client with the right workspace's bot token (the one token, or the installed)."""
        if self.installations is None:
            return self._client
        token = self.installed_token(team_id)
        if token is None:
            raise NotFound(f"Groundline is not installed in workspace {team_id}.")
        return make_web_client(self.deps, token=token)

    def outbox_client_for(self, team_id: str) -> WebClient:
        """As `client_for`, for the outbox: a 429 comes back at once, for the row to wait."""
        if self.installations is None:
            return self._outbox_client
        token = self.installed_token(team_id)
        if token is None:
            raise NotFound(f"Groundline is not installed in workspace {team_id}.")
        return make_web_client(self.deps, token=token, wait_on_rate_limits=False)

    def installed_token(self, team_id: str) -> str | None:
        from bot.slack import oauth as oauth_support

        assert self.installations is not None
        return oauth_support.installed_bot_token(self.installations, team_id)

    def start(
        self,
        host: str | None = None,
        port: int | None = None,
        listening: socket.socket | None = None,
    ) -> Runtime:
        """Start what this role runs: the workers and scheduler unless this is a web process
        (serve's supervisor runs the worker process), and HTTP unless this is the worker. The
        port is bound first (or was, by the supervisor: `listening`): a port in use is a
        ConfigError before anything else has started."""
        if self.role is not Role.WORKER:
            from bot.asgi import HttpServer  # here: the worker process serves no HTTP

            self.http = HttpServer(
                self.wsgi,
                host or self.settings.HOST,
                self.settings.PORT if port is None else port,
                listening,
            )
        if self.role is not Role.WEB:
            self.worker.start()
            self.inbox.start()
            if self.settings.GROUNDLINE_SCHEDULER:
                # Imported here: the web process has no scheduler and need not load it.
                from bot.jobs.scheduler import start_scheduler

                self.scheduler = start_scheduler(self.deps, self.client_for)
        if self.http is None:
            return self
        # Dispatch threads (and, in ALL, the workers) share the GIL with the event loop. At
        # CPython's default 5 ms switch interval an ack on the loop can wait a whole slice
        # behind another thread; 0.5 ms keeps acks prompt for a small cost in throughput.
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        self.http.start()
        log.info("listening on %s", self.http.url)
        return self

    def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.inbox.stop()
        self.worker.stop()
        self.deps.background.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


MODEL_SLOTS = 16  # half the background pool: the other half keeps quick work moving


def _bounded(model: LanguageModel | None) -> LanguageModel | None:
    return BoundedModel(model, MODEL_SLOTS) if model is not None else None
