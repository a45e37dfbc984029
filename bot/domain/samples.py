"""A reading of a success measure typed into `/align metric`, checked against the measure as
agreed: written as people write numbers ("4,3" is 4.3, "1,200" is 1200, "35%", "12k"), and
refused, with the reason, when it cannot be a reading of that measure: a negative value where
the target is a positive level, a share outside 0–100%, a fraction for a share agreed in
percent ("0.35" for 35%: asked, not stored as 0.35%), or a number far off the measure's scale
(CSAT 43, or 43%, where the target is 4.2 on a 1–5 scale)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.domain.targets import SuccessMetric
from bot.domain.wording import format_metric, format_number

_NUMBER = re.compile(
    r"^(?P<sign>[-+−])?\$?(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:[.,][0-9]+)?"
    r"|[.,][0-9]+)(?P<suffix>%|k|K)?$"
)
_RATINGS = re.compile(r"\b(?:csat|satisfaction|rating|ratings|score|stars?|ces)\b", re.I)
_CAN_BE_NEGATIVE = re.compile(r"\b(?:nps|net promoter|change|delta|growth|diff)\b", re.I)


@dataclass(frozen=True)
class Reading:
    value: float
    percent: bool  # typed with "%"


def read_value(text: str) -> Reading | None:
    """ "4,3" → 4.3 (a decimal comma), "1,200" → 1200, "35%" → 35, "12k" → 12000."""
    match = _NUMBER.match(text.strip())
    if match is None:
        return None
    digits = match["digits"]
    if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", digits):
        digits = digits.replace(",", "")  # "1,200": a thousands comma
    else:
        digits = digits.replace(",", ".")  # "4,3": a decimal comma
    value = float(digits)
    if match["suffix"] in ("k", "K"):
        value *= 1000
    if match["sign"] in ("-", "−"):
        value = -value
    if not math.isfinite(value):
        return None
    return Reading(value, match["suffix"] == "%")


def refusal(reading: Reading, measure: SuccessMetric | None) -> str | None:
    """Why this cannot be a reading of the agreed measure; None when it can."""
    value = reading.value
    shown = format_number(value)
    if measure is None:
        if reading.percent and not 0 <= value <= 100:
            return f"{shown}% is not a share: a percentage lies between 0% and 100%."
        return None
    agreed = f"agreed as {format_metric(measure)}"
    percent = reading.percent or measure.unit.startswith("%")
    if percent and not 0 <= value <= 100:
        return (
            f"{measure.name} is a share ({agreed}), so {shown}% can't be a reading of it: a "
            "share lies between 0% and 100%."
        )
    share = measure.unit.startswith("%")
    if share and not reading.percent and 0 < value < 1 <= measure.target:
        # "0.35" for a share agreed in percent is most likely 35%, but stored as 0.35%.
        return (
            f"{measure.name} is a share in percent ({agreed}); is {shown} meant as "
            f"{format_number(value * 100)}%? Type it with the % sign: "
            f"`{format_number(value * 100)}%` (or `{shown}%`)."
        )
    negative_ok = measure.target < 0 or _CAN_BE_NEGATIVE.search(measure.name)
    if value < 0 and not negative_ok:
        return f"{measure.name} can't be negative here ({agreed})."
    # A rating agreed on its own scale stays on it, whether or not "%" was typed ("CSAT 43%").
    if _RATINGS.search(measure.name) and not share and 0 < measure.target <= 10:
        top = 5 if measure.target <= 5 else 10
        if value > top:
            missing_decimal = value >= 10 and value / 10 <= top  # "43" for 4.3
            hint = f" Did you mean {format_number(value / 10)}?" if missing_decimal else ""
            return (
                f"{measure.name} is on a scale up to {top} here ({agreed}), so {shown} is off "
                f"the scale.{hint}"
            )
    return None
