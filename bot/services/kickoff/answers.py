"""Replies and buttons that answer the checklist, and a language model's reading held for a
yes/no. Every reply is read against every item (bot/domain/parsing/reply.py); what it says goes
into the draft by the rules of `draft`. Slack-free; returns an outcome or None when there is
nothing to say (chatter, a remark to a colleague)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist
from bot.domain.checklist import AGREED, REVIEW, Step
from bot.domain.mrkdwn import escape
from bot.domain.parsing import Context, Kind, Reading, Unclear, read_reply
from bot.domain.said import Said
from bot.domain.targets import Role
from bot.errors import Conflict
from bot.services.kickoff import (
    MAX_ANSWER_CHARS,
    agreed_version,
    current_version,
    lock,
    proposals,
    targets_of,
)
from bot.services.kickoff.changes import change, withdraw
from bot.services.kickoff.draft import Effect, apply_facts, dispute_of, disputed, value_from_json
from bot.services.kickoff.outcomes import Clarify, Explained, Noted, Outcome
from bot.store.models import Answer, Feature

# "withdraw", "withdraw my change", "please withdraw the proposal."
WITHDRAW = re.compile(
    r"^\s*(?:please\s+)?withdraw(?:\s+(?:the|my|this|that)\s+(?:change|proposal))?\s*[.!]*\s*$",
    re.IGNORECASE,
)
# Where a typed edit's reason starts: "… because …", "… bc …", "… since …", "… - …", "… — …".
# A cue with nothing after it ("change latency to 1.5 s bc") is an empty reason, refused.
REASON_CUE = re.compile(r"\s+(?:because|bc|b/c|cause|cuz|since)\b\s*|\s+[-–—]+(?:\s+|$)", re.I)
# A sign-off typed rather than pressed: "lgtm, signing off", "approved", "signed :+1:".
TYPED_SIGN_OFF = re.compile(
    r"\b(?:sign(?:ed|ing|s)?(?:[\s-]?off)?|signoff|lgtm|approved?|approving|ship\s+it)\b"
    r"|:(?:\+1|thumbsup|white_check_mark|heavy_check_mark):|[👍✅✔]",
    re.IGNORECASE,
)
READING_ANSWERED = "That reading was already answered, so your press changed nothing."
READING_REPLACED = (
    "That reading is out of date: a newer one is waiting for a yes or no further down the "
    "thread. Your press changed nothing."
)
BUTTONS = {Role.PM: "Sign off as PM", Role.ENGINEER: "Sign off as engineer"}
YES = {"yes", "y", "yep", "yeah", "correct", "right", "that's right", "thats right", "ok"}
NO = {"no", "n", "nope", "wrong", "not quite"}
TOO_LONG = (
    f"That reply is longer than {MAX_ANSWER_CHARS:,} characters, so I didn't store it. Could "
    "you give me the short version?"
)


def answer(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    said: Said,
    *,
    bot_user: str | None = None,
    model: bool = False,
) -> Outcome | None:
    """A reply typed in the kickoff thread. With `model` (a language model is configured), a
    reply that answers nothing we could place comes back as a Clarify with `reader_unsure`
    and no text of our own, for the model to try; without one it gets no reply."""
    lock(session, feature)  # one answer, button, change or sign-off of this kickoff at a time
    said = said.strip()
    word = said.text.lower().strip(" .!")
    if held_reading(feature) is not None and (word in YES or word in NO):
        return confirm_reading(session, clock, feature, user_id, accept=word in YES)
    agreed = agreed_version(feature)
    if agreed is not None and feature.stage == REVIEW and WITHDRAW.match(said.text):
        return withdraw(session, clock, feature, user_id)
    proposal = proposals.held(feature)
    if proposal is not None:
        proposals.drop(feature)  # the reply after a proposal decides it, whatever it says
        if agreed is None and proposals.assents(said.text):
            before = feature.stage
            effect = proposals.confirm(session, feature, proposal, said.text, clock.now())
            return _noted(feature, effect, before, (), ())
    targets = targets_of(current_version(feature))
    focus = None if feature.stage in (REVIEW, AGREED) else Step(feature.stage)
    context = Context(
        focus,
        {step: checklist.value_of(targets, step) for step in checklist.ORDER},
        checklist.names(),
        bot_user,
        checklist.as_shown,
    )
    reading = read_reply(said, context)
    if reading.kind is Kind.TOO_LONG:
        return Clarify(feature, TOO_LONG)
    if reading.edit is not None:
        step, rest = reading.edit
        value_text, reason = _value_and_reason(rest)
        return change(session, clock, feature, user_id, step, value_text, reason)
    if (
        feature.stage == REVIEW
        and reading.kind is Kind.CHATTER
        and TYPED_SIGN_OFF.search(said.text)
    ):
        return Clarify(feature, _press_to_sign(feature))
    if feature.stage == AGREED or agreed is not None:
        # Agreed targets, and a proposal to change them, change only by an explicit, reasoned
        # edit from a signer (changes.change): never by a fact read out of chatter.
        return None
    now = clock.now()
    facts = [(fact.step, fact.value, said.text) for fact in reading.facts]
    corrected = {fact.step for fact in reading.facts if fact.correction}
    before = feature.stage
    effect = apply_facts(
        session, feature, user_id, facts, now, concedes=reading.agrees, corrected=corrected
    )
    if not facts:
        session.add(
            Answer(
                feature_id=feature.id,
                step=(focus or Step.ERROR_RATE).value,
                text=said.text[:MAX_ANSWER_CHARS],
                user_id=user_id,
                accepted=False,
                value_json=None,
                at=now,
            )
        )
    if reading.kind is not Kind.ANSWER and not effect.noted:
        if model and focus is not None and reading.kind is Kind.CHATTER and _worth_a_look(reading):
            ours = checklist.parse_answer(focus, reading.leftover)
            follow_up = ours.reply if isinstance(ours, Unclear) else ""
            return Clarify(feature, follow_up, focus, reader_unsure=True)
        return None  # chatter, a remark to a colleague, "will check and come back"
    explanations = tuple(checklist.ITEMS[step].explanation for step in reading.questions)
    follow_ups = tuple(f.text for f in reading.follow_ups)
    if reading.tentative:
        put = reading.tentative[0]
        follow_ups += (proposals.hold(feature, put.step, put.value, user_id),)
    if not (effect.noted or effect.changes or effect.disputes):
        if follow_ups:
            first = reading.follow_ups[0].step if reading.follow_ups else reading.tentative[0].step
            return Clarify(feature, "\n".join(follow_ups + explanations), first, reader_unsure=True)
        if explanations:
            return Explained(feature, " ".join(explanations), reading.questions[0])
        return None
    noted = _noted(feature, effect, before, follow_ups, explanations)
    if model and not noted.complete and _worth_a_look(reading):
        return replace(noted, unplaced=reading.leftover)  # the model may read the rest
    return noted


def _press_to_sign(feature: Feature) -> str:
    """A sign-off signs exactly the summary it is pressed on, so typing one signs nothing:
    say which button is still to press."""
    signed = {signoff.role for signoff in current_version(feature).signoffs}
    missing = " or ".join(f"*{label}*" for role, label in BUTTONS.items() if role not in signed)
    return (
        f"A typed reply doesn't sign anything: press {missing} on the summary above, so what "
        "is signed is exactly the numbers it shows."
    )


def _worth_a_look(reading: Reading) -> bool:
    """Words we could not place that might still be an answer ("a handful per batch, tops")."""
    return len([w for w in reading.leftover.split() if len(w) > 2]) >= 2


def _noted(
    feature: Feature,
    effect: Effect,
    before: str,
    follow_ups: tuple[str, ...],
    explanations: tuple[str, ...],
) -> Noted:
    targets = targets_of(current_version(feature))
    complete = feature.stage == REVIEW
    ask = still_open = None
    if not complete and Step(feature.stage) not in disputed(feature):
        question = checklist.ITEMS[Step(feature.stage)].question
        if feature.stage != before:
            ask = question
        elif not follow_ups:
            still_open = question
    return Noted(
        feature,
        targets,
        tuple(effect.noted),
        tuple(effect.changes),
        tuple(dispute_of(feature, step) for step in effect.disputes),
        follow_ups,
        explanations,
        ask=ask,
        still_open=still_open,
        complete=complete,
    )


def held_reading(feature: Feature) -> dict[str, Any] | None:
    reading = (feature.pending_json or {}).get("reading")
    return reading if isinstance(reading, dict) else None


def hold_reading(feature: Feature, facts: list[tuple[Step, Any]], clarify: str) -> str:
    """Keep a language model's reading until someone confirms or rejects it; returns its key,
    for the buttons that show it."""
    pending = dict(feature.pending_json or {})
    held = {
        "facts": [[step.value, checklist.value_to_json(step, value)] for step, value in facts],
        "clarify": clarify,
    }
    pending["reading"] = held
    feature.pending_json = pending
    return reading_key(held)


def reading_key(held: dict[str, Any]) -> str:
    """A short key of a held reading: the same reading, the same key."""
    canonical = json.dumps(held, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def confirm_reading(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    accept: bool,
    shown: str | None = None,
) -> Outcome | None:
    """Yes or no to the held reading; `shown`: the key of the reading a button showed (typed
    yes / no: the one held)."""
    lock(session, feature)  # two presses at once: the second finds the reading answered
    held = held_reading(feature)
    if held is None:
        raise Conflict(READING_ANSWERED)
    if shown is not None and shown != reading_key(held):
        raise Conflict(READING_REPLACED)
    pending = {k: v for k, v in (feature.pending_json or {}).items() if k != "reading"}
    feature.pending_json = pending or None
    first = Step(held["facts"][0][0]) if held.get("facts") else None
    if not accept:
        return Clarify(feature, str(held.get("clarify") or ""), first)
    facts = [
        (Step(step), value_from_json(Step(step), value), "(read by the language model)")
        for step, value in held.get("facts") or []
    ]
    before = feature.stage
    effect = apply_facts(session, feature, user_id, facts, clock.now())
    return _noted(feature, effect, before, (), ())


def choose(
    session: Session, clock: Clock, feature: Feature, user_id: str, step: Step, value: str
) -> Outcome | None:
    """A button press answering a question. A press on a question already answered (a
    second press at the same moment, a double click, an older copy) changes nothing and is
    told what was taken."""
    lock(session, feature)  # presses at once: one takes the question, the others see it taken
    if feature.stage != step.value:
        taken = checklist.describe(targets_of(current_version(feature)), step)
        how = f"`change {checklist.ITEMS[step].label} to …`"
        if agreed_version(feature) is not None:
            how += " with a reason (`… because …`)"
        raise Conflict(
            f"That question is already answered ({escape(taken)}), so your press changed "
            f"nothing. To change it, type {how} in the thread."
        )
    result = checklist.parse_answer(step, value)
    if isinstance(result, Unclear):
        return Clarify(feature, result.reply, step)
    before = feature.stage
    effect = apply_facts(session, feature, user_id, [(step, result.value, value)], clock.now())
    return _noted(feature, effect, before, (), ())


def _value_and_reason(rest: str) -> tuple[str, str | None]:
    """ "8% because tickets doubled" → ("8%", "tickets doubled"); "8% bc" → ("8%", "bc");
    "8%" → ("8%", None). A cue with nothing after it is kept as the (empty) reason it is, so
    the refusal can quote it."""
    cue = REASON_CUE.search(rest)
    if cue is None:
        return rest, None
    reason = rest[cue.end() :].strip()
    return rest[: cue.start()], reason or cue.group().strip()
