"""Private replies through a response_url queue apart from the channel's posts (bot/jobs/delivery/
loop.py UNPACED): a burst of presses on one summary is answered without waiting behind the
thread's posts, which Slack paces at one a second per channel, while posts and private replies
each stay in order among themselves. On both databases, through the claim the worker runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.jobs.delivery.loop import LEASE, private_reply
from bot.store.db import SessionFactory
from bot.store.models import OutboxMessage
from bot.store.queue import claim_heads
from bot.store.states import OutboxKind, OutboxStatus

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def row(kind: OutboxKind, text: str, channel: str = "C1", **fields: object) -> OutboxMessage:
    values: dict[str, object] = {
        "team_id": "T1",
        "channel_id": channel,
        "kind": kind,
        "text": text,
        "status": OutboxStatus.PENDING,
        "next_attempt_at": NOW,
        "created_at": NOW,
        "response_url": "https://hooks.slack.com/actions/T1/1/x" if kind == "response" else None,
    }
    return OutboxMessage(**(values | fields))


def claim(factory: SessionFactory) -> list[str]:
    with factory() as session:
        rows = claim_heads(
            session,
            OutboxMessage,
            ["team_id", "channel_id"],
            now=NOW,
            lease=LEASE,
            open_statuses=(OutboxStatus.PENDING, OutboxStatus.SENDING),
            limit=100,
            apart=private_reply,
        )
        texts = sorted(r.text for r in rows)
        for claimed in rows:  # sent: the next of its queue is the head now
            claimed.status = OutboxStatus.SENT
        session.commit()
    return texts


def test_private_replies_do_not_wait_behind_the_channels_posts(factory: SessionFactory) -> None:
    with factory() as session:
        session.add_all(
            [
                # The thread's posts: the head is rate limited (due in a minute).
                row(OutboxKind.UPDATE, "summary", next_attempt_at=NOW + timedelta(minutes=1)),
                row(OutboxKind.MESSAGE, "signed line"),
                row(OutboxKind.RESPONSE, "refusal 1"),
                row(OutboxKind.EPHEMERAL, "ephemeral"),  # chat.postEphemeral: a channel call
                row(OutboxKind.RESPONSE, "refusal 2"),
                row(OutboxKind.MESSAGE, "elsewhere", channel="C2"),
            ]
        )
        session.commit()
    # The first private reply goes at once, beside the other channel's post; the channel's
    # posts wait for their head, and the second reply for the first.
    assert claim(factory) == ["elsewhere", "refusal 1"]
    assert claim(factory) == ["refusal 2"]
    assert claim(factory) == []
    with factory() as session:
        waiting = session.query(OutboxMessage).filter_by(text="summary").one()
        waiting.next_attempt_at = NOW
        session.commit()
    assert claim(factory) == ["summary"]
    assert claim(factory) == ["signed line"]
    assert claim(factory) == ["ephemeral"]
