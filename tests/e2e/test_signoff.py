"""Sign what you saw, and changes after agreement, through signed HTTP against the running bot
(SQLite and PostgreSQL): the scenarios of issue 12, each as two busy people would play them."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.kickoff import (
    CHANNEL,
    ENG,
    OTHER,
    PM,
    agree,
    latest_summary,
    press,
    say,
    signoffs,
    thread_messages,
    to_summary,
    told,
    versions,
)


def stage(bot: BotUnderTest) -> str:
    with bot.session() as session:
        return session.scalars(select(Feature)).one().stage


def test_an_old_summary_signs_nothing_and_answers_with_the_current_numbers(
    bot: BotUnderTest,
) -> None:
    thread_ts = to_summary(bot)
    seen = latest_summary(bot, thread_ts)  # shows 10%
    assert "10%" in json.dumps(seen["blocks"])
    # Someone edits the draft. The summary is updated in place, but Slack refuses the update
    # (say it was edited meanwhile), so it still shows 10% when the PM presses it.
    bot.slack.fail("chat.update", status=200, error="cant_update_message")
    say(bot, thread_ts, "change error rate to 50%", user=OTHER)
    assert "10%" in json.dumps(bot.slack.message(CHANNEL, seen["ts"]))

    press(bot, seen, "Sign off as PM", PM)
    assert signoffs(bot) == [] and stage(bot) == "review"
    reply = told(bot, PM)
    assert "Nothing was signed" in reply and "50%" in reply

    # That press brought the summary up to date: it now shows 50%, with buttons for 50%.
    now = bot.slack.message(CHANNEL, seen["ts"])
    assert now is not None and "50%" in json.dumps(now["blocks"])
    assert "10%" not in json.dumps(now["blocks"])

    agree(bot, thread_ts)  # the current summary, showing 50%
    (agreed,) = versions(bot)
    assert agreed.status == "agreed" and agreed.values_json["max_error_rate"] == 0.5
    assert {s.user_id for s in agreed.signoffs} == {PM, ENG}


def test_a_non_signer_cannot_rewrite_an_open_change_and_every_edit_is_its_own_record(
    bot: BotUnderTest,
) -> None:
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    say(bot, thread_ts, "change error rate to 8% because support tickets doubled", user=PM)
    proposal = latest_summary(bot, thread_ts)  # shows 8%
    assert "8%" in json.dumps(proposal["blocks"])

    say(bot, thread_ts, "change error rate to 60% because I say so", user=OTHER)
    assert "only the people who signed" in told(bot, OTHER)
    assert [v.version for v in versions(bot)] == [1, 2]

    # A signer edits the open change: a record of its own, with its author and reason.
    say(bot, thread_ts, "change error rate to 9% because 8% is too tight for launch", user=ENG)
    v1, v2, v3 = versions(bot)
    assert (v2.status, v2.changed_by, v2.values_json["max_error_rate"]) == ("replaced", PM, 0.08)
    assert (v3.status, v3.changed_by, v3.values_json["max_error_rate"]) == ("draft", ENG, 0.09)
    assert "support tickets" in (v2.reason or "") and "too tight" in (v3.reason or "")

    # The proposal's summary was updated in place: it shows 9%, its buttons sign version 3.
    updated = bot.slack.message(CHANNEL, proposal["ts"])
    assert updated is not None and "9%" in json.dumps(updated["blocks"])
    assert '\\"version\\":3' in json.dumps(updated["blocks"])
    agree(bot, thread_ts)
    *_, current = versions(bot)
    assert (current.version, current.status, current.values_json["max_error_rate"]) == (
        3,
        "agreed",
        0.09,
    )
    assert current.changed_by == ENG and "too tight" in (current.reason or "")
    assert v1.values_json["max_error_rate"] == 0.1


def test_a_reason_must_say_something(bot: BotUnderTest) -> None:
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    empties = {
        "because .": "“.” doesn't say why",
        "because yes": "“yes” doesn't say why",
        "because idk": "“idk” doesn't say why",
        "because ¯\\_(ツ)_/¯": "“¯\\_(ツ)_/¯” doesn't say why",
        "bc": "“bc” doesn't say why",
        "-": "“-” doesn't say why",
        "— whatever": "“whatever” doesn't say why",
        "": "needs a reason that says why",
    }
    for empty, line in empties.items():
        say(bot, thread_ts, f"change latency to 1.5 s {empty}", user=PM)
        said = thread_messages(bot, thread_ts)[-1]["text"]
        assert line in said and "Nothing was changed" in said, (empty, said)
    assert [v.version for v in versions(bot)] == [1]
    say(bot, thread_ts, "change latency to 1.5 s bc users leave after a second", user=PM)
    assert [v.version for v in versions(bot)] == [1, 2]
    assert versions(bot)[-1].reason == "users leave after a second"
    assert versions(bot)[-1].values_json["max_latency_p95_ms"] == 1500
    say(bot, thread_ts, "change cost to $0.02 per query - the bigger model costs more", user=ENG)
    *_, dashed = versions(bot)
    assert (dashed.version, dashed.reason) == (3, "the bigger model costs more")
    assert dashed.values_json["max_cost_per_query_usd"] == 0.02


def test_the_proposer_can_withdraw_an_open_change(bot: BotUnderTest) -> None:
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    say(bot, thread_ts, "change cost to $0.02 per query because the bigger model costs more", PM)
    proposal = latest_summary(bot, thread_ts)

    say(bot, thread_ts, "withdraw", user=OTHER)
    assert versions(bot)[-1].status == "draft"
    assert "proposed" in told(bot, OTHER)

    press(bot, proposal, "Withdraw this change", PM)
    v1, v2 = versions(bot)
    assert (v1.status, v2.status) == ("agreed", "withdrawn") and stage(bot) == "agreed"
    said = [m for m in bot.slack.bot_messages(CHANNEL) if "withdrew" in m.get("text", "")]
    assert len([m for m in said if "thread_ts" not in m]) == 1  # the channel is told, once
    assert len([m for m in said if m.get("thread_ts") == thread_ts]) == 1  # and the thread
    withdrawn = bot.slack.message(CHANNEL, proposal["ts"])  # its buttons are gone
    assert withdrawn is not None and "signoff_engineer" not in json.dumps(withdrawn["blocks"])
    assert [s.target_version_id for s in signoffs(bot)].count(v2.id) == 0

    # A new proposal can follow, and is a new version of its own.
    say(bot, thread_ts, "change cost to $0.015 per query because we found a cheaper host", ENG)
    assert [v.version for v in versions(bot)] == [1, 2, 3]


def test_the_edit_form_says_why_it_refuses(bot: BotUnderTest) -> None:
    """Through the Edit form, as typed: a non-signer may not edit an agreed version or an open
    proposal, and a signer's empty reason is refused under the reason field."""
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    say(bot, thread_ts, "change error rate to 8% because support tickets doubled", user=PM)
    proposal = latest_summary(bot, thread_ts)
    opened = len(bot.slack.calls_to("views.open"))
    press(bot, proposal, "Edit error rate", OTHER)
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    refused = bot.driver.view_submission(
        form, {"edit_value": "60%", "edit_reason": "I say so"}, user=OTHER
    )
    assert "only the people who signed" in json.dumps(refused.json())
    empty = bot.driver.view_submission(form, {"edit_value": "9%", "edit_reason": "."}, user=ENG)
    assert empty.json()["errors"].keys() == {"edit_reason"}
    assert [v.version for v in versions(bot)] == [1, 2]
    saved = bot.driver.view_submission(
        form, {"edit_value": "9%", "edit_reason": "8% is too tight for launch"}, user=ENG
    )
    assert saved.status == 200 and "errors" not in saved.body
    bot.settle()
    assert [(v.version, v.status) for v in versions(bot)][-1] == (3, "draft")


