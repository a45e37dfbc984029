"""The kickoff summary is one message (bot/services/kickoff/summary.py), on a real database:
a change while the summary waits to be sent rewrites it; while it is being sent, an edit waits
for its ts; once posted it is edited in place. Never a second copy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.services.kickoff import summary
from bot.store.db import SessionFactory
from bot.store.models import Feature, OutboxMessage
from bot.store.states import OutboxKind, OutboxStatus
from tests.support.rows import feature_row

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "summary"}}]


def posts(factory: SessionFactory) -> int:
    with factory() as session:
        kinds = (OutboxKind.MESSAGE,)
        found = select(func.count()).select_from(OutboxMessage)
        return int(session.scalar(found.where(OutboxMessage.kind.in_(kinds))) or 0)


def first_summary(factory: SessionFactory, clock: ManualClock, status: OutboxStatus) -> int:
    with factory() as session:
        feature = feature_row(datetime.now(UTC))
        session.add(feature)
        session.flush()
        assert summary.show(session, clock, feature, "v1", BLOCKS)
        row = session.get(OutboxMessage, feature.summary_outbox_id)
        assert row is not None
        row.status = status
        if status is OutboxStatus.SENT:
            row.ts = "2.2"
        session.commit()
        return feature.id


@pytest.mark.parametrize("status", [OutboxStatus.PENDING, OutboxStatus.SENT])
def test_a_change_never_posts_a_second_summary(
    factory: SessionFactory, status: OutboxStatus
) -> None:
    clock = ManualClock()
    feature_id = first_summary(factory, clock, status)
    with factory() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        assert not summary.show(session, clock, feature, "v2", BLOCKS)
        session.commit()
    assert posts(factory) == 1


def test_a_change_while_the_summary_is_being_sent_posts_no_second_copy(
    factory: SessionFactory,
) -> None:
    clock = ManualClock()
    feature_id = first_summary(factory, clock, OutboxStatus.SENDING)
    with factory() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        assert not summary.show(session, clock, feature, "v2", BLOCKS)
        session.commit()
    assert posts(factory) == 1
    with factory() as session:
        [edit] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.UPDATE)
        )
        assert (edit.text, edit.feature_id, edit.in_feature_thread) == ("v2", feature_id, True)
