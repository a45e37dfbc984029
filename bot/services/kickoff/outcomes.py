"""What one kickoff action did, for the Slack layer to say: one small type per kind of outcome
(a tagged union; the listener matches on it). Texts here are our own plain words; whoever puts
them into mrkdwn escapes them, since they may quote what a person typed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.checklist import Question, Step
from bot.domain.targets import Role, Targets
from bot.store.models import Feature, TargetVersion


@dataclass(frozen=True)
class Change:
    """One answer that changed: our wording of the value before and after."""

    step: Step
    before: str
    after: str


@dataclass(frozen=True)
class Dispute:
    """Two people gave different values for one item: who said what (our wording)."""

    step: Step
    claims: tuple[tuple[str, str], ...]  # (user id, value as we word it)


@dataclass(frozen=True)
class Clarify:
    """Nothing was stored from the reply; a precise question back, the item stays open.
    `reader_unsure`: our reader could not place the reply at all, so a language model may try."""

    feature: Feature
    text: str
    step: Step | None = None
    reader_unsure: bool = False


@dataclass(frozen=True)
class Noted:
    """What one reply (or button) did to the draft: answers stored (`steps`), changed, or put
    in dispute, with follow-ups about what could not be stored and answers to questions back.
    `ask` is the first item still missing when that is a new one to ask; `still_open` when it
    is the same item as before; `complete` when every item is in (the summary goes up)."""

    feature: Feature
    targets: Targets
    steps: tuple[Step, ...]
    changes: tuple[Change, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    follow_ups: tuple[str, ...] = ()
    explanations: tuple[str, ...] = ()
    ask: Question | None = None
    still_open: Question | None = None
    complete: bool = False
    unplaced: str = ""  # words no reader could place, for a language model to try


@dataclass(frozen=True)
class Explained:
    """A question to the bot about an item ("what does p95 mean here?"): one line back; the
    item stays open."""

    feature: Feature
    text: str
    step: Step


@dataclass(frozen=True)
class Changed:
    """Draft answers edited by request ("change error rate to 8%") before agreement; the
    draft's sign-offs are cleared."""

    feature: Feature
    targets: Targets
    changes: tuple[Change, ...]
    ask: Question | None = None
    complete: bool = False


@dataclass(frozen=True)
class Proposed:
    """A change to agreed targets: a new draft version that needs both sign-offs again.
    `revises`: the open proposal this one replaces (an edit of it, kept as its own record)."""

    feature: Feature
    targets: Targets
    version: TargetVersion
    step: Step
    revises: TargetVersion | None = None


@dataclass(frozen=True)
class Withdrawn:
    """Its proposer withdrew the open change; the agreed version stays in force."""

    feature: Feature
    targets: Targets  # the agreed targets, which stay
    agreed: TargetVersion
    withdrawn: TargetVersion
    by: str


@dataclass(frozen=True)
class Signed:
    """One sign-off recorded; the other is still missing."""

    feature: Feature
    targets: Targets
    version: TargetVersion
    role: Role


@dataclass(frozen=True)
class Stale:
    """A sign-off pressed on a summary that no longer shows the version in play: nothing was
    signed. `targets` and `version` are the current ones, to show the presser."""

    feature: Feature
    targets: Targets
    version: TargetVersion


@dataclass(frozen=True)
class Agreed:
    """This sign-off completed the pair: the version is agreed."""

    feature: Feature
    targets: Targets
    version: TargetVersion


Outcome = Clarify | Noted | Explained | Changed | Proposed | Withdrawn | Signed | Agreed
