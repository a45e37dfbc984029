"""The kickoff use cases: start, answer, edit, sign off, change. Slack-free; returns outcomes that
the Slack layer renders and queues in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist, parsing
from bot.domain.checklist import AGREED, REVIEW, Step
from bot.domain.parsing import Parsed, Unclear
from bot.domain.targets import Role, Targets
from bot.errors import BadInput, Conflict, Forbidden
from bot.store.models import Answer, Feature, OutboxMessage, SignOff, TargetVersion

MAX_ANSWER_CHARS = 4000
MAX_NAME_CHARS = 80
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
USAGE = (
    "Usage: `/kickoff <feature name> [@pm] [@engineer]`, e.g. `/kickoff Support answers @ana @raj`."
)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class Outcome:
    """What happened, for the Slack layer to say. `reply` is our own text (already safe)."""

    feature: Feature
    targets: Targets
    question: checklist.Question | None = None  # the next question to ask
    clarify: str | None = None  # why the answer was not taken
    accepted_step: Step | None = None
    review: bool = False  # every answer is in: show the summary with sign-off buttons
    agreed: bool = False  # this action completed the sign-offs
    signed_role: Role | None = None
    changed_step: Step | None = None
    new_version: int | None = None
    reason: str | None = None
    unclear_step: Step | None = None  # our parser could not read this answer to this step


def read_kickoff_text(text: str) -> tuple[str, list[str]]:
    """`Support answers <@U1|ana> <@U2>` → ("Support answers", ["U1", "U2"]); refuses what
    can never start a kickoff. Pure, so the ack path can say so at once."""
    mentions = MENTION.findall(text)
    name = " ".join(MENTION.sub(" ", text).split()).strip()
    if not name:
        raise BadInput("Which feature is this kickoff for? " + USAGE)
    if len(name) > MAX_NAME_CHARS:
        raise BadInput(f"Please keep the feature name under {MAX_NAME_CHARS} characters. {USAGE}")
    if not slugify(name):
        raise BadInput("The feature name needs at least one letter or digit. " + USAGE)
    if len(mentions) > 1 and mentions[0] == mentions[1]:
        raise BadInput("The PM and the engineer need to be two different people. " + USAGE)
    return name, mentions


def start(
    session: Session, clock: Clock, *, team_id: str, channel_id: str, user_id: str, text: str
) -> Feature:
    name, mentions = read_kickoff_text(text)
    slug = slugify(name)
    existing = session.scalar(
        select(Feature).where(Feature.team_id == team_id, Feature.slug == slug)
    )
    if existing is not None:
        where = f"<#{existing.channel_id}>"
        if existing.thread_ts:
            message_id = existing.thread_ts.replace(".", "")
            link = f"https://slack.com/archives/{existing.channel_id}/p{message_id}"
            where = f"<{link}|this thread> in <#{existing.channel_id}>"
        raise Conflict(
            f"There is already a kickoff for this feature: {where}. "
            "Carry on there, or pick another name."
        )
    pm = mentions[0] if mentions else None
    engineer = mentions[1] if len(mentions) > 1 else None
    now = clock.now()
    feature = Feature(
        team_id=team_id,
        name=name,
        slug=slug,
        channel_id=channel_id,
        created_by=user_id,
        created_at=now,
        pm_user_id=pm,
        engineer_user_id=engineer,
        stage=checklist.ORDER[0].value,
        last_activity_at=now,
        nudges_sent=0,
        timezone="UTC",
        listening=False,
    )
    feature.target_versions.append(
        TargetVersion(version=1, status="draft", values_json={}, created_at=now, changed_by=user_id)
    )
    session.add(feature)
    session.flush()
    return feature


def current_version(feature: Feature) -> TargetVersion:
    return feature.target_versions[-1]


def agreed_version(feature: Feature) -> TargetVersion | None:
    return next((v for v in reversed(feature.target_versions) if v.status == "agreed"), None)


def targets_of(version: TargetVersion) -> Targets:
    return Targets.model_validate(version.values_json)


def root_being_posted(session: Session, team_id: str, channel_id: str) -> bool:
    """A kickoff message in this channel is queued or being posted, its ts not yet known."""
    return (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.channel_id == channel_id,
                OutboxMessage.kind == "kickoff_root",
                OutboxMessage.status.in_(("pending", "sending")),
            )
        )
        is not None
    )


def find_by_thread(
    session: Session, team_id: str, channel_id: str, thread_ts: str
) -> Feature | None:
    return session.scalar(
        select(Feature).where(
            Feature.team_id == team_id,
            Feature.channel_id == channel_id,
            Feature.thread_ts == thread_ts,
        )
    )


def answer(
    session: Session, clock: Clock, feature: Feature, user_id: str, text: str
) -> Outcome | None:
    """A reply typed in the kickoff thread. None when there is nothing to answer (chatter)."""
    text = text.strip()
    version = current_version(feature)
    if len(text) > MAX_ANSWER_CHARS:
        return Outcome(
            feature,
            targets_of(version),
            clarify=f"That reply is longer than {MAX_ANSWER_CHARS:,} characters, so I didn't "
            "store it. Could you give me the short version?",
        )
    edit = parsing.parse_edit_request(text)
    if edit is not None:
        step_key, rest = edit
        value_text, _, reason = rest.partition(" because ")
        return change(
            session, clock, feature, user_id, Step(step_key), value_text, reason.strip() or None
        )
    if feature.stage in (REVIEW, AGREED):
        return None
    pending = feature.pending_json
    if pending and pending.get("step") == feature.stage:
        word = text.lower().strip(" .!")
        if word in YES or word in NO:
            return confirm_reading(session, clock, feature, user_id, accept=word in YES)
    step = Step(feature.stage)
    return _take_answer(session, clock, feature, user_id, step, text)


YES = {"yes", "y", "yep", "yeah", "correct", "right", "that's right", "thats right", "ok"}
NO = {"no", "n", "nope", "wrong", "not quite"}


def hold_reading(feature: Feature, step: Step, reading: str, clarify: str) -> None:
    """Keep a language model's reading until someone confirms or rejects it."""
    feature.pending_json = {"step": step.value, "reading": reading, "clarify": clarify}


