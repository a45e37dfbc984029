"""Who may act, through signed HTTP against the running bot: every verb tried by someone outside
the feature's channel, in a public and in a private channel, on SQLite and PostgreSQL.

The channel's members are declared in the stand-in, which answers conversations.info and
conversations.members as Slack does (paged, private channels invisible to a bot not in them).
(Over 300 lines: every verb, in each kind of channel, on both databases: one matrix.)
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.localslack.driver import Delivered
from bot.store.models import (
    Answer,
    Decision,
    Feature,
    FeatureToken,
    MetricSample,
    OutboxMessage,
    Report,
    SignOff,
)
from tests.support.bot import BotUnderTest
from tests.support.evals import add_failing_run
from tests.support.rows import mark_agreed

TEAM_CHANNEL, ELSEWHERE = "C0TEAM", "C0ELSE"
PM, ENG, MEMBER, OUTSIDER = "U0PM", "U0ENG", "U0MEMBER", "U0OUTSIDER"
PLAIN_ANSWERS = ["10%", "a refund", "say I'm not sure", "CSAT ≥ 4", "2 s", "$0.01 per query"]
TARGETS = {"max_error_rate": 0.10, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}
HIDDEN = "No feature called"  # what a private channel's feature is, to anyone outside it
MEMBERS_ONLY = "Only members of"
STEER_ONLY = "Only the feature's PM, its engineer, someone who signed"


# --- helpers ---------------------------------------------------------------------------------
def setup_channel(bot: BotUnderTest, private: bool) -> None:
    bot.slack.add_channel(TEAM_CHANNEL, "team", private=private, members=[PM, ENG, MEMBER])


def count(bot: BotUnderTest, model: type[Any], *where: Any) -> int:
    with bot.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def feature_row(bot: BotUnderTest) -> Feature:
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        session.expunge(feature)
        return feature


def thread_posts(bot: BotUnderTest, thread_ts: str) -> list[dict[str, Any]]:
    bot.settle()
    return [m for m in bot.slack.bot_messages(TEAM_CHANNEL, thread_ts) if m["ts"] != thread_ts]


def told(bot: BotUnderTest, user: str) -> str:
    """Everything said privately to `user`: response_url replies and ephemeral messages."""
    bot.settle()
    said = [c.params.get("text", "") for c in bot.slack.calls_to("response_url")]
    said += [
        c.params.get("text", "")
        for c in bot.slack.calls_to("chat.postEphemeral")
        if c.params.get("user") == user
    ]
    return "\n".join(str(text) for text in said)


def command(bot: BotUnderTest, text: str, user: str, channel: str = ELSEWHERE) -> str:
    reply = bot.driver.command("/align", text, user_id=user, channel_id=channel)
    assert reply.status == 200, reply.body
    return str(reply.json().get("text", "")) if reply.body else ""


def refused(private: bool, reply: str) -> bool:
    """An outsider's answer: the feature does not exist (private) or is members-only."""
    return (HIDDEN in reply) if private else (MEMBERS_ONLY in reply or STEER_ONLY in reply)


def refused_kickoff(private: bool, reply: str) -> bool:
    """A kickoff's clicks and answers, refused: as if it did not exist, or members only."""
    return ("no longer exists" in reply) if private else (MEMBERS_ONLY in reply)


def start_kickoff(bot: BotUnderTest) -> str:
    reply = bot.driver.command(
        "/kickoff", f"Secret plan <@{PM}|ana> <@{ENG}|raj>", user_id=PM, channel_id=TEAM_CHANNEL
    )
    assert reply.status == 200
    bot.settle()
    thread_ts = feature_row(bot).thread_ts
    assert thread_ts is not None
    return thread_ts


def answer(bot: BotUnderTest, thread_ts: str, text: str, user: str = PM) -> Delivered:
    reply = bot.driver.message(TEAM_CHANNEL, text, user=user, thread_ts=thread_ts)
    bot.settle()
    return reply


