"""Jobs in the inbox (slow work after the ack), on a real database and a clock the test moves:
done exactly when their result is stored; fenced when another worker took them over; redone
after a failure with backoff; given up, with the person told, when their process keeps dying."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import ManualClock
from bot.deps import Deps
from bot.errors import BadInput, NotReadyYet
from bot.jobs.inbox import JOB_LEASE, MAX_ATTEMPTS, Done, InboxWorker, JobRunner
from bot.localslack.server import LocalSlack
from bot.services import inbox, outbox
from bot.services.inbox import JobKind
from bot.services.outbox import ReplyTarget
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade
from bot.store.models import InboxMessage, OutboxMessage
from tests.support import bot as support

TARGET = ReplyTarget("T0LOCAL", "C0JOBS", "U0PM")


@pytest.fixture
def deps(database_url: str, slack: LocalSlack) -> Iterator[Deps]:
    engine = make_engine(database_url)
    upgrade(engine)
    made = Deps(
        settings=support.test_settings(database_url, slack),
        session_factory=make_session_factory(engine),
        clock=ManualClock(),
    )
    yield made
    made.background.shutdown(wait=True)
    engine.dispose()


def add_job(deps: Deps, key: str = "one", gave_up: str | None = None) -> None:
    body = inbox.job_body(JobKind.REFRAME, {"n": 1}, "T0LOCAL", "C0JOBS", "U0PM", gave_up=gave_up)
    with session_scope(deps.session_factory) as session:
        inbox.add_job(session, deps.clock, key, body)


def said(session: Session, text: str) -> None:
    outbox.ephemeral(session, ManualClock(), TARGET, text)


def texts(deps: Deps) -> list[str]:
    with session_scope(deps.session_factory) as session:
        return list(session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id)))


def job_row(deps: Deps) -> InboxMessage:
    with session_scope(deps.session_factory) as session:
        return session.scalars(select(InboxMessage)).one()


def worker(deps: Deps, runner: JobRunner) -> InboxWorker:
    def no_events(deps: Deps, session: Session, body: dict[str, Any]) -> None:
        raise AssertionError("only jobs here")

    return InboxWorker(deps, no_events, {JobKind.REFRAME: runner})


def wait_idle(*workers: InboxWorker, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while any(w.jobs_running() for w in workers):
        assert time.monotonic() < deadline, "jobs still running"
        time.sleep(0.01)


def test_a_job_is_done_in_the_transaction_that_stores_its_result(deps: Deps) -> None:
    add_job(deps)
    ran: list[dict[str, Any]] = []

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        ran.append(payload)
        return Done(store=lambda session: said(session, "worded"))

    inbox_worker = worker(deps, runner)
    assert inbox_worker.process_due() == 1
    wait_idle(inbox_worker)
    assert ran == [{"n": 1}]
    assert texts(deps) == ["worded"]
    assert job_row(deps).status == "done"
    assert inbox_worker.process_due() == 0  # never run again


def test_a_job_taken_over_by_another_worker_stores_nothing(deps: Deps) -> None:
    """Worker A is slow enough to be presumed dead: B takes the job over after the lease and
    stores the result; A's late result is dropped, not stored a second time."""
    add_job(deps)
    release = threading.Event()
    calls: list[str] = []

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        first = not calls
        calls.append("run")
        if first:
            assert release.wait(10)
        return Done(store=lambda session: said(session, f"result {len(calls)}"))

    worker_a, worker_b = worker(deps, runner), worker(deps, runner)
    assert worker_a.process_due() == 1
    while not calls:
        time.sleep(0.01)
    assert worker_b.process_due() == 0  # leased to A
    assert isinstance(deps.clock, ManualClock)
    deps.clock.advance(JOB_LEASE + timedelta(seconds=1))  # A never renewed: presumed dead
    assert worker_b.process_due() == 1
    wait_idle(worker_b)
    release.set()
    wait_idle(worker_a)
    assert calls == ["run", "run"]
    assert texts(deps) == ["result 2"]
    row = job_row(deps)
    assert (row.status, row.attempts) == ("done", 2)


