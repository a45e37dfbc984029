"""The inbox worker: handles stored message events after their ack, in order per conversation.

Each item is handled in one transaction that also marks it done, so a crash mid-way leaves it
pending and the next pass (here or on another replica) handles it; a handled item is never
handled again. An item that keeps failing is given up after a few tries, with its error kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotReadyYet, UserFacingError
from bot.services import outbox
from bot.services.outbox import ReplyTarget
from bot.store.models import InboxMessage
from bot.store.queue import claim_heads

log = logging.getLogger(__name__)

# Only matters if a claim were ever committed without its work; normally the claim, the work
# and "done" commit together.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
# Handles one message in the given session; may return work to run after the commit.
Handler = Callable[[Deps, Session, dict[str, Any]], Callable[[], None] | None]


class InboxWorker:
    def __init__(self, deps: Deps, handle: Handler) -> None:
        self.deps = deps
        self.handle = handle
        self.ready = deps.inbox_ready
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.ready.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ready.wait(timeout=1.0)
            self.ready.clear()
            try:
                while self.process_due() and not self._stop.is_set():
                    pass
            except Exception:  # the worker must outlive any one bad pass; items stay queued
                log.exception("inbox pass failed")
                time.sleep(1.0)

    def process_due(self, limit: int = 20) -> int:
        """Take in what acks spooled, then handle up to `limit` items; returns how many
        were taken."""
        taken = 0
        if self.deps.inbox_spool is not None:
            taken += self.deps.inbox_spool.import_into(self.deps.session_factory)
        while taken < limit and self._yield_then_process():
            taken += 1
        return taken

    def drain(self, max_seconds: float = 10.0) -> None:
        deadline = time.monotonic() + max_seconds
        while self.process_due() and time.monotonic() < deadline:
            pass

    def _yield_then_process(self) -> bool:
        self.deps.gate.wait_quiet()
        return self._process_next()

    def _process_next(self) -> bool:
        """Claim, handle and mark done in ONE transaction: a crash rolls all of it back and
        the item is simply pending again, for this process after a restart or for a replica
        (which skips it while our row lock is held)."""
        after_commit: Callable[[], None] | None = None
        row_id: int | None = None
        try:
            with self.deps.unit_of_work() as session:
                claimed = claim_heads(
                    session,
                    InboxMessage,
                    ["team_id", "channel_id", "conversation"],
                    now=self.deps.clock.now(),
                    lease=LEASE,
                    open_statuses=("pending", "working"),
                    limit=1,
                )
                if not claimed:
                    return False
                row = claimed[0]
                row_id = row.id
                after_commit = self.handle(self.deps, session, row.body_json)
                row.status = "done"
        except NotReadyYet as exc:
            assert row_id is not None
            self._failed(row_id, str(exc), retry_in=0.5)
            return True
        except UserFacingError as exc:  # e.g. a change by someone who may not: tell them
            assert row_id is not None
            self._settle_with_reply(row_id, exc.message)
            return True
        except Exception as exc:
            if row_id is None:
                raise
            log.exception("inbox item %s failed", row_id)
            self._failed(row_id, f"{type(exc).__name__}: {exc}"[:500])
            return True
        if after_commit is not None:
            after_commit()
        return True

    def _failed(self, row_id: int, error: str, retry_in: float | None = None) -> None:
        with self.deps.unit_of_work() as session:
            row = session.get(InboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                target = ReplyTarget.from_body(row.body_json)
                if target is not None:
                    outbox.ephemeral(session, self.deps.clock, target, apology(row_id))
                return
            row.status = "pending"
            delay = retry_in if retry_in is not None else 2**row.attempts
            row.next_attempt_at = self.deps.clock.now() + timedelta(seconds=delay)

    def _settle_with_reply(self, row_id: int, message: str) -> None:
        with self.deps.unit_of_work() as session:
            row = session.get(InboxMessage, row_id)
            if row is None:
                return
            row.status = "done"
            target = ReplyTarget.from_body(row.body_json)
            if target is not None:
                outbox.ephemeral(session, self.deps.clock, target, message)


def apology(row_id: int) -> str:
    return (
        f"Sorry, I could not handle your message (error id `inbox-{row_id}`). It is stored; "
        "please try again in a moment."
    )
