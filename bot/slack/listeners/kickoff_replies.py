"""What a kickoff outcome means in Slack: the posts it queues in the thread (and the channel,
for changes to agreed targets), matched on the outcome's type. One short line says what a reply
did ("Noted: error rate at most 12% of answers wrong; cost of an error: “a lost deal”."), then
the bot asks only for the first item still missing; the summary is one message, updated in
place (services/kickoff/summary.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import clip, escape
from bot.domain.targets import Role, Targets
from bot.services import kickoff, outbox
from bot.services.kickoff import summary
from bot.services.kickoff.outcomes import (
    Agreed,
    Change,
    Changed,
    Clarify,
    Dispute,
    Explained,
    Noted,
    Outcome,
    Proposed,
    Signed,
)
from bot.slack.blocks import Block, section
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Feature

Blocks = list[Block]


def say(session: Session, deps: Deps, outcome: Outcome) -> None:
    """Queue what an outcome means for the thread (and the channel, for changes)."""
    feature = outcome.feature
    version = kickoff.current_version(feature)
    match outcome:
        case Clarify(text=text, step=step):
            # Our reader quotes the person's words back: escaped like any user text.
            _post(session, deps, feature, *kickoff_blocks.line(escape(text), step))
        case Explained(text=text):
            _post(session, deps, feature, *kickoff_blocks.line(escape(text)))
        case Noted() as noted:
            lines = _noted_lines(noted)
            _next(session, deps, feature, noted.targets, lines, noted)
        case Changed(changes=edits) as changed:
            _next(session, deps, feature, changed.targets, [_changes_line(edits)], changed)
        case Proposed(targets=targets, step=step):
            announcement = kickoff_blocks.change_announcement(feature, version, step, targets)
            outbox.say(
                session,
                deps.clock,
                feature,
                announcement,
                [section(announcement)],
                where=outbox.CHANNEL,
            )
            text, blocks = kickoff_blocks.summary(feature, version, targets)
            summary.show(session, deps.clock, feature, text, blocks, new=True)
        case Signed(role=role, targets=targets):
            summary.show(
                session, deps.clock, feature, *kickoff_blocks.summary(feature, version, targets)
            )
            name = "PM" if role is Role.PM else "engineer"
            line = f"Signed as {name}. Waiting for the other sign-off."
            _post(session, deps, feature, line, [section(line)])
        case Agreed(targets=targets):
            text, blocks = kickoff_blocks.agreed(feature, version, targets, in_thread=True)
            summary.show(session, deps.clock, feature, text, blocks)
            text, blocks = kickoff_blocks.agreed(feature, version, targets)
            _post(session, deps, feature, *kickoff_blocks.agreed_note(feature, version, targets))
            if version.version > 1:
                outbox.say(session, deps.clock, feature, text, blocks, where=outbox.CHANNEL)


def _post(session: Session, deps: Deps, feature: Feature, text: str, blocks: Blocks) -> None:
    outbox.say(session, deps.clock, feature, text, blocks)


def _noted_lines(noted: Noted) -> list[str]:
    lines = []
    if noted.steps:
        said = "; ".join(_said_back(step, noted.targets) for step in noted.steps)
        lines.append(f"Noted: {said}.")
    if noted.changes:
        lines.append(_changes_line(noted.changes))
    lines += [_dispute_line(dispute) for dispute in noted.disputes]
    lines += [escape(text) for text in noted.follow_ups + noted.explanations]
    return lines


def _said_back(step: Step, targets: Targets) -> str:
    return escape(clip(checklist.said_back(targets, step), 300))


def _changes_line(changes: tuple[Change, ...]) -> str:
    return " ".join(
        f"Changed *{checklist.ITEMS[c.step].label}*: {escape(clip(c.before, 200))} → "
        f"{escape(clip(c.after, 200))}."
        for c in changes
    )


def _dispute_line(dispute: Dispute) -> str:
    said = "; ".join(f"<@{user}> says {escape(value)}" for user, value in dispute.claims)
    label = checklist.ITEMS[dispute.step].label
    return f"{said}. Which *{label}* holds? Reply with the one you agree on."


def _next(
    session: Session,
    deps: Deps,
    feature: Feature,
    targets: Targets,
    lines: list[str],
    outcome: Noted | Changed,
) -> None:
    """After what a reply did: the summary once every answer is in (updated in place when it
    is already up), else the first question still open."""
    lead = "\n".join(line for line in lines if line)
    still_open = outcome.still_open if isinstance(outcome, Noted) else None
    if outcome.complete:
        version = kickoff.current_version(feature)
        text, blocks = kickoff_blocks.summary(feature, version, targets)
        if summary.showing(session, feature) is not None:
            if lead:
                _post(
                    session, deps, feature, *kickoff_blocks.line(f"{lead} The summary is updated.")
                )
            summary.show(session, deps.clock, feature, text, blocks)
            return
        if lead:
            _post(session, deps, feature, *kickoff_blocks.line(lead))
        summary.show(session, deps.clock, feature, text, blocks)
    elif outcome.ask is not None:
        prefix = f"{lead}\n\n" if lead else ""
        _post(session, deps, feature, *kickoff_blocks.question(outcome.ask, feature.id, prefix))
    elif still_open is not None:
        reminder = f"Still open: *{still_open.title}*"
        _post(session, deps, feature, *kickoff_blocks.line(f"{lead}\n{reminder}".strip()))
    elif lead:
        asks = (
            next((d.step for d in outcome.disputes), None) if isinstance(outcome, Noted) else None
        )
        _post(session, deps, feature, *kickoff_blocks.line(lead, asks))
