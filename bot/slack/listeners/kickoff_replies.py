"""What a kickoff outcome means in Slack: the posts it queues in the thread (and the channel,
for changes to agreed targets), matched on the outcome's type."""

from __future__ import annotations

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
)
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import section


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
            lead = "".join(
                f"Updated *{checklist.STEP_NAMES[edit.step]}* to {escape(edit.after)}.\n\n"
                for edit in edits
            )
            _next(session, deps, outcome, lead, ask, complete)
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
            summary = kickoff_blocks.summary(feature, version, targets)
            outbox.say(session, deps.clock, feature, *summary)
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
        outbox.say(session, deps.clock, feature, text, blocks)
    elif ask is not None:
        outbox.say(session, deps.clock, feature, *kickoff_blocks.question(ask, feature.id, lead))
