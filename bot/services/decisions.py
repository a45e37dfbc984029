"""The team's decisions on a report (A, B or C), who took them and why: one record per person
and option, and the note its author may add."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.options import Option
from bot.errors import BadInput, NotFound
from bot.store.models import Decision, Feature, Report

NOTE_CHARS = 2000


def record_decision(
    session: Session,
    clock: Clock,
    feature: Feature,
    report_id: int | None,
    option: str,
    user_id: str,
    note: str | None = None,
) -> tuple[Decision, bool]:
    """Store who chose which option, and when. Returns (decision, created); pressing the same
    button twice keeps the first record: presses on one report take its row lock first, so of
    two at the same moment (a double click, on one replica or two) the second sees the first."""
    try:
        chosen = Option(option.upper())
    except ValueError:
        raise BadInput(f"There is no option `{option[:10]}`; choose A, B or C.") from None
    if report_id is not None:
        # A no-op UPDATE: PostgreSQL's row lock (SQLite's write lock), held to the commit.
        locked = session.execute(
            update(Report)
            .where(Report.id == report_id, Report.feature_id == feature.id)
            .values(feature_id=Report.feature_id)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(locked, "rowcount", 0) or 0) != 1:
            raise NotFound("That report no longer exists.")
        earlier = session.scalar(
            select(Decision).where(
                Decision.report_id == report_id,
                Decision.option == chosen.value,
                Decision.by == user_id,
            )
        )
        if earlier is not None:
            return earlier, False
    decision = Decision(
        feature_id=feature.id,
        report_id=report_id,
        option=chosen.value,
        by=user_id,
        at=clock.now(),
        note=note[:NOTE_CHARS] if note else None,
    )
    session.add(decision)
    session.flush()
    return decision, True


def decision_of(session: Session, feature: Feature, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None or decision.feature_id != feature.id:
        raise NotFound("That decision no longer exists.")
    return decision


def report_ts(session: Session, decision: Decision) -> str | None:
    """The ts of the report a decision was taken on: its thread is where notes go."""
    report = session.get(Report, decision.report_id) if decision.report_id else None
    return report.ts if report is not None else None


def note_decision(
    session: Session, feature: Feature, decision_id: int, user_id: str, text: str
) -> Decision:
    """Keep why the team chose an option. Only the person who chose it writes the note (the
    record says who decided and why); a new note replaces the old one."""
    decision = decision_of(session, feature, decision_id)
    if decision.by != user_id:
        # Shown in the form, which is plain text: no mention.
        raise BadInput("Only the person who chose this option can add its note.")
    note = text.strip()
    if not note:
        raise BadInput("Write the note, or close this form.")
    if len(note) > NOTE_CHARS:
        raise BadInput(f"Keep the note under {NOTE_CHARS:,} characters.")
    decision.note = note
    return decision
