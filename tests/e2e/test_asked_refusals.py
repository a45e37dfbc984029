"""A post a person asked for, refused by Slack for good: that person is told, privately through
their own request's response_url, which post failed, why, what fixes it, and what is stored all
the same. One test per path that posts on someone's command, click or form, through signed
HTTP, against the stand-in made to refuse the post (HTTP 200, `ok: false`, the code, as
Slack answers: docs.slack.dev/reference/methods/chat.postMessage, "Errors").

Each path runs in a channel of its own on one bot per database (SQLite and PostgreSQL). Posts
that follow from a message typed in a thread have no response_url: they are told in App Home
and `/align status` (tests/e2e/test_outbox_fates.py; docs/reliability.md says so).
(Over 300 lines: one test for each path that posts on someone's say-so.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.localslack.payloads import buttons
from bot.localslack.server import LocalSlack
from bot.store.models import Feature, OutboxMessage
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import add_failing_run, run_cli
from tests.support.fates import TOLD
from tests.support.kickoff import PLAIN_ANSWERS
from tests.support.paths import EVAL_FIXTURES
from tests.support.rows import mark_agreed

PM, ENG = "U0PM", "U0ENG"
TARGETS = {"max_error_rate": 0.10, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}
_channels = iter(range(100))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def asked_bot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotUnderTest]:
    """One bot per database for this module's paths; each test has a channel of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('asked')}/groundline.db"
    else:
        server = request.getfixturevalue("postgres")
        name = server.fresh_database("asked")
        url = server.url(name)
    with LocalSlack(bot_token="xoxb-test-token", team_id="T0LOCAL") as slack:
        running = start_bot(url, slack, GROUNDLINE_SCHEDULER=False)
        yield running
        running.stop()


# --- helpers ---------------------------------------------------------------------------------
def channel_for(bot: BotUnderTest) -> str:
    channel = f"C0ASK{next(_channels):02d}"
    bot.slack.add_channel(channel, channel.lower(), members=[PM, ENG])
    return channel


def kickoff(bot: BotUnderTest, channel: str, name: str) -> Feature:
    text = f"{name} <@{PM}|ana> <@{ENG}|raj>"
    assert bot.driver.command("/kickoff", text, user_id=PM, channel_id=channel).status == 200
    bot.settle()
    return feature_named(bot, name)


def feature_named(bot: BotUnderTest, name: str) -> Feature:
    with bot.session() as session:
        feature = session.scalars(select(Feature).where(Feature.name == name)).one()
        session.expunge(feature)
    assert feature.thread_ts is not None
    return feature


def agreed(bot: BotUnderTest, channel: str, name: str) -> Feature:
    """A feature whose targets both people signed (stored as the sign-off stores them)."""
    kickoff(bot, channel, name)
    with bot.session() as session:
        feature = session.scalars(select(Feature).where(Feature.name == name)).one()
        mark_agreed(feature, TARGETS, PM, ENG)
    return feature_named(bot, name)


def answered(bot: BotUnderTest, channel: str, feature: Feature, answers: list[str]) -> None:
    for text in answers:
        reply = bot.driver.message(channel, text, user=PM, thread_ts=feature.thread_ts)
        assert reply.status == 200
        bot.settle()


def refuse_next_post(bot: BotUnderTest, channel: str, code: str) -> int:
    """Slack will refuse the next chat.postMessage in `channel`; returns where the private
    replies stand now."""
    bot.settle()
    bot.slack.fail("chat.postMessage", status=200, error=code, channel=channel)
    return len(bot.slack.calls_to("response_url"))


def told_after(bot: BotUnderTest, marked: int, code: str, *words: str) -> str:
    """The one private reply telling of the refusal, after `marked`; checks it has Slack's
    reason in our words and `words`, and that the refused row has its fate."""
    deadline = time.monotonic() + 15
    while True:
        bot.settle()
        said = [
            str(c.params.get("text", ""))
            for c in bot.slack.calls_to("response_url")[marked:]
            if "I couldn't post" in str(c.params.get("text", ""))
        ]
        if said or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(said) == 1, said
    for expected in (TOLD[code], *words):
        assert expected in said[0], (expected, said[0])
    with bot.session() as session:
        failed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "failed")
        ).all()
        assert any(row.last_error == code and row.asked_json for row in failed)
    return said[0]