def confirm_reading(
    session: Session, clock: Clock, feature: Feature, user_id: str, accept: bool
) -> Outcome | None:
    pending = feature.pending_json
    if not pending or pending.get("step") != feature.stage:
        return None  # a stale button: the question has moved on
    feature.pending_json = None
    step = Step(feature.stage)
    if accept:
        return _take_answer(session, clock, feature, user_id, step, str(pending["reading"]))
    return Outcome(feature, targets_of(current_version(feature)), clarify=str(pending["clarify"]))


def _take_answer(
    session: Session, clock: Clock, feature: Feature, user_id: str, step: Step, text: str
) -> Outcome:
    now = clock.now()
    result = checklist.parse_answer(step, text)
    version = current_version(feature)
    session.add(
        Answer(
            feature_id=feature.id,
            step=step.value,
            text=text,
            user_id=user_id,
            accepted=isinstance(result, Parsed),
            value_json=(
                {"value": checklist.value_to_json(step, result.value)}
                if isinstance(result, Parsed)
                else None
            ),
            at=now,
        )
    )
    feature.last_activity_at = now
    if isinstance(result, Unclear):
        return Outcome(feature, targets_of(version), clarify=result.reply, unclear_step=step)
    feature.pending_json = None
    targets = checklist.apply(targets_of(version), step, result.value)
    version.values_json = targets.model_dump(mode="json")
    upcoming = checklist.next_step(targets)
    feature.stage = upcoming.value if upcoming else REVIEW
    return Outcome(
        feature,
        targets,
        accepted_step=step,
        question=checklist.QUESTIONS[upcoming] if upcoming else None,
        review=upcoming is None,
    )


def choose(
    session: Session, clock: Clock, feature: Feature, user_id: str, step: Step, value: str
) -> Outcome | None:
    """A button press answering a question; a stale button (already answered) is ignored."""
    if feature.stage != step.value:
        return None
    return _take_answer(session, clock, feature, user_id, step, value)


def change(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    step: Step,
    value_text: str,
    reason: str | None,
) -> Outcome:
    """Edit one answer. Before agreement this edits the draft (and clears its sign-offs);
    after agreement it proposes a new version that needs both sign-offs again."""
    version = current_version(feature)
    result = checklist.parse_answer(step, value_text)
    if isinstance(result, Unclear):
        return Outcome(feature, targets_of(version), clarify=result.reply)
    now = clock.now()
    feature.last_activity_at = now
    if version.status == "agreed":
        signers = {signoff.user_id for signoff in version.signoffs}
        if user_id not in signers:
            who = " or ".join(f"<@{user}>" for user in sorted(signers))
            raise Forbidden(
                f"These targets were agreed, so only the people who signed them ({who}) can "
                "propose a change. Ask one of them, or share your reason in the thread."
            )
        if not reason:
            return Outcome(
                feature,
                targets_of(version),
                clarify="These targets were agreed, so a change needs a reason for the record. "
                f"Try: `change {checklist.STEP_NAMES[step]} to {value_text.strip()} because …`",
            )
        targets = checklist.apply(targets_of(version), step, result.value)
        new = TargetVersion(
            version=version.version + 1,
            status="draft",
            values_json=targets.model_dump(mode="json"),
            changed_by=user_id,
            reason=reason[:1000],
            created_at=now,
        )
        feature.target_versions.append(new)
        feature.stage = REVIEW
        session.flush()
        return Outcome(
            feature,
            targets,
            changed_step=step,
            new_version=new.version,
            reason=new.reason,
            review=True,
        )
    targets = checklist.apply(targets_of(version), step, result.value)
    version.values_json = targets.model_dump(mode="json")
    if version.signoffs:
        version.signoffs.clear()
    if reason:
        version.reason = reason[:1000]
    upcoming = checklist.next_step(targets)
    feature.stage = upcoming.value if upcoming else REVIEW
    return Outcome(
        feature,
        targets,
        changed_step=step,
        question=checklist.QUESTIONS[upcoming] if upcoming else None,
        review=upcoming is None,
    )


