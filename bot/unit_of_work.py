"""One request's unit of work: opened on first use, committed once the request's work is done,
and keyed, so that the same request delivered again (a replay) finds its key taken and runs
nothing. The Slack layer opens one per slash command or interaction (bot/slack/middleware.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import ProcessedDelivery

if TYPE_CHECKING:
    from bot.deps import Deps


class AlreadyHandled(Exception):
    """This delivery was processed before (a retry, a duplicate event, a replayed request)."""


_current: ContextVar[RequestWork | None] = ContextVar("groundline_request_work", default=None)


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
        return self._session

    def commit(self) -> None:
        """Commit what is pending now, e.g. before a Slack call that must not run inside a
        transaction. Later use of `session` starts a new transaction."""
        if self._session is None or not self._session.in_transaction():
            return
        self._session.commit()
        self.committed = True
        self._deps.outbox_ready.set()  # what it queued may go now
        self._deps.inbox_ready.set()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

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
