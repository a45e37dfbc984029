"""Slash commands, clicks and form submissions ask Slack who is in a channel with no database
transaction open, on SQLite and PostgreSQL, through signed HTTP.

The stand-in holds conversations.members (as a slow Slack would: a cold lookup may take up to
2.5 s), and while the bot waits on it the test looks at the real database: on PostgreSQL no
connection has a transaction that began before the lookup (pg_stat_activity); on SQLite the
write lock is free (another connection's BEGIN IMMEDIATE goes through at once). Meanwhile the
PM turns listening on for the same feature, a write to its row, which finishes while the first
request is still waiting. The access decisions are the same as ever: the newcomer, now in the
channel, may act; an outsider may not, and nothing of theirs is stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.localslack.driver import Delivered
from bot.localslack.payloads import buttons
from bot.localslack.workspace import BOT_USER_ID
from bot.store.listening import ListeningThread
from bot.store.models import Answer, Feature, MetricSample
from tests.support.bot import BotUnderTest
from tests.support.kickoff import CHANNEL, ENG, PM, agree, say, start, thread_messages, to_summary

NEWBIE, OUTSIDER = "U0NEWBIE", "U0OUTSIDER"
SLUG = "support-answers"


def no_transaction_during_lookup(bot: BotUnderTest, url: str) -> bool:
    """Looked at while the bot waits on Slack: no transaction began before now and is still
    open (PostgreSQL), or nobody holds the write lock (SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a writer is in
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            began = connection.scalar(text("SELECT clock_timestamp()"))
            time.sleep(0.3)  # a transaction spanning the lookup would still be open now
            open_since = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND xact_start < :began"
                ),
                {"began": began},
            )
            return open_since == 0
    finally:
        engine.dispose()


def count(bot: BotUnderTest, model: type[Any], *where: Any) -> int:
    with bot.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def listening(bot: BotUnderTest) -> bool:
    with bot.session() as session:
        return bool(session.scalars(select(Feature)).one().listening)


def in_background(send: Callable[[], Delivered]) -> tuple[threading.Thread, list[Delivered]]:
    done: list[Delivered] = []
    thread = threading.Thread(target=lambda: done.append(send()), daemon=True)
    thread.start()
    return thread, done


def said(delivered: Delivered, bot: BotUnderTest, user: str, marked: int) -> str:
    """The command's own answer, or what the clicker was told privately since `marked`."""
    bot.settle()
    texts = [str(delivered.json().get("text", ""))] if delivered.body else []
    texts += [str(c.params.get("text", "")) for c in bot.slack.calls_to("response_url")[marked:]]
    texts += [
        str(c.params.get("text", ""))
        for c in bot.slack.calls_to("chat.postEphemeral")
        if c.params.get("user") == user
    ]
    return "\n".join(texts)


def choice_question(bot: BotUnderTest, thread_ts: str) -> dict[str, Any]:
    for message in reversed(thread_messages(bot, thread_ts)):
        if "kickoff_fallback:" in str(message.get("blocks")):
            return message
    raise AssertionError("no question with answer buttons in the thread")


def metric(bot: BotUnderTest, user: str, thread_ts: str) -> Delivered:
    return bot.driver.command("/align", f"metric {SLUG} CSAT 4.3", user_id=user, channel_id=CHANNEL)


def click(bot: BotUnderTest, user: str, thread_ts: str) -> Delivered:
    question = choice_question(bot, thread_ts)
    label, _action, _value = buttons(question)[0]
    return bot.driver.press(question, label=label, user=user)


