"""A fate for every outbox row, driven through the Slack stand-in's fault injection.

What Slack answers (docs.slack.dev/reference/methods/chat.postMessage, "Errors"; and
docs.slack.dev/apis/web-api/rate-limits): HTTP 200 with `{"ok": false, "error": "<code>"}` for
every refusal below, and HTTP 429 with a Retry-After header (seconds) and
`{"ok": false, "error": "ratelimited"}` for a rate limit. The stand-in answers the same way
(bot/localslack/handler.py `fault_reply`).

- A permanent refusal stops retrying at once, is recorded with Slack's code, is told to the
  person where a way exists, and leaves the feature usable.
- A rate limit holds back only its own channel, for as long as Slack asked.
- A transient error is retried with growing waits, a bounded number of times.
- One row's failure never rolls back or re-sends another's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.clock import ManualClock, SystemClock
from bot.jobs.delivery.loop import MAX_ATTEMPTS, DeliveryWorker
from bot.jobs.delivery.send import Outgoing, Refused, send
from bot.localslack.server import LocalSlack
from bot.services import outbox
from bot.store.queue import work_in_flight
from tests.support.bot import BotUnderTest, start_bot
from tests.support.fates import (
    PERMANENT,
    PM,
    TOLD,
    TRANSIENT,
    feature_named,
    kickoff,
    retry_waits,
    rows_in,
    stage_of,
    wait_until,
)


@pytest.fixture(scope="module")
def shared_slack() -> Iterator[LocalSlack]:
    with LocalSlack(bot_token="xoxb-test-token", team_id="T0LOCAL") as standin:
        yield standin


@pytest.fixture(scope="module")
def shared_bot(
    shared_slack: LocalSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotUnderTest]:
    """One bot (SQLite) for the per-code tests: each uses a channel of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fates')}/groundline.db"
    running = start_bot(url, shared_slack, GROUNDLINE_SCHEDULER=False)
    yield running
    running.stop()


@pytest.mark.parametrize("code", PERMANENT)
def test_a_kickoff_whose_root_message_is_refused_can_be_started_again(
    shared_bot: BotUnderTest, code: str
) -> None:
    bot, channel, name = shared_bot, f"C0ROOT{PERMANENT.index(code)}", f"Root {code}"
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    kickoff(bot, channel, name)
    (root, told) = rows_in(bot, channel)
    assert (root.kind, root.status, root.last_error, root.attempts) == (
        "kickoff_root",
        "failed",
        code,
        1,
    )  # recorded with Slack's reason, never tried again
    assert [
        c.status for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == channel
    ] == [200]
    assert told.kind == "response" and told.status == "sent"
    assert TOLD[code] in told.text and f"`/kickoff {name}` works again" in told.text
    assert feature_named(bot, name) is None  # the name is free
    kickoff(bot, channel, name)  # Slack takes it this time
    feature = feature_named(bot, name)
    assert feature is not None and feature.thread_ts is not None


@pytest.mark.parametrize("code", PERMANENT)
def test_a_thread_reply_slack_refuses_is_recorded_and_told(
    shared_bot: BotUnderTest, code: str
) -> None:
    bot, channel, name = shared_bot, f"C0REPLY{PERMANENT.index(code)}", f"Reply {code}"
    kickoff(bot, channel, name)
    feature = feature_named(bot, name)
    assert feature is not None and feature.thread_ts is not None
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    assert bot.driver.message(channel, "10%", user=PM, thread_ts=feature.thread_ts).status == 200
    bot.settle()
    refused = [r for r in rows_in(bot, channel) if r.status == "failed"]
    assert [(r.last_error, r.attempts) for r in refused] == [(code, 1)]
    if code in ("msg_too_long", "invalid_blocks"):
        # The channel works, our message did not: a plain notice where it should have been.
        notices = [m["text"] for m in bot.slack.bot_messages(channel, feature.thread_ts)]
        assert any("couldn't deliver a message here" in t and TOLD[code] in t for t in notices)
    else:
        # No way reaches the person now (no token, or not in the channel): App Home and
        # /align status say what happened, with the fix, until a later message gets through.
        published = len(bot.slack.calls_to("views.publish"))
        bot.driver.event({"type": "app_home_opened", "user": PM, "tab": "home"})
        home = bot.slack.wait_for("views.publish", count=published + 1)[-1].params["view"]
        mine = json.dumps(home).split(name, 1)[1].split("*Reply ", 1)[0]  # this feature's part
        assert TOLD[code] in mine
        status = bot.driver.command("/align", f"status {feature.slug}", channel_id=channel).json()
        assert TOLD[code] in json.dumps(status["blocks"])
    # The feature is not stuck: the next answer brings the next question.
    before = stage_of(bot, feature.id)
    answered = bot.driver.message(channel, "a refund", user=PM, thread_ts=feature.thread_ts)
    assert answered.status == 200
    bot.settle()
    assert stage_of(bot, feature.id) != before
    status = bot.driver.command("/align", f"status {feature.slug}", channel_id=channel).json()
    assert TOLD[code] not in json.dumps(status["blocks"])  # a later message got through


