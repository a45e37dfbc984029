"""Helpers the reliability scenarios share: a `groundline serve` that is SIGKILLed and revived,
Slack deliveries that survive a dead server, the lease fast-forward after a SIGKILL, and counts
read straight from the database."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.localslack import composer, payloads
from bot.localslack.driver import JSON, Delivered, SlackDriver
from bot.localslack.server import LocalSlack
from bot.store.models import Answer, Feature, InboxMessage, OutboxMessage
from bot.store.queue import work_in_flight
from tests.support.bot import SIGNING_SECRET
from tests.support.figures import Figures
from tests.support.serve import ServeProcess

ANSWERS = ["10%", "a refund", "say I'm not sure", "CSAT ≥ 4.2", "2 s", "$0.01 per query", "cost"]
TITLES = [question.title for question in (item.question for item in checklist.ITEMS.values())]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def backend_of(database_url: str) -> str:
    return database_url.split(":", 1)[0].split("+")[0]


class Database:
    """A short-lived engine on the bot's database, for counting what is stored."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def count(self, model: type[object], *where: object) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).select_from(model)
            for condition in where:
                query = query.where(condition)  # type: ignore[arg-type]
            return int(session.scalar(query) or 0)

    def feature(self, name: str) -> Feature | None:
        with Session(self.engine, expire_on_commit=False) as session:
            found = session.scalars(select(Feature).where(Feature.name == name)).one_or_none()
            if found is not None:
                session.expunge(found)
            return found

    def answers(self, feature_id: int) -> list[str]:
        with Session(self.engine) as session:
            query = select(Answer.text).where(Answer.feature_id == feature_id)
            return list(session.scalars(query.order_by(Answer.id)))

    def wait_count(self, model: type[object], want: int, timeout: float) -> int:
        """Acknowledged events may be handled just after the ack (the inbox): wait for them."""
        deadline, found = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            found = self.count(model)
            if found >= want:
                return found
            time.sleep(0.1)
        return found

    def expire_leases(self) -> None:
        """A SIGKILLed worker's claimed rows would wait out the 60 s lease; skip the wait."""
        with Session(self.engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "sending")))
                .values(next_attempt_at=LONG_AGO)
            )
            session.commit()

    def expire_job_leases(self) -> None:
        """Jobs a SIGKILLed worker had claimed would wait out their 30 s lease; skip the wait.
        Only while no worker runs: a live worker's lease must not be broken."""
        with Session(self.engine) as session:
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.status == "working")
                .values(next_attempt_at=LONG_AGO)
            )
            session.commit()

    def open_outbox(self) -> int:
        """Messages received but not handled (inbox) plus replies not yet sent (outbox)."""
        with Session(self.engine) as session:
            return work_in_flight(session)

    def wait_drained(self, timeout: float = 30.0, fast_forward: bool = True) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.open_outbox() == 0:
                return
            if fast_forward:
                self.expire_leases()
            time.sleep(0.1)
        raise AssertionError(f"the outbox did not drain within {timeout} s")


@dataclass
class Thread:
    """One person's side of a kickoff conversation, in its own channel."""

    driver: SlackDriver
    channel: str
    name: str
    user: str = "U0PM"
    acknowledged: list[str] = field(default_factory=list)

    @property
    def slack(self) -> LocalSlack:
        return self.driver.slack

    def kickoff(self, figures: Figures | None = None) -> Delivered:
        reply = self.driver.command(
            "/kickoff", self.name, user_id=self.user, channel_id=self.channel
        )
        if figures is not None:
            figures.ack(reply.elapsed_ms)
        return reply

    def event_body(
        self, text: str, thread_ts: str, files: list[payloads.Payload] | None = None
    ) -> bytes:
        """Store the person's message in the stand-in and build the event Slack would send."""
        typed = composer.pieces(text, self.slack.workspace)  # encoded as Slack does
        message: payloads.Payload = {
            "user": self.user,
            "text": composer.wire_text(typed, command=False),
            "team": self.driver.team.id,
            "blocks": composer.rich_text(typed, uuid.uuid4().hex[:4]),
            "thread_ts": thread_ts,
            "parent_user_id": "U0BOT",
        }
        if files:
            message.update(files=files, upload=False, subtype="file_share")
        stored = self.slack.add_user_message(self.channel, message)
        event = {"client_msg_id": str(uuid.uuid4()), **stored, "event_ts": stored["ts"]}
        event["channel_type"] = "channel"
        event_id = f"Ev{uuid.uuid4().hex[:12].upper()}"
        body = payloads.event_callback(self.driver.team, event, event_id, int(time.time()))
        return json.dumps(body).encode("utf-8")

    def send_event(self, body: bytes, retry: int = 0) -> Delivered:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.driver.send_raw(body, JSON, headers=headers if retry else None)


def wait_thread_ts(database: Database, name: str, timeout: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        feature = database.feature(name)
        if feature is not None and feature.thread_ts is not None:
            return feature.id, feature.thread_ts
        time.sleep(0.05)
    raise AssertionError(f"the kickoff thread for {name!r} was not posted in {timeout} s")


def question_counts(slack: LocalSlack, channel: str, thread_ts: str) -> dict[str, int]:
    thread = [m for m in slack.bot_messages(channel, thread_ts) if m["ts"] != thread_ts]
    texts = [m.get("text", "") + json.dumps(m.get("blocks")) for m in thread]
    return {title: sum(title in text for text in texts) for title in TITLES}


def roots(slack: LocalSlack, channel: str, name: str) -> int:
    return sum(
        name in m.get("text", "") and "thread_ts" not in m for m in slack.bot_messages(channel)
    )


TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


class Serve:
    """The one running `groundline serve`, replaced by a fresh one after every SIGKILL."""

    def __init__(self, database_url: str, slack: LocalSlack, logs: Path, **env: str) -> None:
        self.database_url, self.slack, self.logs = database_url, slack, logs
        self.env = {"GROUNDLINE_SCHEDULER": "false", **env}
        self.process = self._new()
        self.driver = SlackDriver(self.events_url, SIGNING_SECRET, slack, timeout=15)

    def _new(self) -> ServeProcess:
        return ServeProcess(self.database_url, self.slack, self.logs, **self.env).start()

    @property
    def events_url(self) -> str:
        return f"{self.process.url}/slack/events"

    def kill_later(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.process.kill)
        timer.start()
        return timer

    def revive(self, database: Database) -> bool:
        """Start a new process if the old one died; True if it had."""
        if self.process.process is not None and self.process.process.poll() is None:
            return False
        database.expire_job_leases()  # the dead process's jobs, before the new one starts
        self.process = self._new()
        self.driver.app_url = self.events_url
        database.expire_leases()
        return True

    def stop(self) -> None:
        self.process.stop()


def trial_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    """The URL of a database of the trial's own: a SQLite file, or a fresh PostgreSQL database
    from the session's server (started on first use)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/{name}.db"
    postgres = request.getfixturevalue("postgres")
    return str(postgres.url(postgres.fresh_database(name)))
