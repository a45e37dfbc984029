"""Claiming work from a table-backed queue, safely across replicas.

Both the outbox (what the bot says) and the inbox (what people said) are queues whose items
must be handled in order within a group (a channel, a conversation) but in parallel across
groups, by any number of processes. `claim_heads` picks the oldest open item of each group and
leases it: `status = working-status` until a deadline, so a crashed worker's item comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

Row = TypeVar("Row")


def claim_heads(
    session: Session,
    model: type[Row],
    group_by: list[str],
    *,
    now: datetime,
    lease: timedelta,
    open_statuses: tuple[str, str],
    limit: int,
    accept: Callable[[Row], bool] | None = None,
    apart: Callable[[Any], Any] | None = None,
) -> list[Row]:
    """Lock and return the head item of up to `limit` groups. `open_statuses` is
    (waiting, working); claimed rows are set to working until now + lease. Heads `accept`
    turns down (e.g. a channel still paced) are left untouched, so a pass that claims nothing
    writes nothing. `apart` (a SQL expression of a row) splits each group in two queues that do
    not wait for each other: rows for which it is true, and the others. The caller's
    transaction commits the claim; on PostgreSQL SKIP LOCKED keeps replicas apart."""
    table: Any = model
    earlier: Any = aliased(model)
    status: InstrumentedAttribute[str] = table.status
    due: InstrumentedAttribute[datetime] = table.next_attempt_at
    same_group = [getattr(earlier, column) == getattr(table, column) for column in group_by]
    if apart is not None:
        same_group.append(apart(earlier) == apart(table))
    query = (
        select(table)
        .where(status.in_(open_statuses), due <= now)
        .where(
            ~exists().where(
                and_(*same_group, earlier.id < table.id, earlier.status.in_(open_statuses))
            )
        )
        .order_by(table.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)
    )
    rows = [row for row in session.scalars(query) if accept is None or accept(row)]
    for row in rows:
        row.status = open_statuses[1]
        row.next_attempt_at = now + lease
    return rows


def work_in_flight(session: Session, *, due_before: datetime | None = None) -> int:
    """Messages stored (or spooled) but not yet handled plus replies queued but not yet sent:
    zero means the bot has nothing left to do for what it received (tests and the playground
    wait on it). With `due_before`, replies waiting for a later retry are not counted."""
    from bot.store.models import InboxMessage, OutboxMessage
    from bot.store.spool import spooled
    from bot.store.states import InboxStatus, OutboxStatus

    inbox = select(func.count()).select_from(InboxMessage)
    inbox = inbox.where(InboxMessage.status.in_((InboxStatus.PENDING, InboxStatus.WORKING)))
    outbox = select(func.count()).select_from(OutboxMessage)
    outbox = outbox.where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
    if due_before is not None:
        outbox = outbox.where(
            (OutboxMessage.status == OutboxStatus.SENDING)
            | (OutboxMessage.next_attempt_at <= due_before)
        )
    waiting = spooled(session.get_bind().engine.url)
    return waiting + int(session.scalar(inbox) or 0) + int(session.scalar(outbox) or 0)
