"""What a kickoff outcome means in Slack: the posts it queues in the thread (and the channel,
for changes to agreed targets), matched on the outcome's type. One short line says what a reply
did ("Noted: error rate at most 12% of answers wrong; cost of an error: “a lost deal”."), then
the bot asks only for the first item still missing; the summary is one message, updated in
place (services/kickoff/summary.py), so its sign-off buttons always carry the current version
and fingerprint. A press on an older copy signs nothing (`Stale`): that copy loses its buttons
and the presser is shown the current numbers (`stale_press`)."""

from __future__ import annotations

from typing import Any

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
    Stale,
    Withdrawn,
)
from bot.slack.blocks import Block, section
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.store.models import Feature

Blocks = list[Block]


def say(session: Session, deps: Deps, outcome: Outcome, asked: outbox.Asked | None = None) -> None:
    """Queue what an outcome means for the thread (and the channel, for changes). `asked`:
    the click or form it answers (`asked_by`); its first post tells that person if Slack
    refuses it for good (one telling: the posts after it go to the same channel)."""
    feature = outcome.feature
    version = kickoff.current_version(feature)
    match outcome:
        case Clarify(text=text, step=step):
            # Our reader quotes the person's words back: escaped like any user text.
            _post(session, deps, feature, *kickoff_blocks.line(escape(text), step), asked)
        case Explained(text=text):
            _post(session, deps, feature, *kickoff_blocks.line(escape(text)), asked)
        case Noted() as noted:
            lines = _noted_lines(noted)
            _next(session, deps, feature, noted.targets, lines, noted, asked)
        case Changed(changes=edits) as changed:
            _next(session, deps, feature, changed.targets, [_changes_line(edits)], changed, asked)
        case Proposed(targets=targets, step=step, revises=revises):
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
                asked=asked,
            )
            # A new proposal gets a summary of its own; an edit of one updates that summary.
            text, blocks = kickoff_blocks.summary(feature, version, targets)
            summary.show(session, deps.clock, feature, text, blocks, new=revises is None)
        case Withdrawn(agreed=agreed, withdrawn=withdrawn, by=by):
            line = kickoff_blocks.withdrawal(feature, agreed, withdrawn, by)
            text, blocks = kickoff_blocks.withdrawn_summary(feature, withdrawn, outcome.targets)
            summary.show(session, deps.clock, feature, text, blocks)
            _post(session, deps, feature, line, [section(line)], asked)
            outbox.say(session, deps.clock, feature, line, [section(line)], where=outbox.CHANNEL)
        case Signed(role=role, targets=targets):
            summary.show(
                session, deps.clock, feature, *kickoff_blocks.summary(feature, version, targets)
            )
            name = "PM" if role is Role.PM else "engineer"
            line = f"Signed as {name}. Waiting for the other sign-off."
            _post(session, deps, feature, line, [section(line)], asked)
        case Agreed(targets=targets):
            text, blocks = kickoff_blocks.agreed(feature, version, targets, in_thread=True)
            summary.show(session, deps.clock, feature, text, blocks)
            text, blocks = kickoff_blocks.agreed(feature, version, targets)
            agreed_note = kickoff_blocks.agreed_note(feature, version, targets)
            _post(session, deps, feature, *agreed_note, asked)
            if version.version > 1:
                outbox.say(session, deps.clock, feature, text, blocks, where=outbox.CHANNEL)


def asked_by(
    body: dict[str, Any], feature: Feature, reply_to: str | None = None
) -> outbox.Asked | None:
    """The person whose click (or form: `reply_to`, its opener's response_url) led to an
    outcome, to be told if Slack refuses the reply for good."""
    return outbox.Asked.of(
        body,
        f"my reply in the kickoff thread of *{escape(feature.name)}*",
        "What you did is recorded all the same; `/align status` shows where it stands.",
        reply_to=reply_to,
        feature=feature,
    )


def _post(
    session: Session,
    deps: Deps,
    feature: Feature,
    text: str,
    blocks: Blocks,
    asked: outbox.Asked | None = None,
) -> None:
    outbox.say(session, deps.clock, feature, text, blocks, asked=asked)


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
    asked: outbox.Asked | None,
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
                updated = kickoff_blocks.line(f"{lead} The summary is updated.")
                _post(session, deps, feature, *updated, asked)
            summary.show(session, deps.clock, feature, text, blocks)
            return
        if lead:
            _post(session, deps, feature, *kickoff_blocks.line(lead), asked)
        summary.show(session, deps.clock, feature, text, blocks)
    elif outcome.ask is not None:
        prefix = f"{lead}\n\n" if lead else ""
        question = kickoff_blocks.question(outcome.ask, feature.id, prefix)
        _post(session, deps, feature, *question, asked)
    elif still_open is not None:
        reminder = f"Still open: *{still_open.title}*"
        _post(session, deps, feature, *kickoff_blocks.line(f"{lead}\n{reminder}".strip()), asked)
    elif lead:
        asks = (
            next((d.step for d in outcome.disputes), None) if isinstance(outcome, Noted) else None
        )
        _post(session, deps, feature, *kickoff_blocks.line(lead, asks), asked)


def stale_press(
    session: Session,
    deps: Deps,
    feature: Feature,
    stale: Stale,
    body: dict[str, Any],
    ts: str | None,
) -> None:
    """A sign-off pressed on a summary showing numbers that are no longer current: nothing was
    signed. The pressed copy is brought up to date (the summary now showing) or, if it is an
    older copy, loses its buttons; the presser is told the current numbers."""
    showing = summary.showing(session, feature)
    message = body.get("message") or {}
    if ts is not None and showing is not None and showing.ts == ts:
        text, blocks = kickoff_blocks.summary(feature, stale.version, stale.targets)
        summary.show(session, deps.clock, feature, text, blocks)
    elif ts is not None and not outbox.queued(session, f"retire:{ts}"):
        text, blocks = kickoff_blocks.retired(str(message.get("text") or ""), message.get("blocks"))
        outbox.update(
            session,
            deps.clock,
            team_id=feature.team_id,
            channel_id=feature.channel_id,
            ts=ts,
            text=text,
            blocks=blocks,
            dedup_key=f"retire:{ts}",
        )
    target = outbox.ReplyTarget.from_body(body)
    if target is not None:
        reply = kickoff_blocks.stale_reply(feature, stale.version, stale.targets)
        outbox.ephemeral(session, deps.clock, target, reply)
