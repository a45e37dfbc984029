"""What the outbox-fate tests share: Slack's permanent refusals, our words for each, and
lookups of what the bot stored."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Feature, OutboxMessage
from tests.support.bot import BotUnderTest

PM = "U0PM"
PERMANENT = [
    "invalid_auth",
    "token_revoked",
    "account_inactive",
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "msg_too_long",
    "invalid_blocks",
]
# What the person is told, by code (our words, bot/slack/blocks/undelivered.py).
TOLD = {
    "invalid_auth": "my access to this workspace is gone",
    "token_revoked": "my access to this workspace is gone",
    "account_inactive": "my access to this workspace is gone",
    "not_in_channel": "/invite @Groundline",
    "channel_not_found": "/invite @Groundline",
    "is_archived": "is archived",
    "msg_too_long": "too long",
    "invalid_blocks": "refused the message's layout",
}


def kickoff(bot: BotUnderTest, channel: str, name: str) -> None:
    reply = bot.driver.command("/kickoff", name, user_id=PM, channel_id=channel)
    assert reply.status == 200
    bot.settle()


def feature_named(bot: BotUnderTest, name: str) -> Feature | None:
    with bot.session() as session:
        return session.scalars(select(Feature).where(Feature.name == name)).one_or_none()


def stage_of(bot: BotUnderTest, feature_id: int) -> str:
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        return feature.stage


def rows_in(bot: BotUnderTest, channel: str) -> list[OutboxMessage]:
    with bot.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.channel_id == channel)
        return list(session.scalars(query.order_by(OutboxMessage.id)))
