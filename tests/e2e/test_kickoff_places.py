"""Where a kickoff can run. Found by the adversarial pass: `/kickoff` typed in a direct message
with the bot started a kickoff there, which the named engineer can never see, join or sign, so
it could never be agreed (and its name stayed taken in the workspace)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.models import Feature, OutboxMessage
from tests.support.bot import BotUnderTest
from tests.support.kickoff import ENG, PM


def test_a_kickoff_in_a_direct_message_is_refused_and_nothing_is_kept(bot: BotUnderTest) -> None:
    reply = bot.driver.command(
        "/kickoff", f"Support answers <@{PM}|ana> <@{ENG}|raj>", user_id=PM, channel_id="D0PMBOT"
    )
    assert reply.status == 200
    said = reply.json()
    assert said["response_type"] == "ephemeral"
    assert "channel" in said["text"] and "direct message" in said["text"]
    bot.settle()
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The name is still free for the team's channel.
    assert bot.driver.command("/kickoff", "Support answers", channel_id="C0FEAT").body == ""