def test_an_older_copy_of_the_summary_loses_its_buttons_when_pressed(bot: BotUnderTest) -> None:
    """A copy that is not the summary now showing (posted before an upgrade, say): pressing
    it signs nothing, says the current numbers, and takes its buttons off."""
    thread_ts = to_summary(bot)
    current = latest_summary(bot, thread_ts)
    say(bot, thread_ts, "change error rate to 7%", user=PM)
    old_copy = bot.slack.add_user_message(
        CHANNEL,
        {"user": "U0BOT", "bot_id": "B0BOT", "thread_ts": thread_ts, "text": "old summary"}
        | {"blocks": current["blocks"]},  # the 10% buttons, as first posted
    )
    press(bot, old_copy, "Sign off as PM", PM)
    assert signoffs(bot) == [] and "7%" in told(bot, PM)
    after = bot.slack.message(CHANNEL, old_copy["ts"])
    assert after is not None and "signoff_pm" not in json.dumps(after["blocks"])
    assert "Out of date" in json.dumps(after["blocks"])


def test_an_open_change_edited_since_it_was_shown_signs_nothing(bot: BotUnderTest) -> None:
    """After agreement the PM proposes 8%. A non-signer's 60% is refused; the engineer edits the
    open change to 9% with a reason, but Slack refuses to update the summary (edited meanwhile),
    so the 8% summary still shows working buttons. Both signers press it: nothing is signed,
    each is shown 9%, and the agreed 10% stays in force until the 9% summary is signed."""
    thread_ts = to_summary(bot)
    agree(bot, thread_ts)
    say(bot, thread_ts, "change error rate to 8% because support tickets doubled", user=PM)
    shown = latest_summary(bot, thread_ts)  # shows 8%, its buttons sign version 2
    assert "8%" in json.dumps(shown["blocks"])
    say(bot, thread_ts, "change error rate to 60% because I say so", user=OTHER)
    assert "only the people who signed" in told(bot, OTHER)

    bot.slack.fail("chat.update", status=200, error="cant_update_message")
    say(bot, thread_ts, "change error rate to 9% because 8% is too tight for launch", user=ENG)
    assert "8%" in json.dumps(bot.slack.message(CHANNEL, shown["ts"]))  # Slack kept the old one

    old_value = next(  # what the engineer's screen still holds: the 8% summary's button
        element["value"]
        for block in shown["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "signoff_engineer"
    )
    press(bot, shown, "Sign off as PM", PM)
    pressed = bot.driver.press(shown, label="Sign off as engineer", user=ENG, value=old_value)
    assert pressed.status == 200
    bot.settle()
    v1, v2, v3 = versions(bot)
    assert (v1.status, v2.status, v3.status) == ("agreed", "replaced", "draft")
    assert [s.target_version_id for s in signoffs(bot)].count(v2.id) == 0
    assert [s.target_version_id for s in signoffs(bot)].count(v3.id) == 0
    for person in (PM, ENG):
        assert "Nothing was signed" in told(bot, person) and "9%" in told(bot, person)
    assert stage(bot) == "review"

    # The press brought the summary up to date; signing it agrees 9%, the engineer's change.
    now = bot.slack.message(CHANNEL, shown["ts"])
    assert now is not None and "9%" in json.dumps(now["blocks"])
    agree(bot, thread_ts)
    *_, current = versions(bot)
    assert (current.version, current.status, current.values_json["max_error_rate"]) == (
        3,
        "agreed",
        0.09,
    )
    assert current.changed_by == ENG and "too tight" in (current.reason or "")
