"""Repeated case ids are numbered, never merged: every id out is unique within its label, the
name only ever gains a number, and a real id that looks like a number ("x #2") is not taken."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.case_ids import CaseIds

NAMES = st.sampled_from(["refund window", "refund window #2", "refund window #3", "x", "x #2"])
LABELS = st.sampled_from([None, "v1", "v2"])


def test_repeats_are_numbered_past_ids_already_taken() -> None:
    ids = CaseIds()
    given_ids = ["a", "a #2", "a", "a", "b", "a"]
    assert [ids.unique(None, name) for name in given_ids] == [
        "a",
        "a #2",
        "a #3",
        "a #4",
        "b",
        "a #5",
    ]
    assert ids.unique("other label", "a") == "a"


@given(st.lists(st.tuples(LABELS, NAMES), max_size=60))
def test_ids_out_are_unique_per_label(pairs: list[tuple[str | None, str]]) -> None:
    ids = CaseIds()
    out = [(label, ids.unique(label, name)) for label, name in pairs]
    assert len(set(out)) == len(out)
    for (label, name), (same_label, made) in zip(pairs, out, strict=True):
        assert same_label == label and (made == name or made.startswith(f"{name} #"))
