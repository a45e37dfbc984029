"""Who may act, for the buttons and verbs tests/e2e/test_access.py does not press: withdrawing
a proposed change, the wrong-answer toggles under a run's checks, `/align wrong`, Yes/No on a
model's reading, the "Agree on a target" pointer, and muting a listening reply with a reaction.
Each is tried by someone outside the feature's channel, public and private, through signed HTTP
on SQLite and PostgreSQL; then by the people who may, so the refusal is not a broken button.

A button an outsider could not see is pressed anyway (a copied payload, a crafted value): Slack
delivers whatever is posted to the request URL with a valid signature, so the check is ours.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.localslack.workspace import BOT_USER_ID
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import reframe as reframe_blocks
from bot.store.listening import ListeningThread
from bot.store.models import EvalRun, Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import run_cli
from tests.support.kickoff import (
    CHANNEL,
    ENG,
    PM,
    agree,
    latest_summary,
    press,
    say,
    to_summary,
    versions,
)
from tests.support.paths import EVAL_FIXTURES

OUTSIDER = "U0OUTSIDER"
HIDDEN = "no longer exists"  # a click on a private channel's feature, from outside it
MEMBERS_ONLY = "Only members of"


def refused(private: bool, said: str) -> bool:
    return (HIDDEN in said or "No feature called" in said) if private else MEMBERS_ONLY in said


def agreed_in(bot: BotUnderTest, private: bool) -> str:
    bot.slack.add_channel(CHANNEL, "team", private=private, members=[PM, ENG])
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    return thread_ts


def bot_message(bot: BotUnderTest, thread_ts: str, text: str, blocks: list[Any]) -> dict[str, Any]:
    """A message with our buttons, as Slack would hold it in the feature's thread."""
    message = {"user": BOT_USER_ID, "bot_id": "B0BOT", "thread_ts": thread_ts, "text": text}
    return bot.slack.workspace.add_message(CHANNEL, message | {"blocks": blocks})


def mark(bot: BotUnderTest) -> tuple[int, int]:
    """Where the private replies stand now, for `since`."""
    bot.settle()
    return len(bot.slack.calls_to("response_url")), len(bot.slack.calls_to("chat.postEphemeral"))


def since(bot: BotUnderTest, marked: tuple[int, int], user: str = OUTSIDER) -> str:
    """What `user` was told privately after `marked` (response_url replies and ephemerals)."""
    bot.settle()
    responses = bot.slack.calls_to("response_url")[marked[0] :]
    ephemerals = bot.slack.calls_to("chat.postEphemeral")[marked[1] :]
    said = [c.params.get("text", "") for c in responses]
    said += [c.params.get("text", "") for c in ephemerals if c.params.get("user") == user]
    return "\n".join(str(text) for text in said)


def feature_id(bot: BotUnderTest) -> int:
    with bot.session() as session:
        return int(session.scalars(select(Feature.id)).one())


def withdraw_and_reading(bot: BotUnderTest, private: bool, thread_ts: str) -> None:
    say(bot, thread_ts, "change cost to $0.02 per query because the bigger model costs more", PM)
    proposal = latest_summary(bot, thread_ts)

    before = mark(bot)
    press(bot, proposal, "Withdraw this change", OUTSIDER)
    assert [v.status for v in versions(bot)] == ["agreed", "draft"]
    assert refused(private, since(bot, before))

    text, blocks = kickoff_blocks.reading(feature_id(bot), "ten percent-ish", "10%")
    reading = bot_message(bot, thread_ts, text, blocks)
    before = mark(bot)
    press(bot, reading, "Yes, that's right", OUTSIDER)
    press(bot, reading, "No", OUTSIDER)
    assert refused(private, since(bot, before))
    assert [v.status for v in versions(bot)] == ["agreed", "draft"]

    press(bot, proposal, "Withdraw this change", PM)  # the proposer still may
    assert [v.status for v in versions(bot)] == ["agreed", "withdrawn"]


