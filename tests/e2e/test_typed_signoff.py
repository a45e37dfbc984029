"""A sign-off typed as a busy person types it ("lgtm, signing off 👍") signs nothing, since a
sign-off signs exactly the summary it was pressed on; found by the adversarial pass, where the
bot said nothing at all, so the engineer believed they had signed and the targets stayed
unagreed. The bot now says so in the thread and points at the button still to press."""

from __future__ import annotations

from tests.support.bot import BotUnderTest
from tests.support.kickoff import (
    ENG,
    PM,
    agree,
    latest_summary,
    press,
    say,
    signoffs,
    thread_messages,
    to_summary,
)


def newest(bot: BotUnderTest, thread_ts: str) -> str:
    return str(thread_messages(bot, thread_ts)[-1].get("text", ""))


def test_a_typed_sign_off_is_answered_with_the_button_to_press(bot: BotUnderTest) -> None:
    thread_ts = to_summary(bot)
    press(bot, latest_summary(bot, thread_ts), "Sign off as PM", PM)
    count = len(thread_messages(bot, thread_ts))
    say(bot, thread_ts, "lgtm, signing off 👍", user=ENG)
    reply = newest(bot, thread_ts)
    assert len(thread_messages(bot, thread_ts)) == count + 1
    assert "doesn't sign" in reply and "Sign off as engineer" in reply
    assert "Sign off as PM" not in reply  # the PM has signed: only the missing role is named
    assert [s.role for s in signoffs(bot)] == ["pm"]  # nothing was signed by typing

    say(bot, thread_ts, "thanks both!", user=ENG)  # plain chatter still gets no reply
    assert len(thread_messages(bot, thread_ts)) == count + 1


def test_after_agreement_only_an_open_proposal_gets_the_pointer(bot: BotUnderTest) -> None:
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    count = len(thread_messages(bot, thread_ts))
    say(bot, thread_ts, "approved", user=PM)  # nothing awaits a sign-off: no reply
    assert len(thread_messages(bot, thread_ts)) == count

    say(bot, thread_ts, "change latency to 1.5 s because users leave early", user=ENG)
    say(bot, thread_ts, "Signed off", user=PM)
    reply = newest(bot, thread_ts)
    assert "doesn't sign" in reply
    assert "Sign off as PM" in reply and "Sign off as engineer" in reply
