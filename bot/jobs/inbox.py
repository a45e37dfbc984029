"""The inbox worker: handles what acks stored, in order per conversation, and the jobs it leads to.

(Over 300 lines on purpose: events and jobs are two halves of one exactly-once protocol that
share the claim, its fence and the giving up; apart, each would need the other's insides.)

Acknowledged work is never lost, and none is done twice:

- A message event or slash command is handled in ONE transaction that also marks it done. A
  crash rolls all of it back and the item is pending again. No Slack call happens inside it:
  a membership lookup that is not cached rolls it back, is asked with none open, and the item
  is handled again with the answer (or Slack's failure to give one). What is slow (a download,
  a model call) the handler does not do: it stores a job, in that same transaction. So an event
  is done exactly when its jobs exist, and Slack's retry of it, refused as a duplicate at the
  ack, loses nothing.
- A job's claim is committed first (a lease, renewed while the work runs); its slow part runs
  on the background pool with no transaction open; its result is stored in the transaction that
  marks it done. That last step is fenced by the claim's number: a job whose lease another
  worker took over (we were presumed dead) stores nothing. A crash anywhere before that commit
  leaves the job claimed, not done: once the lease runs out it is claimed again and redone from
  the start.

An item that keeps failing (or a job whose process keeps dying) is given up after a few tries,
with its error kept and the person told.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.errors import NotReadyYet, UserFacingError
from bot.services import access, inbox, outbox
from bot.services.access import LookupNeeded
from bot.services.outbox import ReplyTarget
from bot.store.models import InboxMessage
from bot.store.queue import claim_heads
from bot.store.states import InboxStatus

log = logging.getLogger(__name__)

# Events: only matters if a claim were ever committed without its work (never, normally).
LEASE = timedelta(seconds=60)
# Jobs: renewed every JOB_RENEW while the work runs, so a crashed worker's job is redone soon.
JOB_LEASE = timedelta(seconds=30)
JOB_RENEW_SECONDS = 10.0
MAX_ATTEMPTS = 5
OPEN = (InboxStatus.PENDING, InboxStatus.WORKING)
LOOKUPS_PER_ITEM = 4  # membership lookups made outside the transaction for one item
# Waiting for something a moment away (bot.errors.NotReadyYet) is given up only this late.
NOT_READY_FOR = timedelta(minutes=30)
# Handles one message event or slash command in the given session.
Handler = Callable[[Deps, Session, dict[str, Any]], None]
Store = Callable[[Session], None]


@dataclass(frozen=True)
class Done:
    """What a job's slow part produced: `store` runs in the transaction that marks the job
    done. If it refuses (a UserFacingError, e.g. a malformed file), that transaction rolls
    back and `refused` says so instead, in a fresh one that marks the job done; without it the
    person is told privately."""

    store: Store
    refused: Callable[[Session, str], None] | None = None


# A job's slow part: runs with no transaction open, may take seconds (or a minute).
JobRunner = Callable[[Deps, dict[str, Any]], Done]


@dataclass(frozen=True)
class Claim:
    row_id: int
    number: int  # the row's attempts when we claimed it: the fence
    job: inbox.StoredJob
    body: dict[str, Any]


class InboxWorker:
    def __init__(self, deps: Deps, handle: Handler, jobs: Mapping[str, JobRunner]) -> None:
        self.deps = deps
        self.handle = handle
        self.jobs = jobs
        self.ready = deps.inbox_ready
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[int, int] = {}  # jobs in flight: row id -> claim number
        self._running_lock = threading.Lock()
        self._renewed = time.monotonic()

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
                self.renew_leases()
                while self.process_due() and not self._stop.is_set():
                    self.renew_leases()
            except Exception:  # the worker must outlive any one bad pass; items stay queued
                log.exception("inbox pass failed")
                time.sleep(1.0)

    def process_due(self, limit: int = 20) -> int:
        """Take in what acks spooled, then handle up to `limit` items (jobs are started, not
        waited for); returns how many were taken."""
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

    def jobs_running(self) -> int:
        with self._running_lock:
            return len(self._running)

    def _yield_then_process(self) -> bool:
        self.deps.gate.wait_quiet()
        failed = None
        for _ in range(LOOKUPS_PER_ITEM):
            try:
                with access.lookups_deferred(failed):
                    return self._process_next()
            except LookupNeeded as needed:
                # Rolled back. Ask Slack with no transaction open, then handle the item again
                # with the answer cached (a check may need two: is it private, who is in it),
                # or with Slack's failure to say, which the check treats as it always does.
                failed = needed.ask(self.deps.directory)
        return self._process_next()  # a handler needing still more lookups asks them itself

    # --- events and slash commands: one transaction -----------------------------------------
    def _process_next(self) -> bool:
        """Claim the next item. An event is handled and marked done in the claim's own
        transaction (a crash rolls all of it back; a replica skips it while our row lock is
        held); a job's claim is committed and its work started."""
        row_id: int | None = None
        claim: Claim | None = None
        try:
            with self.deps.unit_of_work() as session:
                claimed = claim_heads(
                    session,
                    InboxMessage,
                    ["team_id", "channel_id", "conversation"],
                    now=self.deps.clock.now(),
                    lease=LEASE,
                    open_statuses=(InboxStatus.PENDING, InboxStatus.WORKING),
                    limit=1,
                )
                if not claimed:
                    return False
                row = claimed[0]
                row_id = row.id
                job = inbox.job_of(row.body_json)
                if job is not None:
                    claim = self._claim_job(session, row, job)
                else:
                    self.handle(self.deps, session, row.body_json)
                    row.status = InboxStatus.DONE
        except NotReadyYet as exc:
            assert row_id is not None
            self._not_yet(row_id, str(exc))
            return True
        except UserFacingError as exc:  # e.g. a change by someone who may not: tell them
            assert row_id is not None
            self._settle_with_reply(row_id, exc.message)
            return True
        except LookupNeeded:
            raise  # not a failure: a Slack call to make outside the transaction (above)
        except Exception as exc:
            if row_id is None:
                raise
            log.exception("inbox item %s failed", row_id)
            self._failed(row_id, _describe(exc))
            return True
        if claim is not None:
            self._start(claim)
        return True

    def _not_yet(self, row_id: int, why: str, claim: Claim | None = None) -> None:
        """What it needs is a moment away (a thread's first message, Slack answering): not
        the item's fault, so no attempt is spent. It is tried again soon, then less often
        (a quarter of its age, 0.5 to 30 s), and given up only after NOT_READY_FOR."""
        with self.deps.unit_of_work() as session:
            row = session.get(InboxMessage, row_id)
            if row is None or (claim is not None and not _still_ours(row, claim)):
                return
            now = self.deps.clock.now()
            row.last_error = why[:500]
            if now - row.received_at > NOT_READY_FOR:
                self._give_up(session, row)
                return
            if claim is not None:
                row.attempts -= 1  # the claim counted one; waiting is not a failure
            age = (now - row.received_at).total_seconds()
            row.status = InboxStatus.PENDING
            row.next_attempt_at = now + timedelta(seconds=min(max(age / 4, 0.5), 30.0))

    def _failed(self, row_id: int, error: str, retry_in: float | None = None) -> None:
        with self.deps.unit_of_work() as session:
            row = session.get(InboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                self._give_up(session, row)
                return
            row.status = InboxStatus.PENDING
            delay = retry_in if retry_in is not None else 2**row.attempts
            row.next_attempt_at = self.deps.clock.now() + timedelta(seconds=delay)

    def _settle_with_reply(self, row_id: int, message: str) -> None:
        """Done, and the person told, once: the refusal rolled our claim back, so another
        replica may have claimed the item meanwhile and be settling it too (or have handled
        it). Only the transaction that moves it to done tells; the other finds it done."""
        with self.deps.unit_of_work() as session:
            settled = session.execute(
                update(InboxMessage)
                .where(InboxMessage.id == row_id, InboxMessage.status.in_(OPEN))
                .values(status=InboxStatus.DONE)
            )
            if getattr(settled, "rowcount", 0) != 1:
                return
            row = session.get(InboxMessage, row_id)
            if row is not None:
                _tell(session, self.deps, row.body_json, message)

    def _give_up(self, session: Session, row: InboxMessage) -> None:
        row.status = InboxStatus.FAILED
        log.error("gave up on inbox item %s: %s", row.id, row.last_error)
        said = row.body_json.get("gave_up") if inbox.job_of(row.body_json) else None
        _tell(session, self.deps, row.body_json, str(said or apology(row.id, row.body_json)))

    # --- jobs: claim, work outside any transaction, store and mark done ---------------------
    def _claim_job(self, session: Session, row: InboxMessage, job: inbox.StoredJob) -> Claim | None:
        """Count the claim (each one is an attempt, so a job whose process keeps dying is
        given up too) and lease the job for as long as its work runs."""
        with self._running_lock:
            ours = row.id in self._running
        if ours:  # still running here (its lease looked over, e.g. a clock moved): keep it
            row.next_attempt_at = self.deps.clock.now() + JOB_LEASE
            return None
        row.attempts += 1
        if row.attempts > MAX_ATTEMPTS:
            row.last_error = row.last_error or "the worker stopped during this job every time"
            self._give_up(session, row)
            return None
        row.next_attempt_at = self.deps.clock.now() + JOB_LEASE
        return Claim(row.id, row.attempts, job, row.body_json)

    def _start(self, claim: Claim) -> None:
        with self._running_lock:
            self._running[claim.row_id] = claim.number
        try:
            self.deps.background.submit(self.run_job, claim)
        except RuntimeError:  # the pool is shutting down: the lease runs out, it is redone
            with self._running_lock:
                self._running.pop(claim.row_id, None)

    def run_job(self, claim: Claim) -> None:
        """The slow part, then its result and "done" in one fenced transaction."""
        try:
            runner = self.jobs.get(claim.job.kind)
            if runner is None:
                raise LookupError(f"no runner for jobs of kind {claim.job.kind!r}")
            done = runner(self.deps, claim.job.payload)
            self.deps.gate.wait_quiet()  # a write: let acks in flight go first
            try:
                with self.deps.unit_of_work() as session:
                    if self._finish(session, claim):
                        done.store(session)
            except UserFacingError as refusal:
                with self.deps.unit_of_work() as session:
                    if self._finish(session, claim):
                        if done.refused is not None:
                            done.refused(session, refusal.message)
                        else:
                            _tell(session, self.deps, claim.body, refusal.message)
        except NotReadyYet as waiting:  # e.g. Slack could not say who may see the feature
            self._not_yet(claim.row_id, str(waiting), claim)
        except UserFacingError as refusal:  # the slow part itself refused
            with self.deps.unit_of_work() as session:
                if self._finish(session, claim):
                    _tell(session, self.deps, claim.body, refusal.message)
        except Exception as exc:
            log.exception("inbox job %s (%s) failed", claim.row_id, claim.job.kind)
            self._job_failed(claim, _describe(exc))
        finally:
            with self._running_lock:
                self._running.pop(claim.row_id, None)
            self.ready.set()

    def _finish(self, session: Session, claim: Claim) -> bool:
        """Mark the job done if it is still ours; False (and nothing stored) if not."""
        marked = session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.id == claim.row_id,
                InboxMessage.status == InboxStatus.WORKING,
                InboxMessage.attempts == claim.number,
            )
            .values(status=InboxStatus.DONE)
        )
        if getattr(marked, "rowcount", 0) == 1:
            return True
        log.warning("inbox job %s was taken over by another worker; dropped", claim.row_id)
        return False

    def _job_failed(self, claim: Claim, error: str) -> None:
        with self.deps.unit_of_work() as session:
            row = session.get(InboxMessage, claim.row_id)
            if row is None or not _still_ours(row, claim):
                return
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                self._give_up(session, row)
                return
            row.status = InboxStatus.PENDING
            row.next_attempt_at = self.deps.clock.now() + timedelta(seconds=2**row.attempts)

    def renew_leases(self, force: bool = False) -> None:
        """Keep the leases of jobs in flight ahead of now, so no replica takes them over."""
        if not force and time.monotonic() - self._renewed < JOB_RENEW_SECONDS:
            return
        self._renewed = time.monotonic()
        with self._running_lock:
            running = dict(self._running)
        if not running:
            return
        until = self.deps.clock.now() + JOB_LEASE
        self.deps.gate.wait_quiet()
        with self.deps.unit_of_work() as session:
            for row_id, number in running.items():
                session.execute(
                    update(InboxMessage)
                    .where(
                        InboxMessage.id == row_id,
                        InboxMessage.status == InboxStatus.WORKING,
                        InboxMessage.attempts == number,
                    )
                    .values(next_attempt_at=until)
                )


def _still_ours(row: InboxMessage, claim: Claim) -> bool:
    return row.status == InboxStatus.WORKING and row.attempts == claim.number


def _tell(session: Session, deps: Deps, body: dict[str, Any], message: str) -> None:
    """Privately, to the person who asked (a job without one, e.g. a listening reply nobody
    asked for, tells no one)."""
    target = ReplyTarget.from_body(body)
    if target is not None and (target.user_id or target.response_url):
        outbox.ephemeral(session, deps.clock, target, message)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def apology(row_id: int, body: dict[str, Any] | None = None) -> str:
    if (body or {}).get("type") == "block_actions":  # a stored sign-off press
        return (
            f"Sorry, I could not handle your press (error id `inbox-{row_id}`), so nothing was "
            "signed. Please press again in a moment."
        )
    return (
        f"Sorry, I could not handle your message (error id `inbox-{row_id}`). It is stored; "
        "please try again in a moment."
    )
