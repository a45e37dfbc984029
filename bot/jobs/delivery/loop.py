"""The outbox worker's loop: claims what is due, in order per channel and paced, hands each row
to a sender thread, and records every answer as it comes back.
(Just over 300 lines: claiming, pacing and recording share the lease rules.)

Rows are claimed with a lease (status "sending" until a deadline), so several replicas can share
one PostgreSQL outbox and a crashed worker's rows are picked up again after the lease. Each
channel's head row is sent on its own thread and recorded when it returns: a slow answer, a
rate limit or an error holds back only its own channel. Recording is one transaction for all
the answers that came back together, and each row's again if that one fails, so one row's
trouble never rolls back or re-sends another's. No transaction is open while Slack is called.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.jobs.delivery import effects
from bot.jobs.delivery.send import ClientFor, Outgoing, Refused, Result, Sent, send
from bot.store.db import session_scope
from bot.store.models import Feature, OutboxMessage, Report
from bot.store.queue import claim_heads
from bot.store.states import OutboxKind, OutboxStatus, ReportStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
SENDERS = 16
IN_FLIGHT = 100  # rows claimed and not yet recorded (queued for the senders meanwhile)
MAX_ATTEMPTS = 8  # errors other than a rate limit with Retry-After, each after a longer wait
MAX_BACKOFF_SECONDS = 300
# Slack may ask us to wait (429) for as long as it likes; after this long queued we give up.
RATE_LIMITED_FOR = timedelta(hours=1)
# A row that waits for another (its thread's root message, its report) waits this long at most.
WAIT_FOR = timedelta(minutes=30)
WAIT_STEP = timedelta(seconds=1)
RECORD_EVERY = 0.05  # seconds answers may wait to be recorded together


@dataclass(frozen=True)
class Waiting:
    """Not ready to send: what it waits for is not posted yet. A value, not an error."""

    row_id: int
    why: str


# A reply through a response_url is not a post to the channel: the one-message-per-second per
# channel limit is chat.postMessage's (https://api.slack.com/apis/rate-limits, "Posting
# messages"); a response_url takes up to five replies in 30 minutes, each URL its own. So
# private answers to a burst of presses on one summary neither wait for that pace nor use it,
# and they queue apart from the channel's posts (in order among themselves): 62 refusals from
# one burst of presses used to arrive over a minute, behind each other and the thread's posts.
UNPACED = frozenset({OutboxKind.RESPONSE})


def private_reply(row: Any) -> Any:
    """The claim's `apart`: private replies through a response_url are their own queue."""
    return row.kind == OutboxKind.RESPONSE