def test_renewed_leases_keep_a_slow_job_from_being_taken_over(deps: Deps) -> None:
    add_job(deps)
    release = threading.Event()

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        assert release.wait(10)
        return Done(store=lambda session: said(session, "slow but once"))

    worker_a, worker_b = worker(deps, runner), worker(deps, runner)
    worker_a.process_due()
    assert isinstance(deps.clock, ManualClock)
    for _ in range(3):  # 3 x 20 s: twice the lease, renewed each time
        deps.clock.advance(timedelta(seconds=20))
        worker_a.renew_leases(force=True)
        assert worker_b.process_due() == 0
    release.set()
    wait_idle(worker_a)
    assert texts(deps) == ["slow but once"]
    assert job_row(deps).attempts == 1


def test_a_refused_result_rolls_back_and_says_why(deps: Deps) -> None:
    add_job(deps)

    def store(session: Session) -> None:
        said(session, "half a result")
        raise BadInput("line 3: field 'passed' is missing")

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        return Done(store=store, refused=lambda session, why: said(session, f"refused: {why}"))

    inbox_worker = worker(deps, runner)
    inbox_worker.process_due()
    wait_idle(inbox_worker)
    assert texts(deps) == ["refused: line 3: field 'passed' is missing"]
    assert job_row(deps).status == "done"


def test_a_failing_job_is_retried_with_backoff_then_done(deps: Deps) -> None:
    add_job(deps)
    failures = [OSError("connection reset")]

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        if failures:
            raise failures.pop()
        return Done(store=lambda session: said(session, "second time lucky"))

    inbox_worker = worker(deps, runner)
    inbox_worker.process_due()
    wait_idle(inbox_worker)
    row = job_row(deps)
    assert row.status == "pending" and "connection reset" in (row.last_error or "")
    assert inbox_worker.process_due() == 0  # not before its backoff
    assert isinstance(deps.clock, ManualClock)
    deps.clock.advance(timedelta(seconds=3))
    assert inbox_worker.process_due() == 1
    wait_idle(inbox_worker)
    assert texts(deps) == ["second time lucky"]
    assert job_row(deps).status == "done"


def test_a_job_whose_worker_keeps_dying_is_given_up_and_the_person_told(deps: Deps) -> None:
    """Each claim counts: a job that took its process down MAX_ATTEMPTS times is not tried
    again, and the person who asked hears so (with the job's own words)."""
    add_job(deps, gave_up="Sorry, I couldn't fetch `cases.jsonl` after several tries.")
    with session_scope(deps.session_factory) as session:
        row = session.scalars(select(InboxMessage)).one()
        # What MAX_ATTEMPTS crashed claims leave behind: working, lease run out.
        row.status, row.attempts = "working", MAX_ATTEMPTS
        row.next_attempt_at = deps.clock.now() - timedelta(seconds=1)

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        raise AssertionError("must not run again")

    inbox_worker = worker(deps, runner)
    assert inbox_worker.process_due() == 1
    assert job_row(deps).status == "failed"
    assert texts(deps) == ["Sorry, I couldn't fetch `cases.jsonl` after several tries."]


