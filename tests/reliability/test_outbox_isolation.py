"""Faults: Slack trouble confined to the row it hits. A 429 on one channel beside kickoffs in
others; a refusal whose telling cannot reach anyone, claimed in the same pass as other channels'
rows; and transient errors that never clear (Slack's internal_error, a 504, a 429 without
Retry-After), each on a question in a kickoff thread.

Counted from the stand-in's call log and the database: a row never sent (or still queued at the
end) is lost; a post beyond a row's one is a duplicate; a row given up with its reason, and told
where a way exists, is refused; a refusal without that fate counts as lost.
"""

from __future__ import annotations

import json

import pytest

from bot.clock import ManualClock
from bot.jobs.delivery.loop import MAX_ATTEMPTS, DeliveryWorker
from bot.localslack.calls import RecordedCall
from bot.localslack.server import LocalSlack
from bot.store.queue import work_in_flight
from tests.support.bot import BotUnderTest, start_bot
from tests.support.fates import (
    GAVE_UP,
    PM,
    TRANSIENT,
    feature_named,
    kickoff,
    retry_waits,
    rows_in,
    stage_of,
    wait_until,
)
from tests.support.figures import FULL, Figures, Report, backends, scaled
from tests.support.reliability import backend_of

TRIALS = scaled(1, 5)
OTHERS = scaled(3, 20)  # channels beside the one in trouble, per trial
RETRY_AFTER = scaled(2, 5)  # seconds; the other channels must not wait this long
DEAD_URL = "http://127.0.0.1:9/unreachable"  # port 9 (discard): nothing listens


