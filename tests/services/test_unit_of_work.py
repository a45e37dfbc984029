"""The request's unit of work on a real database (SQLite and PostgreSQL): opened only when used,
its replay key stored with the work, rolled back whole on failure, and joined by the
`with deps.unit_of_work()` blocks inside the request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.deps import AlreadyHandled, Deps
from bot.store.db import make_engine, make_session_factory, upgrade
from bot.store.models import ProcessedDelivery
from bot.unit_of_work import RequestWork, SlackCallAfterWrite, no_transaction_open


@pytest.fixture
def deps(database_url: str) -> Iterator[Deps]:
    engine = make_engine(database_url)
    upgrade(engine)
    settings = Settings(_env_file=None, DATABASE_URL=database_url)  # type: ignore[call-arg]
    yield Deps(settings=settings, session_factory=make_session_factory(engine))
    engine.dispose()


def sample(deps: Deps, name: str) -> ProcessedDelivery:
    """Some work: any row will do, and this table needs no feature."""
    return ProcessedDelivery(key=f"work:{name}", received_at=deps.clock.now())


def counts(deps: Deps) -> tuple[int, int]:
    """(rows of work, replay keys) stored."""
    with deps.session_factory() as session:
        found = session.scalars(select(ProcessedDelivery.key)).all()
    return sum(k.startswith("work:") for k in found), sum(k.startswith("request:") for k in found)


def test_unused_work_touches_nothing(deps: Deps) -> None:
    work = RequestWork(deps, "request:help")
    work.enter()
    work.finish(ok=True)
    assert counts(deps) == (0, 0)
    assert RequestWork.current() is None


def test_the_key_is_stored_with_the_work_and_refuses_the_replay(deps: Deps) -> None:
    first = RequestWork(deps, "request:abc")
    first.session.add(sample(deps, "CSAT"))
    first.finish(ok=True)
    assert counts(deps) == (1, 1) and first.committed
    replay = RequestWork(deps, "request:abc")
    with pytest.raises(AlreadyHandled):
        replay.session.add(sample(deps, "CSAT again"))
    replay.finish(ok=False)
    assert counts(deps) == (1, 1)


def test_a_failed_request_keeps_nothing_not_even_its_key(deps: Deps) -> None:
    failed = RequestWork(deps, "request:failed")
    failed.session.add(sample(deps, "CSAT"))
    failed.session.flush()
    failed.finish(ok=False)
    assert counts(deps) == (0, 0)
    # So the same request, delivered again after a crash, runs.
    again = RequestWork(deps, "request:failed")
    again.session.add(sample(deps, "CSAT"))  # the same work, this time kept
    again.finish(ok=True)
    assert counts(deps) == (1, 1)


def test_blocks_inside_the_request_join_it(deps: Deps) -> None:
    work = RequestWork(deps, "request:joined")
    work.enter()
    try:
        with deps.unit_of_work() as session:
            assert session is work.session
            session.add(sample(deps, "one"))
        assert counts(deps) == (1, 1)  # committed at the block's end, key included
        with pytest.raises(ZeroDivisionError), deps.unit_of_work() as session:
            session.add(sample(deps, "two"))
            session.flush()
            raise ZeroDivisionError
        assert counts(deps) == (1, 1)
    finally:
        work.finish(ok=True)
    # A block with a key of its own inside the request records it in the request's session.
    again = RequestWork(deps, "request:joined-2")
    again.enter()
    try:
        with deps.unit_of_work(delivery_key="event:extra") as session:
            assert session is again.session
    finally:
        again.finish(ok=True)
    with deps.session_factory() as check:
        keys = set(check.scalars(select(ProcessedDelivery.key)))
    assert {"request:joined-2", "event:extra"} <= keys
    # Outside a request a block is its own transaction, as before.
    with deps.unit_of_work() as session:
        session.add(sample(deps, "three"))
    assert counts(deps) == (2, 2)


def test_keys_older_than_a_day_are_forgotten(deps: Deps) -> None:
    from datetime import timedelta

    from bot.clock import ManualClock
    from bot.jobs.retention import prune_delivery_keys

    clock = ManualClock()
    deps.clock = clock
    old = RequestWork(deps, "request:old")
    old.session.add(sample(deps, "old"))
    old.finish(ok=True)
    clock.advance(timedelta(hours=25))
    fresh = RequestWork(deps, "request:fresh")
    fresh.session.add(sample(deps, "fresh"))
    fresh.finish(ok=True)
    # By now Slack's retries are over and a captured request's signature is long stale
    # (five minutes), so the old keys need not be kept.
    assert prune_delivery_keys(deps) == 2
    with deps.session_factory() as session:
        assert sorted(session.scalars(select(ProcessedDelivery.key))) == [
            "request:fresh",
            "work:fresh",
        ]


def test_a_slack_lookup_steps_out_of_the_transaction_and_claims_the_key_again(
    deps: Deps,
) -> None:
    """Only reads so far: rolled back for the lookup (nothing open, nothing kept), then the key
    is claimed again before the request goes on, so its replay is still refused."""
    work = RequestWork(deps, "request:lookup")
    work.enter()
    try:
        assert work.session.scalars(select(ProcessedDelivery.key)).all() == ["request:lookup"]
        with no_transaction_open():
            assert work._session is not None and not work._session.in_transaction()
            assert counts(deps) == (0, 0)  # the key's insert went with the rollback
        work.session.add(sample(deps, "after the lookup"))
    finally:
        work.finish(ok=True)
    assert counts(deps) == (1, 1)
    replay = RequestWork(deps, "request:lookup")
    with pytest.raises(AlreadyHandled):
        _ = replay.session
    replay.finish(ok=False)


def test_a_slack_lookup_after_a_write_is_refused_not_rolled_back(deps: Deps) -> None:
    work = RequestWork(deps, "request:wrote")
    work.enter()
    try:
        work.session.add(sample(deps, "written first"))
        with pytest.raises(SlackCallAfterWrite), no_transaction_open():
            pass
        work.session.flush()
        with pytest.raises(SlackCallAfterWrite), no_transaction_open():
            pass
    finally:
        work.finish(ok=True)
    assert counts(deps) == (1, 1)  # the write was kept, not lost to a rollback