def test_an_event_is_done_exactly_when_the_job_it_stored_exists(deps: Deps) -> None:
    """The event's handler stores a job in the event's own transaction; when the handler
    fails after that, neither the event's work nor its job exist, and the retry makes one."""
    failures = [RuntimeError("database hiccup")]

    def handler(deps: Deps, session: Session, body: dict[str, Any]) -> None:
        body_of_job = inbox.job_body(JobKind.REFRAME, {}, "T0LOCAL", "C0JOBS", None)
        inbox.add_job(session, deps.clock, "from-event", body_of_job)
        if failures:
            raise failures.pop()

    inbox.accept(deps, {"team_id": "T0LOCAL", "event_id": "Ev1", "event": {"channel": "C0JOBS"}})
    events = InboxWorker(deps, handler, {JobKind.REFRAME: lambda d, p: Done(store=lambda s: None)})
    events.process_due()
    with session_scope(deps.session_factory) as session:
        count = select(func.count()).select_from(InboxMessage)
        assert session.scalar(count) == 1  # the job rolled back with the failed handling
    assert isinstance(deps.clock, ManualClock)
    deps.clock.advance(timedelta(seconds=3))
    events.process_due()
    wait_idle(events)
    with session_scope(deps.session_factory) as session:
        statuses = sorted(session.scalars(select(InboxMessage.status)))
    assert statuses == ["done", "done"]


def test_waiting_for_slack_is_not_a_failure_and_is_never_given_up_early(deps: Deps) -> None:
    """An answer whose handling needs Slack to say something (who is in the channel, the
    thread's first message) waits through more than MAX_ATTEMPTS refusals, and is handled."""
    waits = [NotReadyYet("Slack answered `ratelimited`")] * (MAX_ATTEMPTS + 3)
    handled: list[str] = []

    def handler(deps: Deps, session: Session, body: dict[str, Any]) -> None:
        if waits:
            raise waits.pop()
        handled.append(str(body["event_id"]))

    inbox.accept(deps, {"team_id": "T0LOCAL", "event_id": "Ev2", "event": {"channel": "C0JOBS"}})
    events = InboxWorker(deps, handler, {})
    assert isinstance(deps.clock, ManualClock)
    for _ in range(MAX_ATTEMPTS + 4):
        events.process_due()
        deps.clock.advance(timedelta(seconds=31))
    assert handled == ["Ev2"]
    row = job_row(deps)
    assert (row.status, row.attempts) == ("done", 0)


def test_a_job_waiting_for_slack_spends_no_attempt(deps: Deps) -> None:
    add_job(deps)
    waits = [NotReadyYet("Slack answered `fatal_error`")] * (MAX_ATTEMPTS + 1)

    def runner(deps: Deps, payload: dict[str, Any]) -> Done:
        if waits:
            raise waits.pop()
        return Done(store=lambda session: said(session, "at last"))

    inbox_worker = worker(deps, runner)
    assert isinstance(deps.clock, ManualClock)
    for _ in range(MAX_ATTEMPTS + 2):
        inbox_worker.process_due()
        wait_idle(inbox_worker)
        deps.clock.advance(timedelta(seconds=31))
    assert texts(deps) == ["at last"]
    assert job_row(deps).status == "done"


def test_a_refusal_two_replicas_both_reached_is_told_once(deps: Deps) -> None:
    """A refusal rolls back its claim before it settles the item, so another replica may claim
    it in between, refuse it too and settle it first (seen with sixteen sign-off presses on two
    replicas: one colleague told twice). The later settle must find it done and tell no one."""
    body = {
        "type": "block_actions",
        "team": {"id": "T0LOCAL"},
        "channel": {"id": "C0JOBS"},
        "user": {"id": "U0COLL"},
        "response_url": "https://hooks.slack.com/actions/T0LOCAL/1/x",
    }
    inbox.accept_press(deps, body, "press:one", conversation="1.1")

    def refuse(deps: Deps, session: Session, body: dict[str, Any]) -> None:
        raise BadInput("<@U0ENG> already signed as engineer.")

    first, second = InboxWorker(deps, refuse, {}), InboxWorker(deps, refuse, {})
    row_id = job_row(deps).id
    assert second.process_due() == 1  # claims, refuses, settles, tells
    first._settle_with_reply(row_id, "<@U0ENG> already signed as engineer.")  # as it would next
    assert texts(deps) == ["<@U0ENG> already signed as engineer."]
    assert job_row(deps).status == "done"