class DeliveryWorker:
    def __init__(self, deps: Deps, client_for: ClientFor, *, pace_seconds: float = 1.0) -> None:
        self.deps = deps
        self.client_for = client_for
        self.pace_seconds = pace_seconds
        self._last_post: dict[str, float] = {}
        self._held_back = False
        self._senders = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="send")
        self._answers: queue.SimpleQueue[Result | Waiting] = queue.SimpleQueue()
        self._in_flight: set[int] = set()
        self._recorded = time.monotonic()
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
        self._record_answers(now=True)  # what Slack already answered must not be sent again

    def _run(self) -> None:
        while not self._stop.is_set():
            # Rows held back by pacing become due within a second: look again soon for them.
            soon = self._held_back or bool(self._in_flight)
            self.deps.outbox_ready.wait(timeout=0.05 if soon else 1.0)
            self.deps.outbox_ready.clear()
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
            except Exception:  # the worker must outlive any one bad pass; the row stays queued
                log.exception("outbox pass failed")
                time.sleep(1.0)

    def deliver_due(self, limit: int = 100) -> int:
        """Record the answers that came back, then claim the head row of each channel queue
        that is due and start sending them. Returns how many rows moved (recorded or
        claimed), so callers can loop until nothing does."""
        self.deps.gate.wait_quiet()
        recorded = self._record_answers()
        room = min(limit, IN_FLIGHT - len(self._in_flight))
        claimed = self._claim(room) if room > 0 else []
        for item in self._prepare(claimed):
            if isinstance(item, Outgoing):
                self._senders.submit(self._send, item)
            else:  # waits or can never go: recorded at once, nothing to ask Slack
                self._answers.put(item)
        return recorded + len(claimed)

    def drain(self, max_seconds: float = 10.0) -> None:
        """Send everything due now and wait for the answers (the CLI and tests use this
        instead of the thread)."""
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            if self.deliver_due():
                continue
            if not self._in_flight and not self._held_back:
                return
            time.sleep(0.02)

    def _send(self, message: Outgoing) -> None:
        answer = send(self.client_for, message)
        if isinstance(answer, Sent) and message.kind not in UNPACED:
            self._last_post[message.channel_id] = time.monotonic()
        self._answers.put(answer)
        self.deps.outbox_ready.set()

    # --- claiming ---------------------------------------------------------------------------
    def _claim(self, limit: int) -> list[int]:
        """Lease the head message of up to `limit` channel queues; a channel posted to less
        than `pace_seconds` ago keeps its message for a later pass (untouched: a pass that
        claims nothing writes nothing, so acks that write never wait for it)."""
        held_back: list[int] = []

        def ready(row: OutboxMessage) -> bool:
            if row.id in self._in_flight:
                return False  # still being sent by us (its lease looked over, e.g. a test clock)
            if row.kind not in UNPACED and not self._paced(row.channel_id):
                held_back.append(row.id)
                return False
            return True

        with session_scope(self.deps.session_factory) as session:
            rows = claim_heads(
                session,
                OutboxMessage,
                ["team_id", "channel_id"],
                now=self.deps.clock.now(),
                lease=LEASE,
                open_statuses=(OutboxStatus.PENDING, OutboxStatus.SENDING),
                limit=limit,
                accept=ready,
                apart=private_reply,
            )
            claimed = [row.id for row in rows]
        self._held_back = bool(held_back)
        self._in_flight.update(claimed)
        return claimed

    def _paced(self, channel_id: str) -> bool:
        last = self._last_post.get(channel_id)
        return last is None or time.monotonic() - last >= self.pace_seconds

    def _prepare(self, row_ids: list[int]) -> list[Outgoing | Waiting | Refused]:
        """Snapshot the rows with every thread they answer in resolved (a kickoff thread, a
        report's thread for its chart)."""
        if not row_ids:
            return []
        with session_scope(self.deps.session_factory) as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(row_ids))
                .order_by(OutboxMessage.id)
            )
            return [snapshot(session, row) for row in rows]

    # --- recording --------------------------------------------------------------------------
    def _record_answers(self, now: bool = False) -> int:
        """Record what came back. Answers are gathered for up to RECORD_EVERY while others
        are still out, so a burst of answers is one write, not one each."""
        waiting = self._answers.qsize()
        if not waiting:
            return 0
        outstanding = waiting < len(self._in_flight)
        if outstanding and not now and time.monotonic() - self._recorded < RECORD_EVERY:
            return 0
        self._recorded = time.monotonic()
        answers: list[Result | Waiting] = []
        while True:
            try:
                answers.append(self._answers.get_nowait())
            except queue.Empty:
                break
        if not answers:
            return 0
        try:
            self._record(answers)
        except Exception:  # one row's trouble must not undo the others: each on its own
            log.exception("recording %d outbox answers together failed", len(answers))
            for answer in answers:
                self._record_alone(answer)
        self._in_flight.difference_update(answer.row_id for answer in answers)
        return len(answers)

    def _record(self, answers: list[Result | Waiting]) -> None:
        now = self.deps.clock.now()
        by_id = {answer.row_id: answer for answer in answers}
        with session_scope(self.deps.session_factory) as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(by_id))))
            # One flush at commit for all the updates, not one per row before each lookup.
            with session.no_autoflush:
                for row in rows:
                    self._apply(session, row, by_id[row.id], now)

    def _record_alone(self, answer: Result | Waiting) -> None:
        try:
            self._record([answer])
        except Exception:
            log.exception("recording outbox row %s failed", answer.row_id)
            if isinstance(answer, Sent):  # at least never send it again
                with session_scope(self.deps.session_factory) as session:
                    row = session.get(OutboxMessage, answer.row_id)
                    if row is not None:
                        row.status, row.ts, row.sent_at = (
                            OutboxStatus.SENT,
                            answer.ts,
                            self.deps.clock.now(),
                        )

    def _apply(
        self, session: Session, row: OutboxMessage, answer: Result | Waiting, now: datetime
    ) -> None:
        if row.status != OutboxStatus.SENDING:
            return  # not ours any more (the lease ran out and another worker took it)
        if isinstance(answer, Sent):
            row.status, row.sent_at, row.ts = OutboxStatus.SENT, now, answer.ts
            effects.after_sent(session, row, now)
        elif isinstance(answer, Waiting):
            if now - row.created_at > WAIT_FOR:
                self._give_up(session, row, answer.why)
            else:
                row.status, row.next_attempt_at = OutboxStatus.PENDING, now + WAIT_STEP
        elif answer.permanent:
            row.attempts += 1
            self._give_up(session, row, answer.error)
        else:
            self._retry_later(session, row, answer, now)

    def _retry_later(
        self, session: Session, row: OutboxMessage, answer: Refused, now: datetime
    ) -> None:
        row.last_error = answer.error
        if answer.rate_limited and answer.retry_after > 0:
            # Only this channel waits, exactly as long as Slack asked (its head row is not
            # due, so nothing after it in the channel is claimed meanwhile).
            if now - row.created_at > RATE_LIMITED_FOR:
                self._give_up(session, row, answer.error)
                return
            wait = answer.retry_after
        else:  # a transient error, or a rate limit that did not say how long: back off, counted
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                self._give_up(session, row, answer.error)
                return
            wait = min(2**row.attempts, MAX_BACKOFF_SECONDS)
        row.status, row.next_attempt_at = OutboxStatus.PENDING, now + timedelta(seconds=wait)
        log.info("outbox message %s will be retried in %ss (%s)", row.id, wait, answer.error)

    def _give_up(self, session: Session, row: OutboxMessage, error: str) -> None:
        row.status, row.last_error = OutboxStatus.FAILED, error
        effects.after_failed(session, self.deps.clock, row, error)


