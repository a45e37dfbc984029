"""The outbox worker: posts what services queued, in order per channel, paced, with retries.

Rows are claimed with a lease (status "sending" until a deadline), so several replicas can run
workers on one PostgreSQL and a crashed worker's rows are picked up again after the lease.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotFound
from bot.store.db import session_scope
from bot.store.models import Feature, OutboxMessage, Report
from bot.store.queue import claim_heads

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SENDERS = 16
MAX_ATTEMPTS = 8
# Errors that will not go away by trying again.
PERMANENT = {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "invalid_blocks",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "msg_too_long",
    "user_not_in_channel",
    "message_not_found",
    "cant_update_message",
    "not_installed",
    "report_not_posted",  # a chart whose report was never posted
}
NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}

ClientFor = Callable[[str], WebClient]


class DeliveryWorker:
    def __init__(self, deps: Deps, client_for: ClientFor, *, pace_seconds: float = 1.0) -> None:
        self.deps = deps
        self.client_for = client_for
        self.pace_seconds = pace_seconds
        self._last_post: dict[str, float] = {}
        self._held_back = False
        self._senders = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="send")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.deps.outbox_ready.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._senders.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Rows held back by pacing become due within a second: look again soon for them.
            self.deps.outbox_ready.wait(timeout=0.05 if self._held_back else 1.0)
            self.deps.outbox_ready.clear()
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
            except Exception:  # the worker must outlive any one bad pass; the row stays queued
                log.exception("outbox pass failed")
                time.sleep(1.0)

    def deliver_due(self, limit: int = 100) -> int:
        """Claim the head message of each channel queue and send them. Returns how many were
        claimed, so callers can loop until the queue is drained.

        Three steps, so no transaction is open while Slack is being called: read what to send,
        send it (each claimed row heads a different channel, so side by side), then record
        every outcome in one transaction."""
        self.deps.gate.wait_quiet()
        claimed = self._claim(limit)
        if not claimed:
            return 0
        outgoing = self._prepare(claimed)
        results = list(self._senders.map(self._send, outgoing))
        self._record(results)
        return len(claimed)

    def drain(self, max_seconds: float = 10.0) -> None:
        """Send everything due now (the CLI and tests use this instead of the thread)."""
        deadline = time.monotonic() + max_seconds
        while self.deliver_due() and time.monotonic() < deadline:
            pass

    def _claim(self, limit: int) -> list[int]:
        """Lease the head message of up to `limit` channel queues; a channel posted to less
        than `pace_seconds` ago keeps its message for a later pass."""
        now = self.deps.clock.now()
        with session_scope(self.deps.session_factory) as session:
            rows = claim_heads(
                session,
                OutboxMessage,
                ["team_id", "channel_id"],
                now=now,
                lease=LEASE,
                open_statuses=("pending", "sending"),
                limit=limit,
            )
            ready: list[int] = []
            for row in rows:
                if self._paced(row.channel_id):
                    ready.append(row.id)
                else:  # not claimed after all: nothing of this has been committed yet
                    row.status, row.next_attempt_at = "pending", now
            self._held_back = len(ready) < len(rows)
            return ready

    def _paced(self, channel_id: str) -> bool:
        last = self._last_post.get(channel_id)
        return last is None or time.monotonic() - last >= self.pace_seconds

    def _prepare(self, row_ids: list[int]) -> list[Outgoing]:
        """Snapshot the rows with every thread they answer in resolved (a kickoff thread, a
        report's thread for its chart)."""
        with session_scope(self.deps.session_factory) as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(row_ids))
                .order_by(OutboxMessage.id)
            )
            return [_snapshot(session, row) for row in rows if row.status == "sending"]

    def _send(self, message: Outgoing) -> Result:
        try:
            ts = _call_slack(self.client_for(message.team_id), message)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "slack_error"))
            return Result(message.id, error=error, wait_at_least=retry_after(exc))
        except OSError as exc:  # network trouble: retry later
            return Result(message.id, error=f"network: {type(exc).__name__}")
        except NotFound:  # the workspace uninstalled us: nothing to retry
            return Result(message.id, error="not_installed")
        self._last_post[message.channel_id] = time.monotonic()
        return Result(message.id, ts=ts)

    def _record(self, results: list[Result]) -> None:
        now = self.deps.clock.now()
        by_id = {result.row_id: result for result in results}
        with session_scope(self.deps.session_factory) as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(by_id))))
            # One flush at commit for all the updates, not one per row before each lookup.
            with session.no_autoflush:
                self._apply(session, rows, by_id, now)

    def _apply(
        self, session: Session, rows: list[OutboxMessage], by_id: dict[int, Result], now: datetime
    ) -> None:
        for row in rows:
            result = by_id[row.id]
            if result.error is not None:
                self._failed(session, row, result.error, result.wait_at_least)
                continue
            row.status, row.sent_at, row.ts = "sent", now, result.ts
            _after_post(session, row, now)

    def _failed(
        self, session: Session, row: OutboxMessage, error: str, wait_at_least: float = 0.0
    ) -> None:
        row.attempts += 1
        row.last_error = error
        if error in PERMANENT or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            log.warning("gave up on outbox message %s: %s", row.id, error)
            if row.kind == "kickoff_root" and error in NOT_IN_CHANNEL:
                _explain_not_in_channel(session, row)
            if row.report_id is not None and row.kind != "file":
                report = session.get(Report, row.report_id)
                if report is not None:
                    report.status, report.last_error = "failed", error
            return
        # Exponential backoff, but never sooner than Slack's Retry-After when it gave one.
        backoff = max(min(2**row.attempts, 300), wait_at_least)
        row.status = "pending"
        row.next_attempt_at = self.deps.clock.now() + timedelta(seconds=backoff)
        log.info("outbox message %s will be retried in %ss (%s)", row.id, backoff, error)


