"""Reading single values (pass/fail, amounts, text) with errors that name where the value was."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bot.ingest.model import TEXT_LIMIT, IngestError, clip

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "pass", "passed", "ok"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "fail", "failed"})
BOOL_HINT = "expected true/false, yes/no, pass/fail or 1/0"


def shown(value: object) -> str:
    """A short, quoted rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def finite_number(value: object) -> float | None:
    """A JSON number that is a real, finite amount (not a boolean, NaN or infinity)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def mapping(value: object) -> Mapping[str, Any]:
    """A JSON object, or an empty one when a tool wrote something else there."""
    return value if isinstance(value, Mapping) else {}


def read_bool(value: object, where: str, field: str) -> bool:
    """A pass/fail value: JSON booleans, 0/1, or the usual words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, float) and value in (0.0, 1.0):
        return value == 1.0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise IngestError(f"{where}: field '{field}' is {shown(value)}, {BOOL_HINT}")


def read_amount(value: object, where: str, field: str) -> float | None:
    """A non-negative finite number (latency, cost); empty or null means unknown."""
    # Fast path for a plain JSON number, the usual case (a million rows pass through here).
    if type(value) is float and 0.0 <= value < math.inf:
        return value
    if type(value) is int and value >= 0:
        return float(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise IngestError(f"{where}: field '{field}' is {shown(value)}, expected a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise IngestError(
                f"{where}: field '{field}' is {shown(value)}, expected a number"
            ) from None
    else:
        raise IngestError(f"{where}: field '{field}' is {shown(value)}, expected a number")
    if math.isnan(number):
        raise IngestError(f"{where}: field '{field}' is NaN, expected a number")
    if math.isinf(number):
        raise IngestError(f"{where}: field '{field}' is infinite, expected a number")
    if number < 0:
        raise IngestError(f"{where}: field '{field}' is negative ({value})")
    return number


def read_text(value: object) -> str | None:
    """Free text (question, reason, label); numbers become text, anything else is dropped."""
    if type(value) is str:  # the usual case, without clip's call when the text is short
        text = value.strip()
        return text if 0 < len(text) <= TEXT_LIMIT else clip(text)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return clip(str(value))
    return None


def first_text(fields: Mapping[str, object], *keys: str) -> str | None:
    for key in keys:
        text = read_text(fields.get(key))
        if text is not None:
            return text
    return None


def read_latency(fields: Mapping[str, object], where: str) -> float | None:
    """`latency_ms`, or `latency_s` (seconds, as some exports have them) in milliseconds."""
    value = read_amount(fields.get("latency_ms"), where, "latency_ms")
    if value is None and "latency_s" in fields:
        seconds = read_amount(fields.get("latency_s"), where, "latency_s")
        value = None if seconds is None else seconds * 1000
    return value
