"""Faults: Slack refuses for good. For each of its permanent answers (bot/localslack's fault
injection answers as Slack does: HTTP 200, `ok: false`, the code), once on a kickoff's root
message and once on a question in its thread, and a rate limit on one channel beside another.

Every refused row must get its fate: recorded with Slack's code, never tried again, the person
told where a way exists (the `/kickoff` response_url, a notice in the thread, App Home and
`/align status`), the feature left usable. A refusal without all of that counts as lost.

And once on a post someone asked for (`/align listen`'s note to the channel): told to them
through their command's response_url (a malformed one: the notice where it should have been).
"""

from __future__ import annotations

import json

import pytest

from bot.localslack.server import LocalSlack
from tests.support.bot import BotUnderTest, start_bot
from tests.support.fates import PERMANENT, PM, TOLD, feature_named, kickoff, rows_in, stage_of
from tests.support.figures import FULL, Figures, Report, backends, scaled
from tests.support.reliability import backend_of

TRIALS = scaled(1, 3)


@pytest.mark.timeout(600 if FULL else 90)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_every_message_slack_refuses_gets_a_fate(
    database_url: str, slack: LocalSlack, report: Report
) -> None:
    figures = report.open(
        "Slack refuses for good (8 codes): every row gets a fate", backend_of(database_url)
    )
    bot = start_bot(database_url, slack, GROUNDLINE_SCHEDULER=False)
    try:
        for trial in range(TRIALS):
            for index, code in enumerate(PERMANENT):
                root_refused(bot, figures, code, f"C0RR{trial}{index}", f"Root {code} {trial}")
                reply_refused(bot, figures, code, f"C0RQ{trial}{index}", f"Reply {code} {trial}")
                asked_refused(bot, figures, code, f"C0RA{trial}{index}", f"Asked {code} {trial}")
    finally:
        report.close(figures)
        bot.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.refused == 3 * TRIALS * len(PERMANENT)


def ack(figures: Figures, status: int, elapsed_ms: float) -> None:
    assert status == 200
    figures.ack(elapsed_ms)


def posted_twice(bot: BotUnderTest, channel: str) -> int:
    texts = [m.get("text", "") for m in bot.slack.bot_messages(channel)]
    return len(texts) - len(set(texts))


def root_refused(bot: BotUnderTest, figures: Figures, code: str, channel: str, name: str) -> None:
    """The kickoff's root message refused: told through /kickoff's response_url, the feature
    removed, and the same name starts a kickoff again."""
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    figures.faults += 1
    started = bot.driver.command("/kickoff", name, user_id=PM, channel_id=channel)
    ack(figures, started.status, started.elapsed_ms)
    bot.settle()
    root, *rest = rows_in(bot, channel)
    fate = root.status == "failed" and root.last_error == code and root.attempts == 1
    told = any(r.kind == "response" and r.status == "sent" and TOLD[code] in r.text for r in rest)
    again = bot.driver.command("/kickoff", name, user_id=PM, channel_id=channel)
    ack(figures, again.status, again.elapsed_ms)
    bot.settle()
    feature = feature_named(bot, name)
    usable = feature is not None and feature.thread_ts is not None
    figures.refused += fate
    figures.lost += not (fate and told and usable)
    figures.duplicates += posted_twice(bot, channel)


def reply_refused(bot: BotUnderTest, figures: Figures, code: str, channel: str, name: str) -> None:
    """A question in the kickoff thread refused: recorded, told (a notice where it belonged, or
    App Home and /align status), and the next answer still moves the kickoff on."""
    kickoff(bot, channel, name)
    figures.requests += 1
    feature = feature_named(bot, name)
    assert feature is not None and feature.thread_ts is not None
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    figures.faults += 1
    answered = bot.driver.message(channel, "10%", user=PM, thread_ts=feature.thread_ts)
    ack(figures, answered.status, answered.elapsed_ms)
    bot.settle()
    failed = [r for r in rows_in(bot, channel) if r.status == "failed"]
    fate = [(r.last_error, r.attempts) for r in failed] == [(code, 1)]
    if code in ("msg_too_long", "invalid_blocks"):
        texts = [m.get("text", "") for m in bot.slack.bot_messages(channel, feature.thread_ts)]
        told = any("couldn't deliver a message here" in text for text in texts)
    else:
        status = bot.driver.command("/align", f"status {feature.slug}", channel_id=channel)
        ack(figures, status.status, status.elapsed_ms)
        told = TOLD[code] in json.dumps(status.json().get("blocks"))
    before = stage_of(bot, feature.id)
    answered = bot.driver.message(channel, "a refund", user=PM, thread_ts=feature.thread_ts)
    ack(figures, answered.status, answered.elapsed_ms)
    bot.settle()
    usable = stage_of(bot, feature.id) != before
    figures.refused += fate
    figures.lost += not (fate and told and usable)
    figures.duplicates += posted_twice(bot, channel)


def asked_refused(bot: BotUnderTest, figures: Figures, code: str, channel: str, name: str) -> None:
    """`/align listen F on`, whose note to the channel Slack refuses: the person who asked is
    told privately which post failed and the fix (a malformed one: a notice in its place), and
    listening is on all the same."""
    kickoff(bot, channel, name)
    figures.requests += 1
    feature = feature_named(bot, name)
    assert feature is not None
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    figures.faults += 1
    marked = len(bot.slack.calls_to("response_url"))
    asked = bot.driver.command("/align", f"listen {feature.slug} on", channel_id=channel)
    ack(figures, asked.status, asked.elapsed_ms)
    bot.settle()
    failed = [r for r in rows_in(bot, channel) if r.status == "failed"]
    fate = [(r.last_error, r.attempts, r.user_id) for r in failed] == [(code, 1, PM)]
    if code in ("msg_too_long", "invalid_blocks"):
        texts = [m.get("text", "") for m in bot.slack.bot_messages(channel)]
        told = any("couldn't deliver a message here" in text for text in texts)
    else:
        said = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")[marked:]]
        told = any("I couldn't post" in text and TOLD[code] in text for text in said)
    after = feature_named(bot, name)
    usable = after is not None and after.listening
    figures.refused += fate
    figures.lost += not (fate and told and usable)
    figures.duplicates += posted_twice(bot, channel)