def snapshot(session: Session, row: OutboxMessage) -> Outgoing | Waiting | Refused:
    """What this row sends, or why it cannot go yet (or ever)."""
    thread_ts = row.thread_ts
    if row.kind == OutboxKind.FILE:
        report = session.get(Report, row.report_id) if row.report_id is not None else None
        thread_ts = report.ts if report is not None else None
        if thread_ts is None:
            if report is None or report.status == ReportStatus.FAILED:
                return Refused(row.id, row.channel_id, "report_not_posted", permanent=True)
            return Waiting(row.id, "report_pending")
    elif row.kind == OutboxKind.UPDATE and row.in_feature_thread and row.feature_id is not None:
        # an edit of the feature's summary queued while that summary was being posted: its ts
        # is known once the post is recorded
        feature = session.get(Feature, row.feature_id)
        shown_id = feature.summary_outbox_id if feature is not None else None
        shown = session.get(OutboxMessage, shown_id) if shown_id is not None else None
        if shown is None or shown.status == OutboxStatus.FAILED:
            return Refused(row.id, row.channel_id, "summary_not_posted", permanent=True)
        if not shown.ts:
            return Waiting(row.id, "summary_pending")
        thread_ts = shown.ts
    elif row.in_feature_thread and row.feature_id is not None:
        feature = session.get(Feature, row.feature_id)
        thread_ts = feature.thread_ts if feature else None
        if thread_ts is None:
            return Waiting(row.id, "thread_pending")
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
    )
