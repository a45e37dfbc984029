"""What makes a sign-off and a change to agreed targets mean something. Pure.

- A sign-off signs the values its summary showed: `fingerprint` is a digest of those values,
  carried by the sign-off button and compared with the version's values when it is pressed.
- A change to agreed targets needs a reason that says something: `says_something` refuses
  "because .", "because yes", "idk" and the like, so the record shows why.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum

from bot.domain.targets import Targets


class VersionStatus(StrEnum):
    """Where one version of a feature's targets stands. A feature's versions, oldest first:
    agreed ones superseded by later agreed ones, at most one agreed now, and after it at most one
    open draft; replaced and withdrawn proposals stay as the record."""

    DRAFT = "draft"  # being answered, or a proposed change awaiting both sign-offs
    AGREED = "agreed"  # signed by a PM and an engineer: in force
    SUPERSEDED = "superseded"  # was agreed; a later version is agreed now
    REPLACED = "replaced"  # a proposal a signer edited (the edit is the next version)
    WITHDRAWN = "withdrawn"  # a proposal its proposer took back


FINGERPRINT_CHARS = 16  # 64 bits: it tells versions apart, it is no secret
# Words that carry no reason on their own; a reason needs one word of three or more letters
# that is not one of these.
EMPTY_WORDS = frozenset(
    {
        *("because", "cause", "cuz", "coz", "since", "reason", "reasons", "why", "just"),
        *("yes", "yeah", "yep", "nope", "okay", "sure", "fine", "idk", "dunno", "tbd", "tbc"),
        *("whatever", "nothing", "none", "stuff", "things", "etc", "test", "testing", "asdf"),
        *("change", "changed", "update", "updated", "edit", "the", "and", "for", "this", "that"),
    }
)
_WORD = re.compile(r"[^\W\d_]{3,}")


def fingerprint(targets: Targets) -> str:
    """A short digest of every agreed value, the same for the same values in any order."""
    canonical = json.dumps(targets.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def says_something(reason: str | None) -> bool:
    """True when the reason has at least one real word in it."""
    if not reason:
        return False
    return any(word not in EMPTY_WORDS for word in _WORD.findall(reason.lower()))