@dataclass(frozen=True)
class Outgoing:
    """What one outbox row sends, with its thread resolved; no database needed to send it."""

    id: int
    team_id: str
    channel_id: str
    kind: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    user_id: str | None
    response_url: str | None
    not_ready: str | None = None  # why it cannot go yet (its thread is not posted)


@dataclass(frozen=True)
class Result:
    row_id: int
    ts: str | None = None
    error: str | None = None
    wait_at_least: float = 0.0


def _snapshot(session: Session, row: OutboxMessage) -> Outgoing:
    thread_ts, not_ready = row.thread_ts, None
    if row.kind == "file":
        report = session.get(Report, row.report_id) if row.report_id is not None else None
        thread_ts = report.ts if report is not None else None
        if thread_ts is None:
            failed = report is None or report.status == "failed"
            not_ready = "report_not_posted" if failed else "pending"
    elif row.in_feature_thread and row.feature_id is not None:
        feature = session.get(Feature, row.feature_id)
        thread_ts = feature.thread_ts if feature else None
        if thread_ts is None:
            not_ready = "thread_pending"
    return Outgoing(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        kind=row.kind,
        text=row.text,
        blocks=row.blocks_json,
        thread_ts=thread_ts,
        user_id=row.user_id,
        response_url=row.response_url,
        not_ready=not_ready,
    )


def _call_slack(client: WebClient, message: Outgoing) -> str | None:
    """One Slack call for one message; returns the posted message's ts when there is one."""
    if message.not_ready is not None:
        raise SlackApiError("not ready yet", {"error": message.not_ready})
    if message.kind == "response" and message.response_url:
        WebhookClient(message.response_url, timeout=10).send_dict(
            {"response_type": "ephemeral", "replace_original": False, "text": message.text}
        )
        return None
    if message.kind == "ephemeral":
        client.chat_postEphemeral(
            channel=message.channel_id,
            user=message.user_id or "",
            text=message.text,
            thread_ts=message.thread_ts,
            blocks=message.blocks,
        )
        return None
    if message.kind == "update" and message.thread_ts:
        client.chat_update(
            channel=message.channel_id,
            ts=message.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
        return None
    if message.kind == "file":  # the report's chart, into the report's thread
        spec = (message.blocks or [{}])[0]
        client.files_upload_v2(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            file=base64.b64decode(spec["png_base64"]),
            filename=spec.get("filename", "chart.png"),
            title=message.text,
        )
        return None
    response = client.chat_postMessage(
        channel=message.channel_id,
        text=message.text,
        blocks=message.blocks,
        thread_ts=message.thread_ts,
    )
    return str(response["ts"])


def _after_post(session: Session, row: OutboxMessage, now: datetime) -> None:
    """What a successful post means elsewhere: a kickoff's thread, a report's delivery."""
    if row.kind == "kickoff_root" and row.feature_id is not None and row.ts:
        feature = session.get(Feature, row.feature_id)
        if feature is not None:
            feature.thread_ts = row.ts
    if row.report_id is not None and row.kind != "file" and row.ts:
        report = session.get(Report, row.report_id)
        if report is not None:
            report.status, report.ts, report.posted_at = "posted", row.ts, now


def retry_after(exc: SlackApiError) -> float:
    """Seconds Slack asked us to wait (429 Retry-After), 0 when it did not say. The client's
    retry handler already waited this out a few times; this covers the last refusal."""
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(str(first)), 0.0)
            except ValueError:
                return 0.0
    return 0.0


def _explain_not_in_channel(session: Session, row: OutboxMessage) -> None:
    """The kickoff could not start: say why to the person who asked, and forget the feature
    so the same name can be used again once the bot is invited."""
    if row.response_url:
        WebhookClient(row.response_url, timeout=10).send_dict(
            {
                "response_type": "ephemeral",
                "text": (
                    "I can't post in this channel yet, so the kickoff did not start. "
                    "Invite me with `/invite @Groundline`, then run `/kickoff` again."
                ),
            }
        )
    feature = session.get(Feature, row.feature_id) if row.feature_id else None
    if feature is not None:
        row.feature_id = None  # keep this row as the record of what happened
        session.flush()
        session.delete(feature)
