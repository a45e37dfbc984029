"""Signing the targets as PM or engineer: two different people, one each. Slack-free.

A press signs what its summary showed: the button carries that version and a fingerprint of its
values, and a press whose fingerprint is not the current version's signs nothing (`Stale`).
Presses are taken one at a time per feature (`lock`), so two at the same moment, on one replica
or two, see each other: the second completes the pair and the version is agreed exactly once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.agreement import VersionStatus, fingerprint
from bot.domain.checklist import AGREED, REVIEW
from bot.domain.targets import Role
from bot.errors import Conflict, Forbidden
from bot.services.kickoff import current_version, lock, targets_of
from bot.services.kickoff.outcomes import Agreed, Signed, Stale
from bot.store.models import Feature, SignOff


def sign(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    role: Role,
    *,
    shown_version: int,
    shown_fingerprint: str,
) -> Signed | Agreed | Stale:
    """Sign the version the presser saw (`shown_*`, from the button), if it is still the one
    in play with the same values."""
    lock(session, feature)
    version = current_version(feature)
    targets = targets_of(version)
    if shown_version != version.version or shown_fingerprint != fingerprint(targets):
        return Stale(feature, targets, version)
    if feature.stage != REVIEW:
        if version.status == VersionStatus.AGREED:
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
    if agreed:  # under the lock: no other press of this feature is between our read and here
        for earlier in feature.target_versions:
            if earlier.status == VersionStatus.AGREED:
                earlier.status = VersionStatus.SUPERSEDED
        version.status = VersionStatus.AGREED
        version.agreed_at = now
        feature.stage = AGREED
    session.flush()
    if agreed:
        return Agreed(feature, targets_of(version), version)
    return Signed(feature, targets_of(version), version, role)
