"""The kickoff: starting one and finding it again. Slack-free.

The use cases on a running kickoff live beside this module: `answers` (replies and buttons that
answer the checklist), `changes` (edits before and after agreement) and `signoff`. Each returns
an outcome from `outcomes` that the Slack layer renders and queues in the same transaction."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist
from bot.domain.agreement import VersionStatus
from bot.domain.checklist import AGREED, REVIEW
from bot.domain.mrkdwn import thread_link
from bot.domain.said import Markup, Said
from bot.domain.targets import Targets
from bot.errors import BadInput, Conflict
from bot.store.models import Feature, OutboxMessage, TargetVersion
from bot.store.states import OutboxKind, OutboxStatus

MAX_ANSWER_CHARS = 4000
MAX_NAME_CHARS = 80
MAX_ID = 2**31 - 1  # the features table's INTEGER id, on SQLite and PostgreSQL
USAGE = (
    "Usage: `/kickoff <feature name> [@pm] [@engineer]`, e.g. `/kickoff Support answers @ana @raj`."
)


def slugify(name: str) -> str:
    """ "Support answers" → "support-answers". A name with no Latin letter or digit keeps its
    own script's letters, digits and marks ("תשובות תמיכה" → "תשובות-תמיכה"), rather than having
    no slug at all; Latin names keep the slugs they always had."""
    lowered = name.lower()
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", lowered).strip("-")
    if ascii_slug:
        return ascii_slug
    kept = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in lowered)
    return "-".join(kept.split())


def read_kickoff_text(said: Said) -> tuple[str, list[str]]:
    """ "Support answers @ana @raj" (two mentions) → ("Support answers", ["U1", "U2"]); refuses
    what can never start a kickoff. Pure, so the ack path can say so at once."""
    mentions = list(said.mentions)
    name = " ".join(said.text_without(Markup.USER).split())
    if not name:
        raise BadInput("Which feature is this kickoff for? " + USAGE)
    if len(name) > MAX_NAME_CHARS:
        raise BadInput(f"Please keep the feature name under {MAX_NAME_CHARS} characters. {USAGE}")
    slug = slugify(name)
    if not slug:
        raise BadInput("The feature name needs at least one letter or digit. " + USAGE)
    if slug.isdigit():
        # A feature is named by its id or its slug (`groundline ingest --feature 2`); a slug of
        # only digits would be read as another feature's id, and its numbers stored there.
        raise BadInput(
            "A feature name of only digits would read as another feature's number; add a "
            f"word, e.g. `/kickoff Search {slug}`. " + USAGE
        )
    if len(mentions) > 2:
        raise BadInput(
            "A kickoff names two people at most: the PM first, then the engineer (they sign "
            "off). Mention others in the thread. " + USAGE
        )
    if len(mentions) > 1 and mentions[0] == mentions[1]:
        raise BadInput("The PM and the engineer need to be two different people. " + USAGE)
    return name, mentions


def start(
    session: Session, clock: Clock, *, team_id: str, channel_id: str, user_id: str, said: Said
) -> Feature:
    name, mentions = read_kickoff_text(said)
    slug = slugify(name)
    existing = session.scalar(
        select(Feature).where(Feature.team_id == team_id, Feature.slug == slug)
    )
    if existing is not None:
        where = f"<#{existing.channel_id}>"
        if existing.thread_ts:
            link = thread_link(existing.channel_id, existing.thread_ts)
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
        TargetVersion(
            version=1,
            status=VersionStatus.DRAFT,
            values_json={},
            created_at=now,
            changed_by=user_id,
        )
    )
    session.add(feature)
    session.flush()
    return feature


# Versions no longer in play: an earlier agreed one, a proposal a later edit replaced, one its
# proposer withdrew. They stay as the record; the current version is the newest other one.
CLOSED = frozenset({VersionStatus.SUPERSEDED, VersionStatus.REPLACED, VersionStatus.WITHDRAWN})


def current_version(feature: Feature) -> TargetVersion:
    """The version in play: the open draft (before agreement, or a proposed change), else the
    agreed one."""
    open_versions = [v for v in feature.target_versions if v.status not in CLOSED]
    return open_versions[-1] if open_versions else feature.target_versions[-1]


def lock(session: Session, feature: Feature) -> None:
    """Hold the feature for the rest of this transaction, then re-read its versions and
    sign-offs: every sign-off and change to one kickoff runs one after another, on one replica
    or several. A no-op UPDATE takes PostgreSQL's row lock (another transaction waits for our
    commit) and SQLite's write lock; what we read after it is what the last commit left."""
    session.flush()
    session.execute(
        update(Feature)
        .where(Feature.id == feature.id)
        .values(last_activity_at=Feature.last_activity_at)
    )
    session.refresh(feature)
    session.expire(feature, ["target_versions"])
    for version in feature.target_versions:
        session.refresh(version)
        session.expire(version, ["signoffs"])


def agreed_version(feature: Feature) -> TargetVersion | None:
    return next(
        (v for v in reversed(feature.target_versions) if v.status == VersionStatus.AGREED), None
    )


def targets_of(version: TargetVersion) -> Targets:
    return Targets.model_validate(version.values_json)


def root_being_posted(session: Session, team_id: str, channel_id: str) -> bool:
    """A kickoff message in this channel is queued or being posted, its ts not yet known."""
    return (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.channel_id == channel_id,
                OutboxMessage.kind == OutboxKind.KICKOFF_ROOT,
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
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


def get_feature(session: Session, team_id: str, key: str) -> Feature | None:
    """By id or slug, always within one workspace."""
    return next(iter(features_named(session, key, team_id)), None)


def features_named(session: Session, key: str, team_id: str | None) -> list[Feature]:
    """The feature with this id, or else those with this slug: in one workspace, or in all of
    them when `team_id` is None (the command line, where a slug may be ambiguous)."""
    query = select(Feature)
    if team_id is not None:
        query = query.where(Feature.team_id == team_id)
    # Only what an id column can hold is an id: "²" is a digit to isdigit() but not to int(),
    # and 24 digits overflow the column (SQLite raises, PostgreSQL refuses the query).
    if key.isascii() and key.isdigit() and int(key) <= MAX_ID:
        found = session.scalar(query.where(Feature.id == int(key)))
        if found is not None:
            return [found]
    return list(session.scalars(query.where(Feature.slug == slugify(key)).order_by(Feature.id)))


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
