"""Readings of success measures from `/align metric`: recorded against the measure as agreed
(its spelling, its scale), and the last one a person recorded can be taken back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import samples
from bot.domain.targets import SuccessMetric
from bot.errors import BadInput, NotFound
from bot.services import kickoff
from bot.store.models import Feature, MetricSample


@dataclass(frozen=True)
class Recorded:
    name: str  # the agreed spelling when it is an agreed measure
    value: float
    agreed: list[str]  # the agreed measures' names


def agreed_measures(feature: Feature) -> list[SuccessMetric]:
    version = kickoff.agreed_version(feature) or kickoff.current_version(feature)
    return list(kickoff.targets_of(version).success_metrics)


def record(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    name: str,
    typed: str,
    usage: str,
) -> Recorded:
    """Store one reading; refuses, saying why, what cannot be a reading of the measure."""
    reading = samples.read_value(typed)
    if reading is None:
        raise BadInput(f"`{typed[:40]}` is not a number. {usage}")
    measures = agreed_measures(feature)
    measure = next((m for m in measures if m.name.lower() == name.lower()), None)
    reason = samples.refusal(reading, measure)
    if reason is not None:
        raise BadInput(f"I didn't record that: {reason}")
    name = measure.name if measure is not None else name  # "csat" and "CSAT" are one series
    session.add(
        MetricSample(
            feature_id=feature.id, name=name, value=reading.value, at=clock.now(), by=user_id
        )
    )
    return Recorded(name, reading.value, [m.name for m in measures])


def undo_last(session: Session, feature: Feature, user_id: str) -> MetricSample:
    """Remove the last reading this person recorded for the feature."""
    last = session.scalar(
        select(MetricSample)
        .where(MetricSample.feature_id == feature.id, MetricSample.by == user_id)
        .order_by(MetricSample.at.desc(), MetricSample.id.desc())
        .limit(1)
    )
    if last is None:
        raise NotFound(
            f"You have recorded no readings for {feature.name}, so there is none to undo."
        )
    session.delete(last)
    return last
