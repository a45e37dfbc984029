"""Putting what someone said into the draft targets, by one set of rules:

- an item nobody has answered takes the value;
- the same value again changes nothing;
- a different value said as a change of mind ("actually 8%", "make that 3 seconds", "more
  like 10%"), from the person who gave the current one, or in an explicit "change … to …",
  replaces it, said back as a change from → to;
- a different value from someone else, said plainly ("I'd say 5%"), opens a disagreement: the
  item is open again, both values are named and the bot asks which holds. It is settled when
  someone gives a value one of the others gave (or one of the two says "fine"), when they all
  land on the same value, or when someone changes their mind to a value of their own.

The cost of an error and a fallback of the team's own are words, not numbers: a later version
replaces the earlier one whoever writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.domain.checklist import REVIEW, Step
from bot.domain.parsing import same
from bot.domain.targets import Fallback, FallbackKind, Targets
from bot.services.kickoff import current_version, targets_of
from bot.services.kickoff.outcomes import Change, Dispute
from bot.store.models import Answer, Feature


@dataclass
class Effect:
    """What the facts of one reply did."""

    noted: list[Step] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    disputes: list[Step] = field(default_factory=list)


def disputes(feature: Feature) -> dict[str, list[dict[str, Any]]]:
    return dict((feature.pending_json or {}).get("disputes") or {})


def disputed(feature: Feature) -> frozenset[Step]:
    return frozenset(Step(step) for step in disputes(feature))


def _keep(feature: Feature, found: dict[str, list[dict[str, Any]]]) -> None:
    pending = {k: v for k, v in (feature.pending_json or {}).items() if k != "disputes"}
    if found:
        pending["disputes"] = found
    feature.pending_json = pending or None


def value_from_json(step: Step, stored: Any) -> Any:
    field_name = checklist.ITEMS[step].field
    return getattr(Targets.model_validate({field_name: stored}), field_name)


def author(session: Session, feature: Feature, step: Step) -> str | None:
    """Who gave the item's current value: the latest accepted answer to it."""
    return session.scalar(
        select(Answer.user_id)
        .where(Answer.feature_id == feature.id, Answer.step == step.value, Answer.accepted)
        .order_by(Answer.id.desc())
        .limit(1)
    )


def apply_facts(
    session: Session,
    feature: Feature,
    user_id: str,
    facts: list[tuple[Step, Any, str]],
    now: datetime,
    *,
    concedes: bool = False,
    explicit: bool = False,
    corrected: frozenset[Step] | set[Step] = frozenset(),
) -> Effect:
    """Apply (step, value, words) facts said by one person; `concedes`: they said "fine" to an
    open disagreement; `explicit`: an edit request, which always replaces; `corrected`: the
    items said as a change of mind."""
    version = current_version(feature)
    targets = targets_of(version)
    before = targets
    open_disputes = disputes(feature)
    effect = Effect()
    for step, value, said in facts:
        value = checklist.as_shown(step, value)
        targets = _one(
            session,
            feature,
            user_id,
            step,
            value,
            targets,
            open_disputes,
            effect,
            explicit=explicit or step in corrected,
        )
        session.add(
            Answer(
                feature_id=feature.id,
                step=step.value,
                text=said[:4000],
                user_id=user_id,
                accepted=True,
                value_json={"value": checklist.value_to_json(step, value)},
                at=now,
            )
        )
    if concedes and not facts and len(open_disputes) == 1:
        step_key, claims = next(iter(open_disputes.items()))
        others = [c for c in claims if c["user"] != user_id]
        if len(others) == 1 and len(claims) > len(others):
            step = Step(step_key)
            targets = checklist.apply(targets, step, value_from_json(step, others[0]["value"]))
            del open_disputes[step_key]
            effect.noted.append(step)
    _keep(feature, open_disputes)
    if targets != before:
        version.values_json = targets.model_dump(mode="json")
        if version.signoffs:
            version.signoffs.clear()  # the values changed: what was signed is not this
    upcoming = checklist.next_step(targets, disputed(feature))
    feature.stage = upcoming.value if upcoming else REVIEW
    feature.last_activity_at = now
    return effect


def _one(
    session: Session,
    feature: Feature,
    user_id: str,
    step: Step,
    value: Any,
    targets: Targets,
    open_disputes: dict[str, list[dict[str, Any]]],
    effect: Effect,
    *,
    explicit: bool,
) -> Targets:
    stored = checklist.value_to_json(step, value)
    if step.value in open_disputes and not explicit:
        claims = open_disputes[step.value]
        if any(
            c["user"] != user_id and same(value_from_json(step, c["value"]), value) for c in claims
        ):
            del open_disputes[step.value]
            effect.noted.append(step)
            return checklist.apply(targets, step, value)
        claims = [c for c in claims if c["user"] != user_id] + [{"user": user_id, "value": stored}]
        if all(same(value_from_json(step, c["value"]), value) for c in claims):
            del open_disputes[step.value]
            effect.noted.append(step)
            return checklist.apply(targets, step, value)
        open_disputes[step.value] = claims
        effect.disputes.append(step)
        return targets
    current = checklist.value_of(targets, step)
    if current is None:
        open_disputes.pop(step.value, None)
        effect.noted.append(step)
        return checklist.apply(targets, step, value)
    if same(value, current):
        return targets
    by = author(session, feature, step)
    if explicit or by in (None, user_id) or _words_only(step, value, current):
        changed = checklist.apply(targets, step, value)
        effect.changes.append(
            Change(step, checklist.describe(targets, step), checklist.describe(changed, step))
        )
        return changed
    open_disputes[step.value] = [
        {"user": by, "value": checklist.value_to_json(step, current)},
        {"user": user_id, "value": stored},
    ]
    effect.disputes.append(step)
    return checklist.apply(targets, step, None)


def _words_only(step: Step, value: Any, current: Any) -> bool:
    """Free text: a later wording replaces an earlier one, whoever writes it."""
    if step is Step.ERROR_IMPACT:
        return True
    return (
        step is Step.FALLBACK
        and isinstance(value, Fallback)
        and isinstance(current, Fallback)
        and FallbackKind.OTHER in (value.kind, current.kind)
        and value.kind is current.kind
    )


def dispute_of(feature: Feature, step: Step) -> Dispute:
    claims = disputes(feature).get(step.value) or []
    return Dispute(
        step,
        tuple(
            (str(c["user"]), checklist.show(step, value_from_json(step, c["value"])))
            for c in claims
        ),
    )