def press(bot: BotUnderTest, message: dict[str, Any], label: str, user: str) -> Delivered:
    reply = bot.driver.press(message, label=label, user=user)
    assert reply.status == 200
    bot.settle()
    return reply


def wait_for_report(bot: BotUnderTest) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        for message in bot.slack.bot_messages(TEAM_CHANNEL):
            if "thread_ts" not in message and "report_decision" in json.dumps(message["blocks"]):
                return message
        time.sleep(0.05)
    raise AssertionError("no report with decision buttons was posted")


# --- the kickoff: answers, buttons, edits, sign-offs ----------------------------------------
@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_an_outsider_cannot_take_part_in_a_kickoff(bot: BotUnderTest, private: bool) -> None:
    setup_channel(bot, private)
    thread_ts = start_kickoff(bot)

    # A typed answer from outside the channel is not stored.
    answer(bot, thread_ts, "50%", user=OUTSIDER)
    assert count(bot, Answer) == 0
    assert feature_row(bot).stage == "error_rate"
    assert refused_kickoff(private, told(bot, OUTSIDER))
    for text in PLAIN_ANSWERS[:2]:
        answer(bot, thread_ts, text)

    # A choice button pressed from outside answers nothing.
    fallback_question = thread_posts(bot, thread_ts)[-1]
    press(bot, fallback_question, "Hand over to a human", OUTSIDER)
    assert feature_row(bot).stage == "fallback"
    for text in PLAIN_ANSWERS[2:]:
        answer(bot, thread_ts, text)
    tradeoff_question = thread_posts(bot, thread_ts)[-1]
    press(bot, tradeoff_question, "Latency can give", OUTSIDER)
    assert feature_row(bot).stage == "tradeoff"
    press(bot, tradeoff_question, "Latency can give", MEMBER)  # a member may answer
    assert feature_row(bot).stage == "review"
    summary = thread_posts(bot, thread_ts)[-1]

    # Edits: the button opens no form, a submitted form changes nothing, typed edits neither.
    opened = len(bot.slack.calls_to("views.open"))
    edit_label = "Edit error rate"
    press(bot, summary, edit_label, OUTSIDER)
    assert len(bot.slack.calls_to("views.open")) == opened
    press(bot, summary, edit_label, PM)
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    submitted = bot.driver.view_submission(form, {"edit_value": "50%"}, user=OUTSIDER)
    assert "errors" in submitted.body
    answer(bot, thread_ts, "change error rate to 50%", user=OUTSIDER)
    with bot.session() as session:
        version = session.scalars(select(Feature)).one().target_versions[-1]
        assert version.values_json["max_error_rate"] == 0.10

    # Sign-offs from outside the channel sign nothing, even the role nobody holds.
    press(bot, summary, "Sign off as PM", OUTSIDER)
    press(bot, summary, "Sign off as engineer", OUTSIDER)
    assert count(bot, SignOff) == 0
    assert refused_kickoff(private, told(bot, OUTSIDER))

    # The members themselves still get through.
    press(bot, summary, "Sign off as PM", PM)
    press(bot, summary, "Sign off as engineer", ENG)
    assert feature_row(bot).stage == "agreed"


