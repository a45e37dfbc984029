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
from bot.services.kickoff.draft import apply_facts
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
                f"Try: `change {checklist.ITEMS[step].label} to {value_text.strip()} because …`",
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
    apply_facts(session, feature, user_id, [(step, result.value, value_text)], now, explicit=True)
    if reason:
        version.reason = reason[:1000]
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
