"""The kickoff's sign-off and change services, called directly on a real database (SQLite and
PostgreSQL): what a press signs, what a stale one does, the lock's re-read, and the rules for
changing agreed targets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import ManualClock
from bot.domain.agreement import fingerprint, says_something
from bot.domain.checklist import Step
from bot.domain.targets import Role, Targets
from bot.errors import Conflict, Forbidden
from bot.services.kickoff import changes, current_version, signoff
from bot.services.kickoff.outcomes import Agreed, Clarify, Proposed, Signed, Stale, Withdrawn
from bot.store.db import SessionFactory
from bot.store.models import Feature, TargetVersion
from tests.support.agreement import TARGETS
from tests.support.rows import feature_row

PM, ENG, OTHER = "U0PM", "U0ENG", "U0OTHER"
SHOWN = fingerprint(Targets.model_validate(TARGETS))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def in_review(factory: SessionFactory) -> int:
    now = datetime.now(UTC)
    with factory() as session:
        feature = feature_row(now)
        feature.target_versions.append(
            TargetVersion(version=1, status="draft", values_json=dict(TARGETS), created_at=now)
        )
        session.add(feature)
        session.commit()
        return feature.id


def feature_in(session: Session, feature_id: int) -> Feature:
    feature = session.get(Feature, feature_id)
    assert feature is not None
    return feature


def sign(
    session: Session, clock: ManualClock, feature_id: int, user: str, role: Role, shown: str = SHOWN
) -> Signed | Agreed | Stale:
    feature = feature_in(session, feature_id)
    return signoff.sign(
        session, clock, feature, user, role, shown_version=1, shown_fingerprint=shown
    )


def agreed(factory: SessionFactory, clock: ManualClock) -> int:
    feature_id = in_review(factory)
    with factory() as session:
        sign(session, clock, feature_id, PM, Role.PM)
        assert isinstance(sign(session, clock, feature_id, ENG, Role.ENGINEER), Agreed)
        session.commit()
    return feature_id


def test_a_press_signs_only_the_values_it_showed(
    factory: SessionFactory, clock: ManualClock
) -> None:
    feature_id = in_review(factory)
    with factory() as session:
        other = fingerprint(Targets.model_validate(TARGETS | {"max_error_rate": 0.5}))
        stale = sign(session, clock, feature_id, PM, Role.PM, shown=other)
        assert isinstance(stale, Stale) and stale.targets.max_error_rate == 0.1
        assert feature_in(session, feature_id).target_versions[0].signoffs == []
        wrong_version = signoff.sign(
            session,
            clock,
            feature_in(session, feature_id),
            PM,
            Role.PM,
            shown_version=2,
            shown_fingerprint=SHOWN,
        )
        assert isinstance(wrong_version, Stale)
        assert isinstance(sign(session, clock, feature_id, PM, Role.PM), Signed)


def test_a_press_sees_the_other_press_committed_after_it_read(
    factory: SessionFactory, clock: ManualClock
) -> None:
    """The engineer's request read the kickoff before the PM's sign-off committed: the lock
    re-reads, so the second press completes the pair instead of leaving it stuck."""
    feature_id = in_review(factory)
    engineer = factory()
    early = feature_in(engineer, feature_id)
    assert early.target_versions[0].signoffs == []  # loaded before the PM signs
    engineer.commit()  # end the read (SQLite readers would otherwise hold their snapshot)
    with factory() as pm:
        assert isinstance(sign(pm, clock, feature_id, PM, Role.PM), Signed)
        pm.commit()
    outcome = signoff.sign(
        engineer, clock, early, ENG, Role.ENGINEER, shown_version=1, shown_fingerprint=SHOWN
    )
    assert isinstance(outcome, Agreed)
    engineer.commit()
    engineer.close()
    with factory() as session:
        version = session.scalars(select(TargetVersion)).one()
        assert version.status == "agreed" and len(version.signoffs) == 2


def test_changes_after_agreement_are_signers_only_with_a_reason_each_its_own_version(
    factory: SessionFactory, clock: ManualClock
) -> None:
    feature_id = agreed(factory, clock)
    with factory() as session:
        feature = feature_in(session, feature_id)
        with pytest.raises(Forbidden):
            changes.change(session, clock, feature, OTHER, Step.ERROR_RATE, "60%", "I say so")
        empty = changes.change(session, clock, feature, PM, Step.ERROR_RATE, "8%", " . ")
        assert isinstance(empty, Clarify) and "reason" in empty.text
        first = changes.change(session, clock, feature, PM, Step.ERROR_RATE, "8%", "tickets up")
        assert isinstance(first, Proposed) and first.revises is None
        with pytest.raises(Forbidden):  # nor may they edit the open proposal
            changes.change(session, clock, feature, OTHER, Step.ERROR_RATE, "60%", "I say so")
        second = changes.change(session, clock, feature, ENG, Step.ERROR_RATE, "9%", "too tight")
        assert isinstance(second, Proposed) and second.revises is first.version
        session.commit()
        statuses = [(v.version, v.status, v.changed_by) for v in feature.target_versions]
        assert statuses == [(1, "agreed", None), (2, "replaced", PM), (3, "draft", ENG)]
        assert current_version(feature).version == 3


def test_the_proposer_withdraws_and_the_agreed_version_stays(
    factory: SessionFactory, clock: ManualClock
) -> None:
    feature_id = agreed(factory, clock)
    with factory() as session:
        feature = feature_in(session, feature_id)
        with pytest.raises(Conflict):
            changes.withdraw(session, clock, feature, PM)  # nothing proposed yet
        changes.change(session, clock, feature, PM, Step.LATENCY, "1.5 s", "users leave early")
        with pytest.raises(Forbidden):
            changes.withdraw(session, clock, feature, ENG)  # a signer, not the proposer
        done = changes.withdraw(session, clock, feature, PM)
        assert isinstance(done, Withdrawn) and done.agreed.version == 1
        assert feature.stage == "agreed" and current_version(feature).version == 1
        assert [v.status for v in feature.target_versions] == ["agreed", "withdrawn"]


@pytest.mark.parametrize(
    ("reason", "ok"),
    [
        (None, False),
        ("", False),
        (" . ", False),
        ("because .", False),
        ("because yes", False),
        ("idk", False),
        ("¯\\_(ツ)_/¯", False),
        ("because users leave after a second", True),
        ("cost", True),
        ("legal asked for it", True),
        ("parce que les clients se plaignent", True),
    ],
)
def test_what_counts_as_a_reason(reason: str | None, ok: bool) -> None:
    assert says_something(reason) is ok