def posts(slack: LocalSlack, channel: str) -> list[RecordedCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def count_delivered(figures: Figures, bot: BotUnderTest, channel: str) -> None:
    """Every row of a channel Slack took is sent, and posted once."""
    rows = rows_in(bot, channel)
    taken = [c for c in posts(bot.slack, channel) if c.ok]
    figures.lost += sum(r.status != "sent" for r in rows)
    figures.duplicates += max(0, len(taken) - len(rows))


@pytest.mark.timeout(600 if FULL else 60)
@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_a_rate_limit_holds_back_only_its_channel(
    database_url: str, slack: LocalSlack, report: Report
) -> None:
    figures = report.open("a 429 on one channel", backend_of(database_url))
    bot = start_bot(database_url, slack, GROUNDLINE_SCHEDULER=False)
    held = 0
    try:
        for trial in range(TRIALS):
            limited = f"C0LIMIT{trial:02d}"
            slack.fail("chat.postMessage", status=429, retry_after=RETRY_AFTER, channel=limited)
            figures.faults += 1
            started = bot.driver.command("/kickoff", f"Limited {trial}", channel_id=limited)
            figures.ack(started.elapsed_ms)
            slack.wait_for(
                "chat.postMessage",
                predicate=lambda c, ch=limited: c.status == 429 and c.params["channel"] == ch,
            )
            others = [f"C0FREE{trial:02d}{n:02d}" for n in range(OTHERS)]
            for n, channel in enumerate(others):
                reply = bot.driver.command("/kickoff", f"Free {trial} {n}", channel_id=channel)
                figures.ack(reply.elapsed_ms)
            bot.settle(timeout=60)
            limited_posts = posts(slack, limited)
            assert [c.status for c in limited_posts[:2]] == [429, 200]
            waited = limited_posts[1].at - limited_posts[0].at
            figures.lost += waited < RETRY_AFTER - 0.1  # it must wait as long as Slack asked
            for channel in [limited, *others]:
                count_delivered(figures, bot, channel)
            held += sum(posts(slack, channel)[0].at >= limited_posts[1].at for channel in others)
    finally:
        figures.scenario = (
            f"a 429 on one channel (Retry-After {RETRY_AFTER} s): {held} of "
            f"{TRIALS * OTHERS} kickoffs in other channels waited for it"
        )
        report.close(figures)
        bot.stop()
    assert held == 0 and figures.lost == 0 and figures.duplicates == 0


@pytest.mark.timeout(600 if FULL else 60)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_a_refusal_in_a_pass_never_touches_the_other_rows(
    database_url: str, slack: LocalSlack, report: Report
) -> None:
    """Per trial the outbox is held while a kickoff queues in a channel the bot is not in, its
    response_url unreachable, and kickoffs queue in other channels; one pass then claims all
    their first rows. The others are posted once each; the refused root and the telling that
    cannot reach anyone both end failed, with their reasons, after a bounded number of tries."""
    figures = report.open(
        "one pass: a refusal whose response_url is unreachable, beside other channels",
        backend_of(database_url),
    )
    clock = ManualClock()
    bot = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    try:
        for trial in range(TRIALS):
            bot.runtime.worker.stop()  # held while the kickoffs queue
            locked = f"C0LOCKED{trial:02d}"
            slack.bot_not_in(locked)
            figures.faults += 2  # not in the channel, and nothing at the response_url
            name = f"Locked out {trial}"
            reply = bot.driver.command("/kickoff", name, channel_id=locked, response_url=DEAD_URL)
            figures.ack(reply.elapsed_ms)
            others = [f"C0PASS{trial:02d}{n:02d}" for n in range(OTHERS)]
            for n, channel in enumerate(others):
                figures.ack(
                    bot.driver.command(
                        "/kickoff", f"Beside {trial} {n}", channel_id=channel
                    ).elapsed_ms
                )
            queued = [locked, *others]
            wait_until(bot, lambda ch=queued: all(rows_in(bot, c) for c in ch))
            worker = DeliveryWorker(bot.runtime.deps, bot.runtime.outbox_client_for, pace_seconds=0)
            bot.runtime.worker = worker
            assert worker.deliver_due() == OTHERS + 1  # one pass: every channel's head row
            worker.start()
            retry_waits(bot, clock, locked, MAX_ATTEMPTS + 2)
            for channel in others:
                count_delivered(figures, bot, channel)
            root, *_, told = rows_in(bot, locked)
            root_fate = (root.kind, root.status, root.last_error) == (
                "kickoff_root",
                "failed",
                "not_in_channel",
            )
            told_fate = (told.kind, told.status, told.attempts) == (
                "response",
                "failed",
                MAX_ATTEMPTS,
            )
            usable = feature_named(bot, name) is None  # the name is free for /kickoff again
            figures.refused += root_fate + told_fate
            figures.lost += 2 - (root_fate and usable) - told_fate
            with bot.session() as session:
                figures.lost += work_in_flight(session)  # nothing may be left retrying
    finally:
        report.close(figures)
        bot.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.refused == 2 * TRIALS


@pytest.mark.timeout(600 if FULL else 60)
@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_transient_errors_that_never_clear_end_in_a_fate(
    database_url: str, slack: LocalSlack, report: Report
) -> None:
    """A question in a kickoff thread meets the same transient error on every try: it is tried
    MAX_ATTEMPTS times with doubling waits, then recorded failed with the error, App Home and
    `/align status` say so, and the next answer (Slack working again) still moves the kickoff."""
    figures = report.open(
        f"transient errors that never clear ({len(TRANSIENT)} kinds): bounded retries, then a fate",
        backend_of(database_url),
    )
    clock = ManualClock()
    bot = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    try:
        for trial in range(TRIALS):
            for index, (error, fault) in enumerate(TRANSIENT.items()):
                channel, name = f"C0FLAKY{trial:02d}{index}", f"Flaky {error} {trial}"
                kickoff(bot, channel, name)
                figures.requests += 1
                feature = feature_named(bot, name)
                assert feature is not None and feature.thread_ts is not None
                slack.fail("chat.postMessage", times=MAX_ATTEMPTS, channel=channel, **fault)
                figures.faults += MAX_ATTEMPTS
                answered = bot.driver.message(channel, "10%", user=PM, thread_ts=feature.thread_ts)
                figures.ack(answered.elapsed_ms)
                waits = retry_waits(bot, clock, channel, MAX_ATTEMPTS + 1)
                failed = [r for r in rows_in(bot, channel) if r.status == "failed"]
                fate = [(r.last_error, r.attempts) for r in failed] == [(error, MAX_ATTEMPTS)]
                backed_off = waits == [2.0**n for n in range(1, MAX_ATTEMPTS)]
                status = bot.driver.command("/align", f"status {feature.slug}", channel_id=channel)
                figures.ack(status.elapsed_ms)
                told = GAVE_UP in json.dumps(status.json().get("blocks"))
                before = stage_of(bot, feature.id)
                answered = bot.driver.message(
                    channel, "a refund", user=PM, thread_ts=feature.thread_ts
                )
                figures.ack(answered.elapsed_ms)
                retry_waits(bot, clock, channel, 2)
                usable = stage_of(bot, feature.id) != before
                figures.refused += fate
                figures.lost += not (fate and backed_off and told and usable)
                taken = [c for c in posts(slack, channel) if c.ok]
                sent = [r for r in rows_in(bot, channel) if r.status == "sent"]
                figures.duplicates += max(0, len(taken) - len(sent))
    finally:
        report.close(figures)
        bot.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.refused == TRIALS * len(TRANSIENT)