# --- an agreed feature: every /align verb, App Home, reframe, decisions, notes --------------
def agreed_feature(bot: BotUnderTest) -> Feature:
    start_kickoff(bot)
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        mark_agreed(feature, TARGETS, PM, ENG)
        session.flush()
        session.expunge_all()
    return feature_row(bot)


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_an_outsider_can_neither_see_nor_steer_nor_act(bot: BotUnderTest, private: bool) -> None:
    setup_channel(bot, private)
    feature = agreed_feature(bot)
    slug = feature.slug
    token_reply = command(bot, f"token {slug}", PM, TEAM_CHANNEL)
    assert "Upload token for" in token_reply
    outbox_before = count(bot, OutboxMessage)

    # See: the list, one feature, the schedule, App Home.
    listed = command(bot, "status", OUTSIDER)
    assert ("Secret plan" in listed) is not private
    one = command(bot, f"status {slug}", OUTSIDER)
    assert (HIDDEN in one) is private and ("Secret plan" in one) is not private
    schedule_seen = command(bot, f"schedule {slug}", OUTSIDER)
    assert (HIDDEN in schedule_seen) is private
    bot.driver.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
    bot.slack.wait_for("views.publish", count=1)
    home = json.dumps(bot.slack.home_view(OUTSIDER))
    assert ("Secret plan" in home) is not private

    # Act: a metric, a report posted into the channel.
    assert refused(private, command(bot, f"metric {slug} CSAT 4.9", OUTSIDER))
    assert count(bot, MetricSample) == 0
    assert refused(private, command(bot, f"report {slug}", OUTSIDER))
    assert count(bot, Report) == 0

    # Steer: tokens, revoking them, the schedule, listening.
    assert refused(private, command(bot, f"token {slug}", OUTSIDER))
    assert refused(private, command(bot, f"token {slug} --revoke", OUTSIDER))
    assert count(bot, FeatureToken, FeatureToken.revoked_at.is_(None)) == 1
    assert refused(private, command(bot, f"schedule {slug} off", OUTSIDER))
    assert refused(private, command(bot, f"listen {slug} on", OUTSIDER))
    changed = feature_row(bot)
    assert changed.schedule is None and changed.listening is False

    # Reframe in the feature's channel, by command and by the message shortcut.
    said = command(bot, "reframe the model is hallucinating", OUTSIDER, TEAM_CHANNEL)
    assert (MEMBERS_ONLY in said) if not private else ("no feature" in said.lower())
    claim = bot.driver.message(TEAM_CHANNEL, "honestly it hallucinates", user=PM)
    assert claim.status == 200
    posted = bot.slack.messages(TEAM_CHANNEL)[-1]
    bot.driver.message_shortcut("reframe_message", posted, TEAM_CHANNEL, user=OUTSIDER)
    bot.settle()
    assert count(bot, OutboxMessage) == outbox_before + _private_replies(bot, outbox_before)

    # Decisions and notes on a report the members asked for.
    add_failing_run(bot, feature.id)
    assert "Posting the report" in command(bot, f"report {slug}", MEMBER, TEAM_CHANNEL)
    report = wait_for_report(bot)
    press(bot, report, "A) Stronger model", OUTSIDER)
    assert count(bot, Decision) == 0
    press(bot, report, "A) Stronger model", ENG)
    assert count(bot, Decision) == 1
    confirmation = next(
        m for m in bot.slack.bot_messages(TEAM_CHANNEL, report["ts"]) if "chose A)" in m["text"]
    )
    opened = len(bot.slack.calls_to("views.open"))
    press(bot, confirmation, "Add a note", OUTSIDER)
    assert len(bot.slack.calls_to("views.open")) == opened
    press(bot, confirmation, "Add a note", ENG)
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    note = bot.driver.view_submission(form, {"decision_note": "we know better"}, user=OUTSIDER)
    assert note.json()["response_action"] == "errors"
    assert "<#" not in note.body  # a form's error is plain text
    with bot.session() as session:
        assert session.scalars(select(Decision)).one().note is None
    assert ("no longer exists" if private else MEMBERS_ONLY) in told(bot, OUTSIDER)


def _private_replies(bot: BotUnderTest, since: int) -> int:
    """Rows queued since `since` that only the outsider sees (refusals), i.e. nothing public."""
    with bot.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id > since)).all()
        public = [r for r in rows if r.kind not in ("response", "ephemeral")]
        assert public == [], [r.text for r in public]
        return len(rows)