PATHS: dict[str, tuple[Callable[[BotUnderTest, str, str], Delivered], type[Any], str]] = {
    # how the request is sent, what it stores, what its sender is told when it worked
    "command": (metric, MetricSample, "Noted"),
    "click": (click, Answer, ""),
}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("who", [NEWBIE, OUTSIDER])
def test_a_cold_membership_lookup_holds_no_transaction(
    bot: BotUnderTest, database_url: str, path: str, who: str
) -> None:
    send, stored, worked = PATHS[path]
    bot.slack.add_channel(CHANNEL, "team", members=[PM, ENG])
    thread_ts = start(bot)
    for answer in ("10%", "a refund"):  # next: the fallback, with buttons to answer it
        say(bot, thread_ts, answer)  # the PM's membership is now known (and kept a minute)
    if who == NEWBIE:
        bot.slack.join(CHANNEL, NEWBIE)  # not on the kept list: the bot must ask Slack again
    before, marked = count(bot, stored), len(bot.slack.calls_to("response_url"))
    held = bot.slack.hold("conversations.members")
    sender, answered = in_background(lambda: send(bot, who, thread_ts))
    assert held.arrived.wait(10), "the request never asked Slack who is in the channel"
    try:
        assert no_transaction_during_lookup(bot, database_url)
        # Meanwhile the PM writes to the same feature, and is not kept waiting.
        steer = bot.driver.command("/align", f"listen {SLUG} on", user_id=PM, channel_id=CHANNEL)
        assert steer.status == 200 and "Listening is on" in steer.json()["text"]
        assert sender.is_alive(), "the first request finished before Slack answered it"
        assert listening(bot)  # committed while the first request still waits on Slack
        assert no_transaction_during_lookup(bot, database_url)
    finally:
        held.release()
    sender.join(10)
    (delivered,) = answered
    assert delivered.status == 200
    told = said(delivered, bot, who, marked)
    if who == NEWBIE:
        assert count(bot, stored) == before + 1, told
        assert worked in told
    else:
        assert count(bot, stored) == before, told  # refused, and nothing of theirs stored
        assert "Only members of" in told


def test_app_home_asks_slack_with_no_transaction_open(bot: BotUnderTest, database_url: str) -> None:
    """An event listener's lookup too (App Home: a private channel's feature is listed only
    to its members, so a newcomer's membership is asked of Slack)."""
    bot.slack.add_channel(CHANNEL, "team", private=True, members=[PM, ENG])
    thread_ts = start(bot)
    say(bot, thread_ts, "10%")
    bot.slack.join(CHANNEL, NEWBIE)
    published = len(bot.slack.calls_to("views.publish"))
    held = bot.slack.hold("conversations.members")
    assert (
        bot.driver.event({"type": "app_home_opened", "user": NEWBIE, "tab": "home"}).status == 200
    )
    assert held.arrived.wait(10), "App Home never asked Slack who is in the channel"
    try:
        assert no_transaction_during_lookup(bot, database_url)
    finally:
        held.release()
    home = bot.slack.wait_for("views.publish", count=published + 1)[-1].params["view"]
    assert "Support answers" in json.dumps(home)  # a member now, so it is listed


def test_a_reaction_asks_slack_with_no_transaction_open(
    bot: BotUnderTest, database_url: str
) -> None:
    """The other event listener that asks: a reaction muting a listening reply is taken only
    from a member of the channel (here a newcomer, asked of Slack)."""
    bot.slack.add_channel(CHANNEL, "team", members=[PM, ENG])
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    on = bot.driver.command("/align", f"listen {SLUG} on", user_id=PM, channel_id=CHANNEL)
    assert "Listening is on" in str(on.json().get("text")), on.body
    assert bot.driver.message(CHANNEL, "honestly the model hallucinates a lot", user=ENG).status
    claim_ts = next(
        m["ts"] for m in bot.slack.messages(CHANNEL) if "hallucinates" in str(m.get("text"))
    )
    deadline = time.monotonic() + 15
    replies: list[dict[str, Any]] = []
    while not replies and time.monotonic() < deadline:
        bot.settle()
        replies = [m for m in bot.slack.bot_messages(CHANNEL, claim_ts) if m["ts"] != claim_ts]
    assert replies, "no listening reply was posted"
    bot.slack.join(CHANNEL, NEWBIE)
    held = bot.slack.hold("conversations.members")
    reaction = {
        "type": "reaction_added",
        "user": NEWBIE,
        "reaction": "no_entry",
        "item": {"type": "message", "channel": CHANNEL, "ts": replies[0]["ts"]},
        "item_user": BOT_USER_ID,
        "event_ts": f"{time.time():.6f}",
    }
    sender, answered = in_background(lambda: bot.driver.event(reaction))
    assert held.arrived.wait(10), "the reaction never asked Slack who is in the channel"
    try:
        assert no_transaction_during_lookup(bot, database_url)
    finally:
        held.release()
    sender.join(10)
    assert answered and answered[0].status == 200
    bot.settle()
    with bot.session() as session:
        assert any(t.muted_at for t in session.scalars(select(ListeningThread)))
