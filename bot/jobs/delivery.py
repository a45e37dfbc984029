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
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotFound
from bot.store.db import session_scope
from bot.store.models import Feature, OutboxMessage, Report
from bot.store.queue import claim_heads

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SENDERS = 8
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

    def deliver_due(self, limit: int = 50) -> int:
        """Claim the head message of each channel queue and send it. Returns how many were sent
        or settled, so callers can loop until the queue is drained."""
        claimed = self._claim(limit)
        # Each claimed row heads a different channel, so they may go out side by side; Slack's
        # latency, not our CPU, is what limits a sequential worker.
        list(self._senders.map(self._deliver, claimed))
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

    def _deliver(self, row_id: int) -> None:
        with session_scope(self.deps.session_factory) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.status != "sending":
                return
            try:
                self._send(session, row)
            except SlackApiError as exc:
                error = str(exc.response.get("error", "slack_error"))
                self._failed(session, row, error, wait_at_least=retry_after(exc))
            except OSError as exc:  # network trouble: retry later
                self._failed(session, row, f"network: {type(exc).__name__}")
            except NotFound:  # the workspace uninstalled us: nothing to retry
                self._failed(session, row, "not_installed")
            else:
                row.status = "sent"
                row.sent_at = self.deps.clock.now()
                self._last_post[row.channel_id] = time.monotonic()

    def _send(self, session: Session, row: OutboxMessage) -> None:
        client = self.client_for(row.team_id)
        if row.kind == "response" and row.response_url:
            WebhookClient(row.response_url, timeout=10).send_dict(
                {"response_type": "ephemeral", "replace_original": False, "text": row.text}
            )
            return
        if row.kind == "ephemeral":
            client.chat_postEphemeral(
                channel=row.channel_id,
                user=row.user_id or "",
                text=row.text,
                thread_ts=row.thread_ts,
                blocks=row.blocks_json,
            )
            return
        if row.kind == "update" and row.thread_ts:
            client.chat_update(
                channel=row.channel_id, ts=row.thread_ts, text=row.text, blocks=row.blocks_json
            )
            return
        if row.kind == "file":
            _upload_file(session, client, row)
            return
        thread_ts = row.thread_ts
        if row.in_feature_thread and row.feature_id is not None:
            feature = session.get(Feature, row.feature_id)
            thread_ts = feature.thread_ts if feature else None
            if thread_ts is None:
                raise SlackApiError("thread not posted yet", {"error": "thread_pending"})
        response = client.chat_postMessage(
            channel=row.channel_id, text=row.text, blocks=row.blocks_json, thread_ts=thread_ts
        )
        row.ts = str(response["ts"])
        if row.kind == "kickoff_root" and row.feature_id is not None:
            feature = session.get(Feature, row.feature_id)
            if feature is not None:
                feature.thread_ts = row.ts
        if row.report_id is not None:
            report = session.get(Report, row.report_id)
            if report is not None:
                report.status, report.ts = "posted", row.ts
                report.posted_at = self.deps.clock.now()

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


def _upload_file(session: Session, client: WebClient, row: OutboxMessage) -> None:
    """A file (the report's chart) into the thread of the report it belongs to."""
    report = session.get(Report, row.report_id) if row.report_id is not None else None
    if report is None or report.ts is None:
        error = "report_not_posted" if report is None or report.status == "failed" else "pending"
        raise SlackApiError("report not posted yet", {"error": error})
    spec = (row.blocks_json or [{}])[0]
    client.files_upload_v2(
        channel=row.channel_id,
        thread_ts=report.ts,
        file=base64.b64decode(spec["png_base64"]),
        filename=spec.get("filename", "chart.png"),
        title=row.text,
    )


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