# Where the channel itself is the trouble (or our access is), a post cannot tell anyone there;
# a command's response_url needs neither a token nor membership.
ASKER_TOLD = [code for code in PERMANENT if code not in ("msg_too_long", "invalid_blocks")]


@pytest.mark.parametrize("code", ASKER_TOLD)
def test_a_commands_reply_slack_refuses_is_told_to_whoever_asked(
    shared_bot: BotUnderTest, code: str
) -> None:
    """`/align reframe` in a feature's channel; Slack refuses the reply: whoever asked is told,
    privately through the command's response_url, what happened and what fixes it."""
    bot, channel, name = shared_bot, f"C0ASKED{PERMANENT.index(code)}", f"Asked {code}"
    kickoff(bot, channel, name)
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    told_before = len(bot.slack.calls_to("response_url"))
    claim = "reframe the model makes stuff up all the time"
    assert bot.driver.command("/align", claim, user_id=PM, channel_id=channel).status == 200
    bot.settle()
    refused = [r for r in rows_in(bot, channel) if r.status == "failed"]
    assert [(r.last_error, r.attempts, r.user_id) for r in refused] == [(code, 1, PM)]
    told = bot.slack.calls_to("response_url")[told_before:]
    assert len(told) == 1 and TOLD[code] in str(told[0].params["text"])
    assert "I couldn't post my reply with the numbers agreed for *Asked" in told[0].params["text"]


def test_a_rate_limit_holds_back_only_its_own_channel(bot: BotUnderTest) -> None:
    """While one channel waits out Slack's Retry-After, a message queued for another channel
    goes at once (it used to wait for the whole pass, which slept inside the retry handler)."""
    bot.slack.fail("chat.postMessage", status=429, retry_after=2, channel="C0SLOW")
    for channel in ("C0SLOW", "C0FAST"):
        with bot.session() as session:
            outbox.post(session, SystemClock(), team_id="T0LOCAL", channel_id=channel, text=channel)
        bot.runtime.deps.outbox_ready.set()
        if channel == "C0SLOW":
            bot.slack.wait_for("chat.postMessage", predicate=lambda call: call.status == 429)
    bot.settle(timeout=15)
    calls = [(c.params["channel"], c.status, c.at) for c in bot.slack.calls_to("chat.postMessage")]
    slow = [(status, at) for channel, status, at in calls if channel == "C0SLOW"]
    fast = [(status, at) for channel, status, at in calls if channel == "C0FAST"]
    assert [s for s, _ in slow] == [429, 200] and [s for s, _ in fast] == [200]
    assert fast[0][1] < slow[1][1]  # the other channel did not wait for the rate limit
    assert slow[1][1] - slow[0][1] >= 1.9  # and the limited one waited as long as asked
    assert all(r.status == "sent" for r in rows_in(bot, "C0SLOW") + rows_in(bot, "C0FAST"))


