"""A number only put forward as a question ("8%?") is held and asked about, through signed HTTP:
a yes or 👍 in the next reply notes it as its proposer's answer; anything else (a doubt, another
number) leaves it unstored, and a later "ok" about something else never revives it."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.kickoff import ENG, PM, answer, kickoff_targets, start


def stored_rate(bot: BotUnderTest) -> object:
    with bot.session() as session:
        return kickoff_targets(session.scalars(select(Feature)).one()).get("max_error_rate")


def test_a_proposal_counts_only_when_the_next_reply_says_yes(bot: BotUnderTest) -> None:
    thread_ts = start(bot)
    asked = answer(bot, thread_ts, "it's only drafts, so maybe looser. 8%?", user=ENG)
    assert "Shall I note" in asked and "at most 8% of answers wrong" in asked
    assert stored_rate(bot) is None
    noted = answer(bot, thread_ts, "👍", user=PM)
    assert "Noted: error rate at most 8%" in noted
    assert stored_rate(bot) == 0.08


def test_a_proposal_met_with_doubt_is_never_stored(bot: BotUnderTest) -> None:
    thread_ts = start(bot)
    answer(bot, thread_ts, "3%?", user=ENG)
    answer(bot, thread_ts, "hmm, I'd rather not commit to a number before legal has seen it")
    answer(bot, thread_ts, "ok, let's pick this up on thursday", user=ENG)
    assert stored_rate(bot) is None
    with bot.session() as session:
        assert session.scalars(select(Feature)).one().stage == "error_rate"
