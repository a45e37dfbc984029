"""Changing an answer: before agreement the draft is edited (and its sign-offs cleared); after
agreement a new version is proposed that needs both sign-offs again. Slack-free."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist
from bot.domain.checklist import REVIEW, Step
from bot.domain.parsing import Unclear
from bot.errors import Forbidden
from bot.services.kickoff import current_version, targets_of
from bot.services.kickoff.outcomes import Change, Changed, Clarify, Outcome, Proposed
from bot.store.models import Feature, TargetVersion


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
    version = current_version(feature)
    result = checklist.parse_answer(step, value_text)
    if isinstance(result, Unclear):
        return Clarify(feature, result.reply, step)
    now = clock.now()
    feature.last_activity_at = now
    before = targets_of(version)
    if version.status == "agreed":
        signers = {signoff.user_id for signoff in version.signoffs}
        if user_id not in signers:
            who = " or ".join(f"<@{user}>" for user in sorted(signers))
            raise Forbidden(
                f"These targets were agreed, so only the people who signed them ({who}) can "
                "propose a change. Ask one of them, or share your reason in the thread."
            )
        if not reason:
            return Clarify(
                feature,
                "These targets were agreed, so a change needs a reason for the record. "
                f"Try: `change {checklist.STEP_NAMES[step]} to {value_text.strip()} because …`",
                step,
            )
        targets = checklist.apply(before, step, result.value)
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
        return Proposed(feature, targets, new, step)
    targets = checklist.apply(before, step, result.value)
    version.values_json = targets.model_dump(mode="json")
    if version.signoffs:
        version.signoffs.clear()
    if reason:
        version.reason = reason[:1000]
    upcoming = checklist.next_step(targets)
    feature.stage = upcoming.value if upcoming else REVIEW
    edit = Change(step, checklist.describe(before, step), checklist.describe(targets, step))
    return Changed(
        feature,
        targets,
        (edit,),
        ask=checklist.QUESTIONS[upcoming] if upcoming else None,
        complete=upcoming is None,
    )
