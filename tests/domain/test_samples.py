"""Readings typed into `/align metric`, as people write numbers, checked against the measure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.samples import read_value, refusal
from bot.domain.targets import Direction, SuccessMetric

CSAT = SuccessMetric(name="CSAT", target=4.2, direction=Direction.AT_LEAST)
DEFLECTION = SuccessMetric(name="deflection", target=30, direction=Direction.AT_LEAST, unit="%")
USERS = SuccessMetric(name="weekly users", target=500, direction=Direction.AT_LEAST)
NPS = SuccessMetric(name="NPS", target=40, direction=Direction.AT_LEAST)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("4,3", 4.3), ("4.3", 4.3), ("1,200", 1200), ("12k", 12000), ("35%", 35), ("-12", -12)],
)
def test_numbers_as_people_write_them(typed: str, value: float) -> None:
    reading = read_value(typed)
    assert reading is not None and reading.value == pytest.approx(value)


@pytest.mark.parametrize("typed", ["lots", "4.3.1", "", "1e309", "nan", "4,3,2"])
def test_what_is_not_a_number(typed: str) -> None:
    assert read_value(typed) is None


@pytest.mark.parametrize(
    ("typed", "measure", "why"),
    [
        ("43", CSAT, "scale up to 5"),
        ("-4.3", CSAT, "can't be negative"),
        ("300%", DEFLECTION, "between 0% and 100%"),
        ("120", DEFLECTION, "between 0% and 100%"),
        ("-5", USERS, "can't be negative"),
        ("150%", None, "between 0% and 100%"),
        # Found by the adversarial pass: "43%" for CSAT was stored as 43 and met CSAT ≥ 4.2,
        # and "0.35" for a share agreed in percent was stored as 0.35% and missed 30%.
        ("43%", CSAT, "scale up to 5"),
        ("0.35", DEFLECTION, "35%"),
    ],
)
def test_what_cannot_be_a_reading_says_why(
    typed: str, measure: SuccessMetric | None, why: str
) -> None:
    reading = read_value(typed)
    assert reading is not None
    reason = refusal(reading, measure)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    ("typed", "measure"),
    [
        ("4.3", CSAT),
        ("5", CSAT),
        ("35%", DEFLECTION),
        ("35", DEFLECTION),
        ("0.35%", DEFLECTION),
        ("0", DEFLECTION),
        ("12000", USERS),
        ("-12", NPS),
        ("7", None),
        ("0.35", None),
    ],
)
def test_readings_that_fit(typed: str, measure: SuccessMetric | None) -> None:
    reading = read_value(typed)
    assert reading is not None and refusal(reading, measure) is None


@given(st.text(max_size=30), st.sampled_from([CSAT, DEFLECTION, USERS, NPS, None]))
def test_any_text_is_read_or_refused_without_raising(
    typed: str, measure: SuccessMetric | None
) -> None:
    reading = read_value(typed)
    if reading is not None:
        reason = refusal(reading, measure)
        assert reason is None or reason.strip()