def run_listing(bot: BotUnderTest, thread_ts: str) -> dict[str, Any]:
    cli = run_cli(bot, "ingest", str(EVAL_FIXTURES / "real" / "promptfoo.json"), "--feature", "1")
    assert cli.returncode == 0, cli.stderr
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        for message in bot.slack.bot_messages(CHANNEL, thread_ts):
            if str(message.get("text", "")).startswith("Checks in this file"):
                return message
        time.sleep(0.05)
    raise AssertionError("the thread never listed the run's checks")


def wrong_choice(bot: BotUnderTest) -> tuple[object, int]:
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        return (feature.wrong_checks_json or {}).get("checks"), feature.wrong_choice_version


def wrong_answer_choice(bot: BotUnderTest, private: bool, thread_ts: str) -> None:
    listing = run_listing(bot, thread_ts)
    with bot.session() as session:
        failed_before = list(session.scalars(select(EvalRun.n_failed)))
    before = wrong_choice(bot)

    said_before = mark(bot)
    press(bot, listing, "Count length", OUTSIDER)
    typed = bot.driver.command(
        "/align", "wrong support-answers length", user_id=OUTSIDER, channel_id="C0ELSE"
    )
    assert refused(private, since(bot, said_before))
    assert refused(private, str(typed.json().get("text")))
    bot.settle()
    assert wrong_choice(bot) == before
    with bot.session() as session:
        assert list(session.scalars(select(EvalRun.n_failed))) == failed_before

    press(bot, listing, "Count length", ENG)  # the feature's engineer may
    assert wrong_choice(bot)[1] == before[1] + 1


def kickoff_pointer(bot: BotUnderTest, private: bool, thread_ts: str) -> None:
    pointer = bot_message(
        bot, thread_ts, "Agree on a target", [reframe_blocks.kickoff_button(feature_id(bot))]
    )
    before = mark(bot)
    press(bot, pointer, "Agree on a target", OUTSIDER)
    said = since(bot, before)
    assert said, "the pointer answered nothing"
    # A public channel's thread is the workspace's to see; a private one's is not given away.
    assert (thread_ts.replace(".", "") in said) is not private
    assert "Support answers" not in said if private else True


def muting(bot: BotUnderTest, private: bool, thread_ts: str) -> None:
    on = bot.driver.command("/align", "listen support-answers on", user_id=PM, channel_id=CHANNEL)
    assert "Listening is on" in str(on.json().get("text")), on.body
    claim = bot.driver.message(CHANNEL, "honestly the model is hallucinating a lot", user=PM)
    assert claim.status == 200
    claim_ts = next(
        m["ts"] for m in bot.slack.messages(CHANNEL) if "hallucinating" in str(m.get("text"))
    )
    deadline = time.monotonic() + 15
    reply: dict[str, Any] | None = None
    while reply is None and time.monotonic() < deadline:
        bot.settle()
        posted = bot.slack.bot_messages(CHANNEL, claim_ts)
        reply = next((m for m in posted if m["ts"] != claim_ts), None)
        time.sleep(0.05)
    assert reply is not None, "no listening reply was posted"

    def react(user: str) -> None:
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": "no_entry",
            "item": {"type": "message", "channel": CHANNEL, "ts": reply["ts"]},
            "item_user": BOT_USER_ID,
            "event_ts": f"{time.time():.6f}",
        }
        assert bot.driver.event(event).status == 200
        bot.settle()

    def muted() -> bool:
        with bot.session() as session:
            return any(t.muted_at for t in session.scalars(select(ListeningThread)))

    react(OUTSIDER)
    assert not muted()
    assert "stay out of this thread" not in json.dumps(
        [c.params for c in bot.slack.calls_to("chat.postEphemeral")]
    )
    react(PM)
    assert muted()


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_an_outsider_is_refused_every_other_button(bot: BotUnderTest, private: bool) -> None:
    """One agreed feature (its setup is most of the time), each way in tried in turn."""
    thread_ts = agreed_in(bot, private)
    withdraw_and_reading(bot, private, thread_ts)
    wrong_answer_choice(bot, private, thread_ts)
    kickoff_pointer(bot, private, thread_ts)
    muting(bot, private, thread_ts)
