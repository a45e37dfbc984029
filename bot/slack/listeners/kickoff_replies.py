"""What a kickoff outcome means in Slack: the posts it queues in the thread (and the channel,
for changes to agreed targets), matched on the outcome's type.

Every summary is posted with a key (`summary:<feature>:…`), so that when the numbers change the
summaries posted before are retired: their buttons are taken away (chat.update). Their
sign-off buttons could not sign anyway (a stale fingerprint signs nothing); this way nobody is
invited to press them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.mrkdwn import escape
from bot.domain.targets import Role
from bot.services import kickoff, outbox
from bot.services.kickoff.outcomes import (
    Agreed,
    Changed,
    Clarify,
    Noted,
    Outcome,
    Proposed,
    Signed,
    Withdrawn,
)
from bot.slack.blocks import Block, section
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Feature


def say(session: Session, deps: Deps, outcome: Outcome) -> None:
    """Queue what an outcome means for the thread (and the channel, for changes)."""
    feature = outcome.feature
    version = kickoff.current_version(feature)
    match outcome:
        case Clarify(text=text):
            safe = escape(text)  # our reader quotes the person's words back
            outbox.say(session, deps.clock, feature, safe, [section(safe)])
        case Noted(steps=steps, targets=targets, ask=ask, complete=complete):
            lead = "".join(
                f"Got it: *{checklist.STEP_NAMES[step]}* — "
                f"{escape(checklist.describe(targets, step))}.\n\n"
                for step in steps
            )
            _next(session, deps, outcome, lead, ask, complete)
        case Changed(changes=edits, ask=ask, complete=complete):
            retire_summaries(session, deps, feature)
            lead = "".join(
                f"Updated *{checklist.STEP_NAMES[edit.step]}* to {escape(edit.after)}.\n\n"
                for edit in edits
            )
            _next(session, deps, outcome, lead, ask, complete)
        case Proposed(targets=targets, step=step, revises=revises):
            retire_summaries(session, deps, feature)
            announcement = kickoff_blocks.change_announcement(
                feature, version, step, targets, revises=revises
            )
            outbox.say(
                session,
                deps.clock,
                feature,
                announcement,
                [section(announcement)],
                where=outbox.CHANNEL,
            )
            post_summary(session, deps, feature, *kickoff_blocks.summary(feature, version, targets))
        case Withdrawn(agreed=agreed, withdrawn=withdrawn, by=by):
            retire_summaries(session, deps, feature)
            line = kickoff_blocks.withdrawal(feature, agreed, withdrawn, by)
            outbox.say(session, deps.clock, feature, line, [section(line)], where=outbox.CHANNEL)
            outbox.say(session, deps.clock, feature, line, [section(line)])
        case Signed(role=role):
            name = "PM" if role is Role.PM else "engineer"
            line = f"Signed as {name}. Waiting for the other sign-off."
            outbox.say(session, deps.clock, feature, line, [section(line)])
        case Agreed(targets=targets):
            text, blocks = kickoff_blocks.agreed(feature, version, targets)
            outbox.say(session, deps.clock, feature, text, blocks)
            if version.version > 1:
                outbox.say(session, deps.clock, feature, text, blocks, where=outbox.CHANNEL)


def _next(
    session: Session,
    deps: Deps,
    outcome: Noted | Changed,
    lead: str,
    ask: checklist.Question | None,
    complete: bool,
) -> None:
    """The next question after what was taken, or the summary once every answer is in."""
    feature = outcome.feature
    if complete:
        version = kickoff.current_version(feature)
        text, blocks = kickoff_blocks.summary(feature, version, outcome.targets)
        if lead:
            blocks.insert(0, section(lead.strip()))
        post_summary(session, deps, feature, text, blocks)
    elif ask is not None:
        outbox.say(session, deps.clock, feature, *kickoff_blocks.question(ask, feature.id, lead))


def summary_key(feature: Feature) -> str:
    return f"summary:{feature.id}:"


def post_summary(
    session: Session, deps: Deps, feature: Feature, text: str, blocks: list[Block]
) -> None:
    """A summary with sign-off buttons, keyed so a later change can retire it."""
    key = f"{summary_key(feature)}{uuid.uuid4().hex}"
    outbox.say(session, deps.clock, feature, text, blocks, dedup_key=key)


def retire_summaries(session: Session, deps: Deps, feature: Feature) -> None:
    """Take the buttons off every summary of this feature posted so far (once each). One still
    waiting to be posted keeps its buttons; pressing them signs nothing and retires it."""
    for row in outbox.posted_with_key(session, summary_key(feature)):
        retire(session, deps, feature, row.ts, row.text, row.blocks_json, f"retire:{row.id}")


def retire(
    session: Session,
    deps: Deps,
    feature: Feature,
    ts: str | None,
    text: str,
    blocks: list[Block] | None,
    key: str,
) -> None:
    if ts is None or outbox.queued(session, key):
        return
    text, retired = kickoff_blocks.retired(text, blocks)
    outbox.update(
        session,
        deps.clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        ts=ts,
        text=text,
        blocks=retired,
        dedup_key=key,
    )
