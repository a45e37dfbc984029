"""Where a kickoff can run, and who it can name. Found by the adversarial pass: `/kickoff`
typed in a direct message with the bot started a kickoff there, which the named engineer can
never see, join or sign, so it could never be agreed (and its name stayed taken)."""

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


def test_the_bot_cannot_be_named_to_sign(bot: BotUnderTest) -> None:
    """Found by the adversarial pass: `/kickoff … @ana @groundline` made the bot the engineer,
    and since a named role is held, nobody could ever sign as engineer."""
    for text in ["Support answers <@U0PM|ana> <@U0BOT|groundline>", "Search <@U0BOT|groundline>"]:
        reply = bot.driver.command("/kickoff", text, user_id=PM, channel_id="C0FEAT")
        said = reply.json()
        assert said["response_type"] == "ephemeral" and "can't sign" in said["text"], said
    bot.settle()
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 0


def test_a_third_person_named_is_refused_rather_than_dropped(bot: BotUnderTest) -> None:
    """Found by the adversarial pass: `/kickoff … @ana @raj @kim` started with kim silently
    left out, though whoever typed it may have meant kim to sign."""
    text = "Support answers <@U0PM|ana> <@U0ENG|raj> <@U0OTHER|kim>"
    reply = bot.driver.command("/kickoff", text, user_id=PM, channel_id="C0FEAT")
    said = reply.json()
    assert said["response_type"] == "ephemeral" and "two people" in said["text"], said
    bot.settle()
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 0
