"""The foundation through the real HTTP endpoint: signatures, help, retries, health."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.services import outbox
from bot.store.models import Feature, OutboxMessage, ProcessedDelivery
from tests.support.bot import BotUnderTest


def test_signed_align_help_answers_with_the_command_list(bot: BotUnderTest) -> None:
    reply = bot.driver.command("/align", "help")
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "/kickoff <feature name>" in body["text"]
    # Encoded once and reused (bot/slack/listeners/commands.py): still Slack's JSON, with the
    # blocks, on every call.
    assert reply.headers["content-type"].startswith("application/json")
    assert [block["type"] for block in body["blocks"]] == ["section", "section"]
    assert bot.driver.command("/align", "").json() == body
    assert reply.elapsed_ms < 3000


def test_unknown_align_verb_is_explained_and_escaped(bot: BotUnderTest) -> None:
    # Typed @channel arrives as the ping <!channel>; it is repeated as plain text, no ping.
    reply = bot.driver.command("/align", "@channel")
    assert reply.status == 200
    text = reply.json()["text"]
    assert "`/align @channel`" in text and "<!channel>" not in text
    assert "/align help" in text
    # Typed out literally, "<!channel>" arrives as entities and goes back escaped.
    reply = bot.driver.command("/align", "&lt;!channel&gt;", encoded=True)
    text = reply.json()["text"]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text


def test_forged_signature_is_refused_and_reaches_no_handler(bot: BotUnderTest) -> None:
    body = urlencode(
        {
            "command": "/kickoff",
            "text": "Forged",
            "team_id": "T0LOCAL",
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": bot.slack.new_response_url(),
        }
    ).encode()
    reply = bot.driver.send_raw(
        body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64
    )
    assert reply.status == 401
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 0


def test_stale_timestamp_is_refused(bot: BotUnderTest) -> None:
    body = urlencode(
        {
            "command": "/kickoff",
            "text": "Stale",
            "team_id": "T0LOCAL",
            "channel_id": "C1",
            "user_id": "U1",
        }
    ).encode()
    reply = bot.driver.send_raw(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
    )
    assert reply.status == 401
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 0


def test_unsigned_request_is_refused(bot: BotUnderTest) -> None:
    request = urllib.request.Request(
        f"{bot.url}/slack/events",
        data=b"command=%2Falign&text=help",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        urllib.request.urlopen(request, timeout=5)
        raise AssertionError("expected 401")
    except urllib.error.HTTPError as error:
        assert error.code == 401


def test_oversized_body_is_refused_unread(bot: BotUnderTest) -> None:
    reply = bot.driver.send_raw(b"x" * (1024 * 1024 + 1), "application/json")
    assert reply.status == 413


def test_one_event_delivered_three_times_is_handled_once(bot: BotUnderTest) -> None:
    first = bot.driver.event(
        {
            "type": "app_home_opened",
            "user": "U0PM",
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1700000000.000100",
        }
    )
    assert first.status == 200
    bot.driver.redeliver(first, retry_num=1)
    bot.driver.redeliver(first, retry_num=2, reason="http_error")
    bot.slack.wait_for("views.publish", count=1)
    time.sleep(0.5)  # give a wrongly repeated handler the chance to show itself
    assert len(bot.slack.calls_to("views.publish")) == 1
    with bot.session() as session:
        keys = session.scalars(select(ProcessedDelivery.key)).all()
    assert keys == [f"event:{first.event_id}"]


def test_a_429_then_success_delivers_the_message_once(bot: BotUnderTest) -> None:
    bot.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    with bot.session() as session:
        outbox.post(
            session, SystemClock(), team_id="T0LOCAL", channel_id="C0FEAT", text="hello once"
        )
    bot.runtime.deps.outbox_ready.set()
    bot.settle()
    calls = bot.slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert [m["text"] for m in bot.slack.messages("C0FEAT")] == ["hello once"]
    with bot.session() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.status == "sent" and row.ts is not None


def test_healthz_reports_the_database(bot: BotUnderTest) -> None:
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}
