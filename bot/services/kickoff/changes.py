"""Changing an answer. Before agreement the draft is edited (and its sign-offs cleared). After
agreement every change is a proposal of its own: a new version by one of the people who signed
the agreed version, with a reason that says something; editing an open proposal makes another
version (the one it replaces is kept, with its author and reason); its proposer may withdraw it.
Slack-free."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist
from bot.domain.agreement import VersionStatus, says_something
from bot.domain.checklist import AGREED, REVIEW, Step
from bot.domain.parsing import Unclear
from bot.errors import Conflict, Forbidden
from bot.services.kickoff import agreed_version, current_version, lock, targets_of
from bot.services.kickoff.draft import apply_facts
from bot.services.kickoff.outcomes import Change, Changed, Clarify, Outcome, Proposed, Withdrawn
from bot.store.models import Feature, TargetVersion

MAX_REASON_CHARS = 1000


def change(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    step: Step,
    value_text: str,
    reason: str | None,
) -> Outcome:
    """Edit one answer: the draft before agreement, a proposed new version after it."""
    result = checklist.parse_answer(step, value_text)
    if isinstance(result, Unclear):
        return Clarify(feature, result.reply, step)
    lock(session, feature)  # one change or sign-off of this kickoff at a time
    agreed = agreed_version(feature)
    if agreed is not None:
        return _propose(session, clock, feature, agreed, user_id, step, result.value, reason)
    now = clock.now()
    feature.last_activity_at = now
    version = current_version(feature)
    before = targets_of(version)
    apply_facts(session, feature, user_id, [(step, result.value, value_text)], now, explicit=True)
    if reason:
        version.reason = reason[:MAX_REASON_CHARS]
    targets = targets_of(version)
    edit = Change(step, checklist.describe(before, step), checklist.describe(targets, step))
    complete = feature.stage == REVIEW
    return Changed(
        feature,
        targets,
        (edit,),
        ask=None if complete else checklist.ITEMS[Step(feature.stage)].question,
        complete=complete,
    )


def _propose(
    session: Session,
    clock: Clock,
    feature: Feature,
    agreed: TargetVersion,
    user_id: str,
    step: Step,
    value: object,
    reason: str | None,
) -> Outcome:
    signers = {signoff.user_id for signoff in agreed.signoffs}
    if user_id not in signers:
        who = " or ".join(f"<@{user}>" for user in sorted(signers))
        raise Forbidden(
            f"These targets were agreed, so only the people who signed them ({who}) can "
            "propose a change or edit one. Ask one of them, or share your reason in the thread."
        )
    if not says_something(reason):
        return Clarify(feature, no_reason(step, reason), step)
    assert reason is not None
    now = clock.now()
    feature.last_activity_at = now
    base = current_version(feature)  # the open proposal, or the agreed version itself
    revises = base if base is not agreed else None
    targets = checklist.apply(targets_of(base), step, value)
    if revises is not None:
        revises.status = VersionStatus.REPLACED
    new = TargetVersion(
        version=max(v.version for v in feature.target_versions) + 1,
        status=VersionStatus.DRAFT,
        values_json=targets.model_dump(mode="json"),
        changed_by=user_id,
        reason=reason.strip()[:MAX_REASON_CHARS],
        created_at=now,
    )
    feature.target_versions.append(new)
    feature.stage = REVIEW
    session.flush()
    return Proposed(feature, targets, new, step, revises=revises)


def no_reason(step: Step, reason: str | None) -> str:
    """The refusal of a change to agreed targets whose reason is missing or says nothing,
    quoting what was given ("because .", "bc", "-") so the person sees what fell short."""
    example = f"`change {checklist.ITEMS[step].label} to … because <why>`"
    given = " ".join((reason or "").split())[:60]
    opening = (
        f"“{given}” doesn't say why, and these targets were agreed: a change needs a reason "
        "for the record."
        if given
        else "These targets were agreed, so a change needs a reason that says why, for the record."
    )
    return f"{opening} Nothing was changed. Try: {example}"


NOT_OPEN = "That proposal is no longer the open one; see the newest summary."


def withdraw(
    session: Session, clock: Clock, feature: Feature, user_id: str, shown: int | None = None
) -> Withdrawn:
    """Withdraw the open change to agreed targets. Only someone who proposed it (or an edit of
    it) may; the agreed version stays in force and the proposal stays on record. `shown`: the
    version the pressed button showed, compared under the lock, so that a press made as an edit
    of the proposal commits withdraws nothing it did not show (typed: the open one)."""
    lock(session, feature)
    agreed = agreed_version(feature)
    current = current_version(feature)
    if agreed is None or current is agreed:
        raise Conflict("There is no proposed change to withdraw.")
    if shown is not None and current.version != shown:
        raise Conflict(NOT_OPEN)
    proposers = {
        v.changed_by for v in feature.target_versions if v.version > agreed.version and v.changed_by
    }
    if user_id not in proposers:
        who = " or ".join(f"<@{user}>" for user in sorted(proposers))
        raise Forbidden(
            f"Only who proposed this change ({who}) can withdraw it. The people who signed the "
            "targets can edit it instead, with a reason."
        )
    current.status = VersionStatus.WITHDRAWN
    feature.stage = AGREED
    feature.last_activity_at = clock.now()
    session.flush()
    return Withdrawn(feature, targets_of(agreed), agreed, current, user_id)
