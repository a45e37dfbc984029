"""Who and where the playground pretends: its people and channels."""

from __future__ import annotations

TEAM_ID = "T0LOCAL"
# (user id, name, role). The first person is "you".
PEOPLE = (("U0PM", "ana", "PM"), ("U0ENG", "raj", "engineer"))
CHANNELS = (("C0FEAT", "support-answers"),)
