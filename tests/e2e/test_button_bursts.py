"""Buttons other than sign-off pressed by several people at once, or twice by one (a double
click), through signed HTTP to the running bot, on SQLite and PostgreSQL: the answers to a
kickoff question, a model's reading, the report's decisions, withdrawing or editing a
proposed change, what counts as a wrong answer. (Over 300 lines: one trial per button,
each beside the setup it needs.)

Every press of a burst is released together (a barrier), so on PostgreSQL they overlap in the
database; what is stored and what the thread says must be what one press after another would
have left: one answer taken and said once, the next question asked once, one decision per
person and option, a stale button acting on nothing newer than what it showed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.domain.steps import Step
from bot.domain.targets import Targets
from bot.localopenai.server import LocalOpenAI
from bot.localslack.driver import Delivered
from bot.localslack.workspace import BOT_USER_ID
from bot.services.kickoff import answers
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Decision, Feature, TargetVersion
from tests.support.agreement import TARGETS as AGREEMENT_TARGETS
from tests.support.agreement import feature_in_review
from tests.support.bot import BotUnderTest
from tests.support.evals import PM, start_feature
from tests.support.reports import ask_for_report, cases, ingest
from tests.support.rows import ENG, feature_row, mark_agreed
from tests.support.wrong_choice import choice, current, first_run, press_together, told

TARGETS = {"max_error_rate": 0.10, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}


def at_once(presses: list[Callable[[], Delivered]]) -> list[Delivered]:
    """Every press from its own thread, released together; each answered 200."""
    start = threading.Barrier(len(presses))
    answered: list[Delivered] = []
    lock = threading.Lock()

    def run(press: Callable[[], Delivered]) -> None:
        start.wait(timeout=30)
        delivered = press()
        with lock:
            answered.append(delivered)

    threads = [threading.Thread(target=run, args=(press,)) for press in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answered) == len(presses)
    assert all(d.status == 200 for d in answered), [d.body for d in answered]
    return answered


def at_fallback(
    bot: BotUnderTest,
    reading: dict[str, Any] | None = None,
    shown: dict[str, Any] | None = None,
    step: Step = Step.FALLBACK,
) -> tuple[int, str, dict[str, Any]]:
    """A kickoff whose next question is the fallback (or `step`, everything before it
    answered), stored directly, and that question as Slack holds it in the thread (with its
    choices); with `reading`, a language model's reading of a reply held for a yes or no, and
    the message showing it (or an earlier reading, `shown`, which it replaced) instead."""
    channel = "C0FEAT"
    thread_ts = bot.slack.workspace.add_message(channel, {"user": BOT_USER_ID, "text": "Kickoff"})[
        "ts"
    ]
    now = datetime.now(UTC)
    with bot.session() as session:
        feature = feature_row(
            now,
            name="Support answers",
            slug=f"support-answers-{uuid.uuid4().hex[:6]}",
            thread_ts=thread_ts,
            stage=step.value,
            pending_json={"reading": reading} if reading else None,
        )
        values = {"max_error_rate": 0.1, "error_impact": "a refund"}
        if step is Step.TRADEOFF:
            values = {k: v for k, v in AGREEMENT_TARGETS.items() if k != "tradeoff_priority"}
        feature.target_versions.append(
            TargetVersion(version=1, status="draft", values_json=values, created_at=now)
        )
        session.add(feature)
        session.flush()
        feature_id = feature.id
    text, blocks = kickoff_blocks.question(checklist.ITEMS[step].question, feature_id)
    if reading:
        key = answers.reading_key(shown or reading)
        text, blocks = kickoff_blocks.reading(feature_id, "get a person", "as posted", key)
    message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
    return feature_id, str(thread_ts), bot.slack.workspace.add_message(channel, message)


def test_two_people_choosing_the_fallback_at_once_one_answer_is_taken_and_said(
    bot: BotUnderTest,
) -> None:
    feature_id, thread_ts, asked = at_fallback(bot)
    unsure, human = "Say it isn't sure", "Hand over to a human"
    presses = [
        *(lambda: bot.driver.press(asked, label=unsure, user=PM) for _ in range(3)),
        *(lambda: bot.driver.press(asked, label=human, user=ENG) for _ in range(3)),
    ]
    at_once(presses)
    bot.settle()
    thread = [m for m in bot.slack.bot_messages("C0FEAT", thread_ts) if m["ts"] != asked["ts"]]
    said = [m.get("text", "") + json.dumps(m.get("blocks")) for m in thread]
    next_title = checklist.ITEMS[Step.SUCCESS_METRICS].question.title
    assert sum(next_title in s for s in said) == 1, said  # the next question, asked once
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        stored = Targets.model_validate(feature.target_versions[-1].values_json)
        assert feature.stage == Step.SUCCESS_METRICS.value
    assert stored.fallback is not None and stored.fallback.kind in ("say_unsure", "escalate_human")
    taken = checklist.describe(stored, Step.FALLBACK)
    # The five presses that came second are each told, privately, what was taken.
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 5, private
    assert all("already answered" in p and taken in p for p in private), private


def test_a_decision_pressed_at_once_is_stored_and_said_once_per_person(bot: BotUnderTest) -> None:
    feature = start_feature(bot, targets=TARGETS)
    ingest(bot, feature.id, cases(40, 12), "small")
    report = ask_for_report(bot, 1)
    stronger = "A) Stronger model"
    at_once(
        [
            *(lambda: bot.driver.press(report, label=stronger, user=ENG) for _ in range(4)),
            *(lambda: bot.driver.press(report, label=stronger, user=PM) for _ in range(2)),
        ]
    )
    bot.settle()
    with bot.session() as session:
        stored = session.execute(
            select(Decision.option, Decision.by).where(Decision.feature_id == feature.id)
        ).all()
    assert sorted(map(tuple, stored)) == [("A", ENG), ("A", PM)]
    thread = bot.slack.bot_messages("C0FEAT", report["ts"])
    said = [m.get("text", "") for m in thread if "chose A) change the model" in m.get("text", "")]
    assert sorted(s.split(">")[0] for s in said) == [f"<@{ENG}", f"<@{PM}"], said


def with_proposal(bot: BotUnderTest) -> tuple[int, dict[str, Any]]:
    """Agreed targets (version 1, signed by both), the PM's proposal to change them (version
    2), and the summary of version 2 in the thread, with its Withdraw button."""
    channel = "C0FEAT"
    thread_ts = bot.slack.workspace.add_message(channel, {"user": BOT_USER_ID, "text": "Kickoff"})[
        "ts"
    ]
    now = datetime.now(UTC)
    with bot.session() as session:
        feature = feature_row(now, name="Search", thread_ts=thread_ts)
        feature.target_versions.append(
            TargetVersion(version=1, status="draft", values_json=dict(TARGETS), created_at=now)
        )
        mark_agreed(feature, TARGETS, PM, ENG)
        feature.stage = "review"  # a proposal is open
        proposed = TargetVersion(
            version=2,
            status="draft",
            values_json=TARGETS | {"max_error_rate": 0.08},
            created_at=now,
            changed_by=PM,
            reason="tickets doubled",
        )
        feature.target_versions.append(proposed)
        session.add(feature)
        session.flush()
        text, blocks = kickoff_blocks.summary(
            feature, proposed, Targets.model_validate(proposed.values_json)
        )
        feature_id = feature.id
    message = {"user": BOT_USER_ID, "text": text, "blocks": blocks, "thread_ts": thread_ts}
    return feature_id, bot.slack.workspace.add_message(channel, message)


def wait_until_waiting(url: str) -> None:
    """Until a transaction waits for a lock another holds (PostgreSQL says so; SQLite does
    not, and its waiter is given a moment)."""
    if not url.startswith("postgresql"):
        time.sleep(0.5)
        return
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                waiting = connection.execute(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                ).scalar()
            if waiting:
                return
            time.sleep(0.02)
        raise AssertionError("the press never waited for the kickoff's lock")
    finally:
        engine.dispose()


def test_withdraw_pressed_as_the_proposal_is_edited_withdraws_only_what_it_showed(
    bot: BotUnderTest,
) -> None:
    """The PM presses Withdraw on version 2 just as the engineer's edit of it (version 3)
    commits on another replica: the press must not withdraw version 3, which it never showed."""
    feature_id, summary = with_proposal(bot)
    url = bot.runtime.settings.DATABASE_URL
    engine = create_engine(url)
    pressed: list[Delivered] = []
    try:
        with Session(engine) as other:  # the other replica's edit, holding the kickoff's lock
            other.execute(
                update(Feature)
                .where(Feature.id == feature_id)
                .values(last_activity_at=Feature.last_activity_at)
            )
            feature = other.get(Feature, feature_id)
            assert feature is not None
            feature.target_versions[-1].status = "replaced"
            feature.target_versions.append(
                TargetVersion(
                    version=3,
                    status="draft",
                    values_json=TARGETS | {"max_error_rate": 0.05},
                    created_at=datetime.now(UTC),
                    changed_by=ENG,
                    reason="legal wants 5%",
                )
            )
            other.flush()
            press = threading.Thread(
                target=lambda: pressed.append(
                    bot.driver.press(summary, label="Withdraw this change", user=PM)
                )
            )
            press.start()
            wait_until_waiting(url)
            other.commit()
        press.join(timeout=30)
    finally:
        engine.dispose()
    assert [d.status for d in pressed] == [200]
    bot.settle()
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None
        statuses = [(v.version, str(v.status)) for v in stored.target_versions]
        assert (statuses, stored.stage) == (
            [(1, "agreed"), (2, "replaced"), (3, "draft")],
            "review",
        )
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 1 and "no longer the open one" in private[0], private


def test_withdraw_clicked_three_times_at_once_withdraws_once(bot: BotUnderTest) -> None:
    feature_id, summary = with_proposal(bot)
    at_once([lambda: bot.driver.press(summary, label="Withdraw this change", user=PM)] * 3)
    bot.settle()
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None
        statuses = [(v.version, str(v.status)) for v in stored.target_versions]
        assert (statuses, stored.stage) == ([(1, "agreed"), (2, "withdrawn")], "agreed")
    thread = bot.slack.bot_messages("C0FEAT", str(summary["thread_ts"]))
    assert sum("withdrew the proposed change" in m.get("text", "") for m in thread) == 1
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 2 and all("no proposed change" in p for p in private), private


def test_a_reading_confirmed_and_rejected_at_once_is_decided_once(bot: BotUnderTest) -> None:
    held = {
        "facts": [["fallback", {"kind": "escalate_human", "detail": ""}]],
        "clarify": "What should it do when it is unsure?",
    }
    feature_id, thread_ts, shown = at_fallback(bot, held)
    at_once(
        [
            *(
                lambda: bot.driver.press(shown, label="Yes, that's right", user=PM)
                for _ in range(2)
            ),
            *(lambda: bot.driver.press(shown, label="No", user=ENG) for _ in range(2)),
        ]
    )
    bot.settle()
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        assert feature.pending_json is None
        fallback = feature.target_versions[-1].values_json.get("fallback")
    thread = [m for m in bot.slack.bot_messages("C0FEAT", thread_ts) if m["ts"] != shown["ts"]]
    said = [m.get("text", "") + json.dumps(m.get("blocks")) for m in thread]
    asked_next = sum(checklist.ITEMS[Step.SUCCESS_METRICS].question.title in s for s in said)
    asked_again = sum(str(held["clarify"]) in s for s in said)
    # Either the yes was taken (stored, the next question asked once) or the no (nothing
    # stored, the question asked again once); never both, never twice.
    if fallback is not None:
        assert (fallback["kind"], asked_next, asked_again) == ("escalate_human", 1, 0), said
    else:
        assert (asked_next, asked_again) == (0, 1), said
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 3 and all("already answered" in p for p in private), private


def test_an_older_reading_s_yes_confirms_nothing_newer(bot: BotUnderTest) -> None:
    """The model read "get a person" as a hand-over; before anyone answered, a later reply was
    read as "say it isn't sure" and is held now. Yes on the first message must not store the
    second reading, which it never showed."""
    first = {"facts": [["fallback", {"kind": "escalate_human", "detail": ""}]], "clarify": "?"}
    now = {"facts": [["fallback", {"kind": "say_unsure", "detail": ""}]], "clarify": "?"}
    feature_id, _, older = at_fallback(bot, now, shown=first)
    assert bot.driver.press(older, label="Yes, that's right", user=PM).status == 200
    bot.settle()
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        assert feature.target_versions[-1].values_json.get("fallback") is None
        assert (feature.pending_json, feature.stage) == ({"reading": now}, "fallback")
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 1 and "out of date" in private[0], private


def test_an_edit_form_opened_before_agreement_and_saved_after_it_says_how_to_go_on(
    bot: BotUnderTest,
) -> None:
    """The PM opens Edit on the summary; before they save, the targets are agreed. The form
    has no field for the reason a change to agreed targets needs: it must say so, and how to
    go on, rather than ask for what it cannot take."""
    url = bot.runtime.settings.DATABASE_URL
    summary = feature_in_review(url, bot.slack, 1)
    opened = len(bot.slack.calls_to("views.open"))
    assert bot.driver.press(summary, label="Edit error rate", user=PM).status == 200
    form = bot.slack.wait_for("views.open", count=opened + 1)[-1]
    with bot.session() as session:
        feature = session.scalars(select(Feature).where(Feature.channel_id == summary["channel"]))
        agreed = feature.one()
        mark_agreed(agreed, AGREEMENT_TARGETS, PM, ENG)
        agreed.stage = "agreed"
        feature_id = agreed.id
    saved = bot.driver.view_submission(form, {"edit_value": "8%"}, user=PM)
    assert saved.status == 200
    errors = saved.json()["errors"]
    assert list(errors) == ["edit_value"] and "press Edit again" in errors["edit_value"], errors
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None and len(stored.target_versions) == 1


def test_two_signers_proposing_changes_at_once_make_one_open_proposal(bot: BotUnderTest) -> None:
    """After agreement, the PM edits the error rate and the engineer the latency, saved at the
    same moment: one proposal stays open (the later one, which keeps the earlier's change and
    says it replaces it), and the thread offers sign-off on that one only."""
    feature_id, summary = with_proposal(bot)
    with bot.session() as session:  # no proposal yet: only the agreed version
        feature = session.get(Feature, feature_id)
        assert feature is not None
        session.delete(feature.target_versions[-1])
        feature.stage = "agreed"
    forms = []
    for label, user in (("Edit error rate", PM), ("Edit latency (p95)", ENG)):
        opened = len(bot.slack.calls_to("views.open"))
        assert bot.driver.press(summary, label=label, user=user).status == 200
        forms.append((bot.slack.wait_for("views.open", count=opened + 1)[-1], user))
    entered = [
        {"edit_value": "8%", "edit_reason": "refunds cost more than we thought"},
        {"edit_value": "1.5 s", "edit_reason": "users leave after a second and a half"},
    ]
    saved = at_once(
        [
            lambda form=form, user=user, values=values: bot.driver.view_submission(
                form, values, user=user
            )
            for (form, user), values in zip(forms, entered, strict=True)
        ]
    )
    assert all("errors" not in d.body for d in saved), [d.body for d in saved]
    bot.settle()
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None
        versions = [(v.version, str(v.status)) for v in stored.target_versions]
        assert versions == [(1, "agreed"), (2, "replaced"), (3, "draft")], versions
        newest = stored.target_versions[-1].values_json
        assert (newest["max_error_rate"], newest["max_latency_p95_ms"]) == (0.08, 1500.0)
    thread = bot.slack.bot_messages("C0FEAT", str(summary["thread_ts"]))
    posted = [m for m in thread if m["ts"] != summary["ts"]]  # the test's own copy aside
    signable = [m for m in posted if "signoff_pm" in json.dumps(m.get("blocks"))]
    assert [json.loads(m["blocks"][-1]["elements"][0]["value"])["version"] for m in signable] == [
        3
    ], signable


def test_the_last_question_pressed_at_once_posts_one_summary(bot: BotUnderTest) -> None:
    """The trade-off is the last question: four presses at once (the PM and the engineer
    choosing differently, each twice) must put up one summary to sign, not one per press."""
    feature_id, thread_ts, asked = at_fallback(bot, step=Step.TRADEOFF)
    latency, cost = "Latency can give", "Cost can give"
    at_once(
        [
            *(lambda: bot.driver.press(asked, label=latency, user=PM) for _ in range(2)),
            *(lambda: bot.driver.press(asked, label=cost, user=ENG) for _ in range(2)),
        ]
    )
    bot.settle()
    thread = bot.slack.bot_messages("C0FEAT", thread_ts)
    summaries = [m for m in thread if "signoff_pm" in json.dumps(m.get("blocks"))]
    assert len(summaries) == 1, [m.get("text") for m in thread]
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None and feature.stage == "review"
        stored = Targets.model_validate(feature.target_versions[-1].values_json)
    assert stored.tradeoff_priority is not None
    shown = json.dumps(summaries[0]["blocks"])
    assert json.dumps(checklist.describe(stored, Step.TRADEOFF))[1:-1] in shown, shown
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 3 and all("already answered" in p for p in private), private


def test_a_double_click_on_a_wrong_answer_button_is_told_it_is_done(bot: BotUnderTest) -> None:
    """The PM double-clicks "Count length": the choice changes once, and the second click is
    told it is already so (it was "Nothing changed: that list was not the current choice",
    which reads as if the PM's own change had failed)."""
    _thread, listing = first_run(bot)
    _, version = choice(bot)
    statuses = press_together(bot, current(bot, listing), [("Count length", PM)] * 2)
    bot.settle()
    assert statuses == [200, 200]
    chosen, after = choice(bot)
    assert after == version + 1 and chosen is not None and "length" in chosen
    private = told(bot)
    assert len(private) == 1 and private[0].startswith("Already so:"), private
    assert "`length` counts as a wrong answer" in private[0], private


def test_a_model_reading_that_lands_as_the_question_is_pressed_is_not_held(
    llm_bot: BotUnderTest, openai: LocalOpenAI
) -> None:
    """The PM's reply goes to the model (slow today); while it reads, the engineer presses
    "Say it isn't sure", and that press commits just as the reading is stored. The reading is
    of a question now answered: it must not be held and shown for a yes, where a Yes would
    overwrite the engineer's answer with the model's."""
    bot = llm_bot
    feature_id, thread_ts, _ = at_fallback(bot)
    openai.delay(1.0).reply_with(json.dumps({"fallback": {"kind": "escalate_human"}}))
    said = "honestly whatever our agents do today when they get stuck on a tricky one"
    assert bot.driver.message("C0FEAT", said, thread_ts=thread_ts, user=PM).status == 200
    deadline = time.monotonic() + 10
    while not openai.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert openai.requests, "the reply never went to the model"
    url = bot.runtime.settings.DATABASE_URL
    engine = create_engine(url)
    try:
        with Session(engine) as press:  # the engineer's press, as its transaction commits
            press.execute(
                update(Feature)
                .where(Feature.id == feature_id)
                .values(last_activity_at=Feature.last_activity_at)
            )
            feature = press.get(Feature, feature_id)
            assert feature is not None and feature.stage == "fallback"
            version = feature.target_versions[-1]
            version.values_json = version.values_json | {
                "fallback": {"kind": "say_unsure", "detail": ""}
            }
            feature.stage = Step.SUCCESS_METRICS.value
            press.flush()
            time.sleep(1.0)  # the model answers meanwhile
            wait_until_waiting(url)
            press.commit()
    finally:
        engine.dispose()
    bot.settle()
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None
        assert stored.target_versions[-1].values_json["fallback"]["kind"] == "say_unsure"
        assert stored.pending_json is None, stored.pending_json
    thread = bot.slack.bot_messages("C0FEAT", thread_ts)
    assert not [m for m in thread if "Is that right" in m.get("text", "")]


def test_an_old_question_pressed_after_agreement_says_a_change_needs_a_reason(
    bot: BotUnderTest,
) -> None:
    feature_id, _, asked = at_fallback(bot)
    with bot.session() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        mark_agreed(feature, AGREEMENT_TARGETS, PM, ENG)
        feature.stage = "agreed"
    assert bot.driver.press(asked, label="Offer alternatives", user=PM).status == 200
    bot.settle()
    private = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(private) == 1 and "already answered (Say it is not sure)" in private[0], private
    assert "`change fallback to …` with a reason (`… because …`)" in private[0], private
    with bot.session() as session:
        stored = session.get(Feature, feature_id)
        assert stored is not None and len(stored.target_versions) == 1
        assert stored.target_versions[0].values_json["fallback"]["kind"] == "say_unsure"