def bot_message(bot: BotUnderTest, channel: str, has: str, thread_ts: str | None = None) -> Any:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        for message in reversed(bot.slack.bot_messages(channel, thread_ts)):
            if has in json.dumps(message.get("blocks")) or has in str(message.get("text")):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no message with {has!r} in {channel}")


def press(bot: BotUnderTest, message: dict[str, Any], label: str, user: str = PM) -> None:
    assert bot.driver.press(message, label=label, user=user).status == 200


def report_with_options(bot: BotUnderTest, channel: str, feature: Feature) -> dict[str, Any]:
    add_failing_run(bot, feature.id)
    reply = bot.driver.command("/align", f"report {feature.slug}", user_id=PM, channel_id=channel)
    assert "Posting the report" in reply.json()["text"]
    message: dict[str, Any] = bot_message(bot, channel, "report_decision")
    return message


# --- slash commands --------------------------------------------------------------------------
def test_align_listen(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Listen asked")
    marked = refuse_next_post(bot, channel, "not_in_channel")
    bot.driver.command("/align", f"listen {feature.slug} on", user_id=PM, channel_id=channel)
    told_after(bot, marked, "not_in_channel", "listening is on", "Listening is on all the same")


def test_align_report(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Report asked")
    marked = refuse_next_post(bot, channel, "is_archived")
    reply = bot.driver.command("/align", f"report {feature.slug}", user_id=PM, channel_id=channel)
    assert "Posting the report" in reply.json()["text"]
    told_after(
        bot, marked, "is_archived", "the report for *Report asked*", "/align report report-asked"
    )


def test_align_wrong(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Wrong asked")
    ingest = run_cli(
        bot, "ingest", str(EVAL_FIXTURES / "real" / "promptfoo.json"), "--feature", feature.slug
    )
    assert ingest.returncode == 0, ingest.stderr
    bot_message(bot, channel, "Checks in this file", feature.thread_ts)
    marked = refuse_next_post(bot, channel, "channel_not_found")
    reply = bot.driver.command(
        "/align", f"wrong {feature.slug} default", user_id=PM, channel_id=channel
    )
    assert "Done" in reply.json()["text"]
    told_after(bot, marked, "channel_not_found", "what counts as a wrong answer", "stored all")


def test_reframe_shortcut(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    agreed(bot, channel, "Shortcut asked")
    assert bot.driver.message(channel, "honestly it hallucinates", user=ENG).status == 200
    bot.settle()
    posted = bot.slack.messages(channel)[-1]
    marked = refuse_next_post(bot, channel, "token_revoked")
    bot.driver.message_shortcut("reframe_message", posted, channel, user=PM)
    told_after(bot, marked, "token_revoked", "my reply with the numbers agreed")


# --- clicks and forms --------------------------------------------------------------------------
def test_a_decision_button(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Decision asked")
    report = report_with_options(bot, channel, feature)
    marked = refuse_next_post(bot, channel, "not_in_channel")
    press(bot, report, "A) Stronger model", ENG)
    told_after(bot, marked, "not_in_channel", "your choice (A)", "Your choice is recorded")


def test_a_decision_note_form(asked_bot: BotUnderTest) -> None:
    """A form has no response_url: it carries the one of the click that opened it."""
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Note asked")
    report = report_with_options(bot, channel, feature)
    press(bot, report, "B) Filter or fallback", ENG)
    confirmation = bot_message(bot, channel, "chose B)", report["ts"])
    opened = len(bot.slack.calls_to("views.open"))
    press(bot, confirmation, "Add a note", ENG)
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    marked = refuse_next_post(bot, channel, "account_inactive")
    note = bot.driver.view_submission(form, {"decision_note": "good enough for now"}, user=ENG)
    assert note.status == 200
    told_after(bot, marked, "account_inactive", "your note on the decision", "Your note is saved")


def test_a_wrong_answer_button(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Toggle asked")
    ingest = run_cli(
        bot, "ingest", str(EVAL_FIXTURES / "real" / "promptfoo.json"), "--feature", feature.slug
    )
    assert ingest.returncode == 0, ingest.stderr
    listing = bot_message(bot, channel, "wrong_answer_choice", feature.thread_ts)
    label = next(label for label, action, _ in buttons(listing) if "wrong_answer" in action)
    marked = refuse_next_post(bot, channel, "invalid_auth")
    press(bot, listing, label)
    told_after(bot, marked, "invalid_auth", "what counts as a wrong answer")


def test_a_kickoff_choice_button(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = kickoff(bot, channel, "Choice asked")
    answered(bot, channel, feature, PLAIN_ANSWERS[:2])
    question = bot_message(bot, channel, "kickoff_fallback:", feature.thread_ts)
    label = buttons(question)[0][0]
    marked = refuse_next_post(bot, channel, "not_in_channel")
    press(bot, question, label)
    told_after(bot, marked, "not_in_channel", "my reply in the kickoff thread of *Choice asked*")


def test_a_sign_off_button(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = kickoff(bot, channel, "Signed asked")
    answered(bot, channel, feature, PLAIN_ANSWERS)
    summary = bot_message(bot, channel, "signoff_pm", feature.thread_ts)
    marked = refuse_next_post(bot, channel, "is_archived")
    press(bot, summary, "Sign off as PM")
    told_after(bot, marked, "is_archived", "kickoff thread of *Signed asked*", "recorded all")


def test_an_edit_form(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = kickoff(bot, channel, "Edit asked")
    answered(bot, channel, feature, PLAIN_ANSWERS)
    summary = bot_message(bot, channel, "signoff_pm", feature.thread_ts)
    opened = len(bot.slack.calls_to("views.open"))
    press(bot, summary, "Edit error rate")
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    marked = refuse_next_post(bot, channel, "channel_not_found")
    sent = bot.driver.view_submission(form, {"edit_value": "8%"}, user=PM)
    assert sent.status == 200 and "errors" not in sent.body, sent.body
    told_after(bot, marked, "channel_not_found", "kickoff thread of *Edit asked*")


def test_a_withdraw_button(asked_bot: BotUnderTest) -> None:
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Withdraw asked")
    change = "change cost to $0.02 per query because the bigger model costs more"
    answered(bot, channel, feature, [change])
    proposal = bot_message(bot, channel, "targets_withdraw", feature.thread_ts)
    marked = refuse_next_post(bot, channel, "not_in_channel")
    press(bot, proposal, "Withdraw this change")
    told_after(bot, marked, "not_in_channel", "kickoff thread of *Withdraw asked*")


def test_groundline_report_post(asked_bot: BotUnderTest) -> None:
    """The CLI's `--post` waits for Slack's answer: a refusal is one line with the fix and
    exit 1 (it said "posted report N" whatever Slack answered)."""
    bot, channel = asked_bot, channel_for(asked_bot)
    feature = agreed(bot, channel, "Cli asked")
    refuse_next_post(bot, channel, "not_in_channel")
    env = {
        "DATABASE_URL": bot.runtime.settings.DATABASE_URL,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": bot.slack.api_url,
        "PATH": "/usr/bin:/bin",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "report", feature.slug, "--post"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 1, refused.stderr
    assert "Slack refused report" in refused.stderr and "not_in_channel" in refused.stderr
    assert "/invite @Groundline" in refused.stderr and "posted report" not in refused.stderr
    posted = subprocess.run(
        [sys.executable, "-m", "bot", "report", feature.slug, "--post"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert posted.returncode == 0 and "posted report" in posted.stderr, posted.stderr
