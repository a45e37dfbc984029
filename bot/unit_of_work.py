"""One request's unit of work: opened on first use, committed once the request's work is done,
and keyed, so that the same request delivered again (a replay) finds its key taken and runs
nothing. The Slack layer opens one per slash command or interaction (bot/slack/middleware.py),
and the event listeners that ask Slack who is in a channel open one too (`event_work`).

No Slack call happens inside its transaction. A membership lookup the directory has not cached
(bot/slack/directory.py, up to 2.5 s) steps out of it (`no_transaction_open`): what the request
has done so far is only reading (and claiming its key), so that is rolled back, which releases
the connection and any lock (SQLite's write lock, taken by the key's insert); Slack is asked;
then the key is claimed again and the request reads afresh. A request that wrote before asking
would lose its writes that way, so that raises instead: check access first, then write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bot.store.models import ProcessedDelivery

if TYPE_CHECKING:
    from bot.deps import Deps


class AlreadyHandled(Exception):
    """This delivery was processed before (a retry, a duplicate event, a replayed request)."""


class SlackCallAfterWrite(RuntimeError):
    """A request asked Slack something after writing: its writes cannot be rolled back to step
    out of the transaction, and must not be committed before the request was allowed."""


_current: ContextVar[RequestWork | None] = ContextVar("groundline_request_work", default=None)
WROTE = "groundline_wrote"  # session.info: written (or row-locked) since the key was claimed


def record_delivery(session: Session, deps: Deps, key: str) -> None:
    """Claim `key` in the session's transaction. A key already committed raises AlreadyHandled;
    one being claimed by a concurrent transaction (another replica) waits for it, then raises."""
    session.add(ProcessedDelivery(key=key[:200], received_at=deps.clock.now()))
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyHandled(key) from None


class RequestWork:
    """The transaction of one request. Nothing touches the database until `session` is first
    read (`/align help` never opens one); the first use records the request's replay key in
    the same transaction as the work, so a crash before the commit leaves the key free."""

    def __init__(self, deps: Deps, replay_key: str | None) -> None:
        self._deps = deps
        self.key = replay_key  # also a stored press's key (bot/services/inbox.py accept_press)
        self._key = replay_key
        self._session: Session | None = None
        self._claimed: str | None = None  # the key, once recorded in the open transaction
        self.committed = False  # something of this request is stored

    @staticmethod
    def current() -> RequestWork | None:
        return _current.get()

    def enter(self) -> None:
        """Make this the current request's work (for `Deps.unit_of_work` inside it)."""
        _current.set(self)

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._deps.session_factory()
        if self._key is not None:
            key, self._key = self._key, None
            record_delivery(self._session, self._deps, key)
            self._claimed = key
            self._session.info[WROTE] = False  # the key itself does not count
        return self._session

    @contextmanager
    def outside_transaction(self) -> Iterator[None]:
        """Run the body (a Slack call) with no transaction open; see the module's docstring."""
        session = self._session
        if session is None or not session.in_transaction():
            yield
            return
        if _has_written(session):
            raise SlackCallAfterWrite(
                "a Slack lookup after this request wrote to the database: check first, then write"
            )
        session.rollback()  # only reads and the key: the connection goes back to the pool
        self._key, self._claimed = self._claimed, None
        try:
            yield
        finally:
            _ = self.session  # the key first, as when the request began

    def commit(self) -> None:
        """Commit what is pending now, e.g. before a Slack call that must not run inside a
        transaction. Later use of `session` starts a new transaction."""
        if self._session is None or not self._session.in_transaction():
            return
        self._session.commit()
        self._forget_writes()
        self.committed = True
        self._deps.outbox_ready.set()  # what it queued may go now
        self._deps.inbox_ready.set()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._forget_writes()

    def _forget_writes(self) -> None:
        """The transaction ended (and its key with it): a later lookup may step out freely."""
        assert self._session is not None
        self._session.info[WROTE] = False
        self._claimed = None

    def finish(self, ok: bool) -> None:
        """End of the request: commit what the listener left pending (or roll it back)."""
        try:
            if ok:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        _current.set(None)

    @contextmanager
    def block(self) -> Iterator[Session]:
        """A `with deps.unit_of_work()` block inside the request: the request's session,
        committed at the block's end as a block of its own would be."""
        try:
            yield self.session
        except BaseException:
            self.rollback()
            raise
        self.commit()


@contextmanager
def no_transaction_open() -> Iterator[None]:
    """Around a Slack call that may come during a request (a membership lookup): the request's
    transaction, if one is open, is stepped out of while it runs."""
    work = _current.get()
    if work is None:
        yield
        return
    with work.outside_transaction():
        yield


@contextmanager
def event_work(deps: Deps, key: str) -> Iterator[Session]:
    """`deps.unit_of_work(delivery_key=key)` for an event listener that asks Slack who is in
    a channel: the lookup steps out of the transaction as a request's does."""
    work = RequestWork(deps, key)
    work.enter()
    try:
        yield work.session
    except BaseException:
        work.finish(ok=False)
        raise
    work.finish(ok=True)


def _has_written(session: Session) -> bool:
    if session.info.get(WROTE) or session.new or session.deleted:
        return True
    return any(session.is_modified(row) for row in session.dirty)


# On every session (registering per request's session cost ~60 µs each; these cost a dict
# write per flush and a few attribute reads per statement): what `_has_written` reads.
@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """An UPDATE, INSERT or DELETE statement, or a SELECT … FOR UPDATE (a row lock)."""
    locks = state.is_select and getattr(state.statement, "_for_update_arg", None) is not None
    if state.is_update or state.is_insert or state.is_delete or locks:
        state.session.info[WROTE] = True