def test_one_rows_failure_in_a_pass_never_touches_another_row(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    """The issue's case, in one pass for sure: the outbox is held while two kickoffs queue, one
    in a channel the bot is not in whose response_url cannot be reached, one elsewhere; then
    one pass claims both. The good channel's messages are posted exactly once; the refused
    root and the telling that cannot reach anyone each end with their fate, after a bounded
    number of tries, and nothing is left to retry."""
    bot = clocked_bot
    bot.runtime.worker.stop()  # held: nothing is claimed while the two kickoffs queue
    bot.slack.bot_not_in("C0NOTIN")
    dead = "http://127.0.0.1:9/unreachable"  # port 9 (discard): nothing listens
    bot.driver.command(
        "/kickoff", "Locked out", user_id=PM, channel_id="C0NOTIN", response_url=dead
    )
    bot.driver.command("/kickoff", "Fine here", user_id=PM, channel_id="C0FINE")
    wait_until(bot, lambda: bool(rows_in(bot, "C0NOTIN")) and len(rows_in(bot, "C0FINE")) == 2)
    worker = DeliveryWorker(bot.runtime.deps, bot.runtime.outbox_client_for, pace_seconds=0.0)
    bot.runtime.worker = worker
    assert worker.deliver_due() == 2  # both channels' head rows, claimed in the same pass
    worker.start()
    retry_waits(bot, clock, "C0NOTIN", MAX_ATTEMPTS + 2)  # each retry, on the test's clock
    fine = rows_in(bot, "C0FINE")
    assert [(r.kind, r.status, r.attempts) for r in fine] == [
        ("kickoff_root", "sent", 0),
        ("message", "sent", 0),
    ]
    posted = [c for c in bot.slack.calls_to("chat.postMessage") if c.params["channel"] == "C0FINE"]
    assert len(posted) == 2  # each once: nothing rolled back, nothing sent again
    root, told = rows_in(bot, "C0NOTIN")[0], rows_in(bot, "C0NOTIN")[-1]
    assert (root.kind, root.status, root.last_error, root.attempts) == (
        "kickoff_root",
        "failed",
        "not_in_channel",
        1,
    )
    assert (told.kind, told.status, told.attempts) == ("response", "failed", MAX_ATTEMPTS)
    assert told.last_error is not None and told.last_error.startswith("network: ")
    assert all(r.status in ("sent", "failed") for r in rows_in(bot, "C0NOTIN"))
    assert feature_named(bot, "Locked out") is None  # the name is free
    with bot.session() as session:
        assert work_in_flight(session) == 0  # no retry forever


@pytest.mark.parametrize("fault", list(TRANSIENT))
def test_transient_errors_are_retried_with_growing_waits_then_given_up(
    clocked_bot: BotUnderTest, clock: ManualClock, fault: str
) -> None:
    bot = clocked_bot
    bot.slack.fail("chat.postMessage", times=100, **TRANSIENT[fault])
    with bot.session() as session:
        outbox.post(session, clock, team_id="T0LOCAL", channel_id="C0FLAKY", text="flaky")
    waits = retry_waits(bot, clock, "C0FLAKY", MAX_ATTEMPTS + 1)
    (row,) = rows_in(bot, "C0FLAKY")
    assert (row.status, row.attempts, row.last_error) == ("failed", MAX_ATTEMPTS, fault)
    assert waits == [2.0**n for n in range(1, MAX_ATTEMPTS)]
    assert len(bot.slack.calls_to("chat.postMessage")) == MAX_ATTEMPTS


def test_a_timeout_is_a_transient_refusal(shared_slack: LocalSlack) -> None:
    """Slack slower than the client's timeout: the send comes back as a refusal to retry (the
    loop then backs off as above), never as an exception out of the sender."""
    slack = shared_slack
    slack.delay("chat.postMessage", 1.5)
    client = WebClient(token="xoxb-test-token", base_url=slack.api_url, timeout=1)
    row = Outgoing(1, "T0LOCAL", "C0SLOWER", "message", "hello", None, None, None, None)
    started = time.monotonic()
    answer = send(lambda _team: client, row)
    assert isinstance(answer, Refused) and not answer.permanent and not answer.rate_limited
    assert answer.error == "network: TimeoutError"
    assert time.monotonic() - started < 1.4  # it did not wait for Slack's late answer