def test_members_and_steerers_get_what_outsiders_do_not(bot: BotUnderTest) -> None:
    """The same checks let the right people through: a member acts, only the PM, engineer or
    a signer steers, and someone who just joined may act at once."""
    setup_channel(bot, private=True)
    feature = agreed_feature(bot)
    assert "Noted" in command(bot, f"metric {feature.slug} CSAT 4.4", MEMBER)
    assert STEER_ONLY in command(bot, f"token {feature.slug}", MEMBER)
    assert STEER_ONLY in command(bot, f"schedule {feature.slug} daily 10:00", MEMBER)
    assert "Done." in command(bot, f"schedule {feature.slug} daily 10:00", ENG)
    assert HIDDEN in command(bot, f"metric {feature.slug} CSAT 4.9", OUTSIDER)
    bot.slack.join(TEAM_CHANNEL, "U0NEWCOMER")  # after the member list was fetched and kept
    assert "Noted" in command(bot, f"metric {feature.slug} CSAT 4.9", "U0NEWCOMER")
    assert count(bot, MetricSample) == 2


# --- when Slack cannot say: fail closed, and say so -----------------------------------------
def test_a_rate_limit_or_a_bot_removed_from_the_channel_refuses_with_the_reason(
    bot: BotUnderTest,
) -> None:
    setup_channel(bot, private=True)
    feature = agreed_feature(bot)
    bot.slack.fail("conversations.info", status=429, retry_after=30)
    limited = command(bot, f"token {feature.slug}", PM, TEAM_CHANNEL)
    assert "couldn't check who is in" in limited and "`ratelimited`" in limited
    assert "did nothing" in limited and "Secret plan" not in limited
    assert count(bot, FeatureToken) == 0

    bot.slack.bot_not_in(TEAM_CHANNEL)
    removed = command(bot, f"metric {feature.slug} CSAT 4.1", PM, TEAM_CHANNEL)
    assert "`channel_not_found`" in removed and "/invite @Groundline" in removed
    assert count(bot, MetricSample) == 0
    # Listings leave such a feature out, and say so.
    listed = command(bot, "status", PM, TEAM_CHANNEL)
    assert "Secret plan" not in listed and "1 more feature is not listed" in listed


def test_an_answer_waits_out_a_rate_limit_instead_of_being_dropped(bot: BotUnderTest) -> None:
    setup_channel(bot, private=False)
    thread_ts = start_kickoff(bot)
    bot.slack.fail("conversations.members", status=429, retry_after=1)
    answer(bot, thread_ts, "10%")  # settle() waits for the retry, a couple of seconds later
    with bot.session() as session:
        assert [a.text for a in session.scalars(select(Answer))] == ["10%"]
    assert [c.status for c in bot.slack.calls_to("conversations.members")] == [429, 200]


def test_members_are_read_page_by_page_and_kept_briefly(bot: BotUnderTest) -> None:
    bot.slack.add_channel(
        TEAM_CHANNEL, "team", private=True, members=[PM, ENG, "U0A", "U0B", "U0C", MEMBER]
    )
    bot.slack.workspace.members_page_cap = 2  # Slack may return fewer than asked for
    feature = agreed_feature(bot)
    assert "Noted" in command(bot, f"metric {feature.slug} CSAT 4.4", MEMBER)
    pages = bot.slack.calls_to("conversations.members")
    assert len(pages) == 4  # 6 people and the bot, 2 a page
    assert [bool(p.params.get("cursor")) for p in pages] == [False, True, True, True]
    assert "Noted" in command(bot, f"metric {feature.slug} CSAT 4.5", ENG)
    assert len(bot.slack.calls_to("conversations.members")) == 4  # kept: no new lookup
    assert bot.slack.spec_violations == []


def test_a_kickoff_under_a_private_features_name_does_not_say_where_it_is(
    bot: BotUnderTest,
) -> None:
    setup_channel(bot, private=True)
    start_kickoff(bot)
    again = bot.driver.command("/kickoff", "secret PLAN", user_id=OUTSIDER, channel_id=ELSEWHERE)
    assert again.status == 200
    said = told(bot, OUTSIDER)
    assert "already taken" in said and TEAM_CHANNEL not in said and "archives" not in said
    with bot.session() as session:
        assert len(session.scalars(select(Feature)).all()) == 1