def sign(session: Session, clock: Clock, feature: Feature, user_id: str, role: Role) -> Outcome:
    version = current_version(feature)
    if feature.stage != REVIEW:
        if version.status == "agreed":
            raise Conflict(f"Version {version.version} is already agreed; nothing to sign.")
        raise Conflict("Not every question is answered yet, so there is nothing to sign.")
    role_name = "PM" if role is Role.PM else "engineer"
    for signoff in version.signoffs:
        if signoff.user_id == user_id:
            raise Forbidden(
                f"You already signed version {version.version}. The other sign-off needs a "
                "second person: a PM and an engineer, two different people."
            )
        if signoff.role == role.value:
            raise Conflict(f"<@{signoff.user_id}> already signed as {role_name}.")
    named = feature.pm_user_id if role is Role.PM else feature.engineer_user_id
    if named is not None and named != user_id:
        raise Forbidden(
            f"<@{named}> is the {role_name} for this kickoff, so only they can sign as {role_name}."
        )
    other_named = feature.engineer_user_id if role is Role.PM else feature.pm_user_id
    if named is None and other_named == user_id:
        raise Forbidden(
            f"You hold the other role here, so the {role_name} sign-off needs someone else: "
            "two different people sign."
        )
    now = clock.now()
    version.signoffs.append(SignOff(user_id=user_id, role=role.value, at=now))
    feature.last_activity_at = now
    if named is None:
        if role is Role.PM:
            feature.pm_user_id = user_id
        else:
            feature.engineer_user_id = user_id
    agreed = {s.role for s in version.signoffs} == {Role.PM.value, Role.ENGINEER.value}
    if agreed:
        for earlier in feature.target_versions:
            if earlier.status == "agreed":
                earlier.status = "superseded"
        version.status = "agreed"
        version.agreed_at = now
        feature.stage = AGREED
    session.flush()
    return Outcome(feature, targets_of(version), signed_role=role, agreed=agreed)


def get_feature(session: Session, team_id: str, key: str) -> Feature | None:
    """By id or slug, always within one workspace."""
    query = select(Feature).where(Feature.team_id == team_id)
    if key.isdigit():
        found = session.scalar(query.where(Feature.id == int(key)))
        if found is not None:
            return found
    return session.scalar(query.where(Feature.slug == slugify(key)))


def features_of(session: Session, team_id: str) -> list[Feature]:
    return list(
        session.scalars(select(Feature).where(Feature.team_id == team_id).order_by(Feature.id))
    )


def stalled(session: Session, now: datetime, first_after_hours: float) -> list[tuple[Feature, int]]:
    """Kickoffs waiting on people, locked for this transaction: (feature, which nudge: 1 or 2).

    The first nudge comes after `first_after_hours` idle, the second three days after that,
    then never again. Rows are claimed with SKIP LOCKED so two replicas never nudge twice.
    """
    first = timedelta(hours=first_after_hours)
    query = (
        select(Feature)
        .where(
            Feature.stage != AGREED,
            Feature.nudges_sent < 2,
            Feature.thread_ts.is_not(None),
            Feature.last_activity_at <= now - first,
        )
        .order_by(Feature.id)
        .with_for_update(skip_locked=True)
    )
    due: list[tuple[Feature, int]] = []
    for feature in session.scalars(query):
        idle = now - feature.last_activity_at
        if feature.nudges_sent == 0:
            due.append((feature, 1))
        elif idle >= first + timedelta(days=3):
            due.append((feature, 2))
    return due


def waiting_on(feature: Feature) -> list[str]:
    """Who the kickoff waits for: the named people who have not signed yet, else the starter."""
    named = [u for u in (feature.pm_user_id, feature.engineer_user_id) if u]
    if feature.stage == REVIEW:
        signed = {s.user_id for s in current_version(feature).signoffs}
        named = [u for u in named if u not in signed]
    return named or [feature.created_by]
