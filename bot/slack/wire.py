"""Typed values across Slack's wire: what a button carries in `value` and a form in
`private_metadata`, one pydantic model each, encoded and decoded only here.

Slack hands these strings back untouched with the click or the submission, but they may be from
a message posted by an older release, or cut, or odd: anything that does not validate is "that
button is out of date", never a crash. Slack allows 2,000 characters in a button's value
(https://docs.slack.dev/reference/block-kit/block-elements/button-element) and 3,000 in a
view's private_metadata (https://docs.slack.dev/reference/views); ours are a few dozen.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.checklist import Step
from bot.domain.options import Option
from bot.errors import BadInput

STALE = "That button is out of date; use the newest message for this."
# Row ids are 32-bit integers in PostgreSQL: anything else is not one of ours.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Wire(BaseModel):
    """A value we put on Slack's wire and read back. Compact JSON, nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def encode(self) -> str:
        return self.model_dump_json()

    @classmethod
    def decode(cls, raw: object, stale: str = STALE) -> Self:
        """The value as sent back by Slack; BadInput(`stale`) when it is not one of ours.
        Values in the colon-separated shape of earlier releases are still read (`legacy`), so
        buttons on messages posted before an upgrade keep working."""
        text = str(raw or "")
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            pass
        try:
            old = cls.legacy(text)
        except (ValueError, ValidationError):
            old = None
        if old is None:
            raise BadInput(stale)
        return old

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        """The value as an earlier release wrote it, if this kind had one."""
        return None


class SignOffValue(Wire):
    """A sign-off button: the version its summary showed and a fingerprint of those values,
    so a press signs exactly what the presser saw (services/kickoff/signoff.py)."""

    feature: Id
    version: Id
    fingerprint: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")


class WithdrawValue(Wire):
    """The button that withdraws a proposed change (this version of it)."""

    feature: Id
    version: Id


# --- the rest of the kickoff's wire ---------------------------------------------------------
class ChoiceValue(Wire):
    """A button answering a question that offers choices (fallback, which gives way first)."""

    feature: Id
    choice: str = Field(min_length=1, max_length=64)

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        feature, _, choice = raw.partition(":")
        return cls(feature=int(feature), choice=choice) if feature.isdigit() and choice else None


class EditValue(Wire):
    """An Edit button on the summary: which answer to change."""

    feature: Id
    step: Step

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        feature, _, step = raw.partition(":")
        return cls(feature=int(feature), step=Step(step)) if feature.isdigit() else None


# A form's submission has no response_url of its own: it carries the one of the click that
# opened it (Slack's lasts 30 minutes and 5 uses), to tell its sender if Slack then refuses
# the post it makes (services/outbox.py Asked).
ReplyTo = Annotated[str, Field(max_length=1000, pattern=r"^https?://\S+$")]


class EditForm(EditValue):
    """The Edit form's private_metadata: the same two things, back with the submission, and
    the opening click's response_url."""

    reply_to: ReplyTo | None = None


class ReadingValue(Wire):
    """Yes / No on a language model's reading of an answer. `reading`: the key of the reading
    it showed (services/kickoff/answers.py `reading_key`), so that an older reading's button
    confirms nothing newer; None on buttons posted before it was carried."""

    feature: Id
    reading: str | None = Field(default=None, max_length=32)

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        return cls(feature=int(raw)) if raw.isdigit() else None


# --- reports --------------------------------------------------------------------------------
class DecisionValue(Wire):
    """An option button under a report that misses: which report, which option, and for C
    the answer whose change it opens."""

    feature: Id
    report: Id
    option: Option
    step: Step | None = None

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        parts = raw.split(":")
        if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        step = Step(parts[3]) if len(parts) > 3 and parts[3] else None
        return cls(feature=int(parts[0]), report=int(parts[1]), option=Option(parts[2]), step=step)


class NoteValue(Wire):
    """The button (and then the form's private_metadata) for a decision's note."""

    feature: Id
    decision: Id

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        feature, _, decision = raw.partition(":")
        if not (feature.isdigit() and decision.isdigit()):
            return None
        return cls(feature=int(feature), decision=int(decision))


class NoteForm(NoteValue):
    """The note form's private_metadata, with the opening click's response_url."""

    reply_to: ReplyTo | None = None


# --- reframe --------------------------------------------------------------------------------
class KickoffPointerValue(Wire):
    """The button on a reply that asks for a target: the feature, or none (start one)."""

    feature: Id | None = None

    @classmethod
    def legacy(cls, raw: str) -> Self | None:
        if raw == "":
            return cls()
        return cls(feature=int(raw)) if raw.isdigit() else None


# --- what counts as a wrong answer ------------------------------------------------------------
class WrongChoiceValue(Wire):
    """A button under a run's checks (slack/blocks/checks.py): count `check` as a wrong answer
    or not (`check` None: back to the default), drawn from `version` of the feature's choice,
    so a press from an older list changes nothing (services/wrong_answers.py)."""

    feature: Id
    run: Id
    version: int = Field(ge=0, le=2**31 - 1)
    check: str | None = Field(default=None, min_length=1, max_length=200)
    count: bool
