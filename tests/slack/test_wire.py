"""What goes over Slack's wire in button values and private_metadata comes back as it went, and
anything else (cut, edited, from another app, from an older release) is read or refused
cleanly: decode never raises anything but BadInput, and never invents a value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.checklist import Step
from bot.domain.options import Option
from bot.errors import BadInput
from bot.slack import wire

IDS = st.integers(min_value=1, max_value=2**31 - 1)
VALUES = st.one_of(
    st.builds(
        wire.SignOffValue,
        feature=IDS,
        version=IDS,
        fingerprint=st.text("0123456789abcdef", min_size=16, max_size=16),
    ),
    st.builds(wire.WithdrawValue, feature=IDS, version=IDS),
    st.builds(
        wire.ChoiceValue, feature=IDS, choice=st.sampled_from(["say_unsure", "latency_gives"])
    ),
    st.builds(wire.EditValue, feature=IDS, step=st.sampled_from(list(Step))),
    st.builds(wire.EditForm, feature=IDS, step=st.sampled_from(list(Step))),
    st.builds(wire.ReadingValue, feature=IDS),
    st.builds(
        wire.DecisionValue,
        feature=IDS,
        report=IDS,
        option=st.sampled_from(list(Option)),
        step=st.one_of(st.none(), st.sampled_from(list(Step))),
    ),
    st.builds(wire.NoteValue, feature=IDS, decision=IDS),
    st.builds(wire.NoteForm, feature=IDS, decision=IDS),
    st.builds(wire.KickoffPointerValue, feature=st.one_of(st.none(), IDS)),
)
KINDS: list[type[wire.Wire]] = [
    wire.SignOffValue,
    wire.WithdrawValue,
    wire.ChoiceValue,
    wire.EditValue,
    wire.EditForm,
    wire.ReadingValue,
    wire.DecisionValue,
    wire.NoteValue,
    wire.NoteForm,
    wire.KickoffPointerValue,
]


@given(VALUES)
def test_what_goes_out_comes_back(value: wire.Wire) -> None:
    encoded = value.encode()
    assert len(encoded) < 2000  # a button value's limit (private_metadata allows 3,000)
    assert type(value).decode(encoded) == value


@given(st.one_of(st.text(max_size=300), st.binary(max_size=50).map(repr)), st.sampled_from(KINDS))
def test_anything_else_is_read_or_refused_never_a_crash(raw: str, kind: type[wire.Wire]) -> None:
    try:
        decoded = kind.decode(raw)
    except BadInput as refused:
        assert refused.message == wire.STALE
        return
    assert isinstance(decoded, kind)


def test_a_sign_off_button_from_before_fingerprints_signs_nothing() -> None:
    with pytest.raises(BadInput):
        wire.SignOffValue.decode("12:3")  # what sign-off buttons carried before: no fingerprint


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (
            wire.DecisionValue,
            "12:34:A",
            wire.DecisionValue(feature=12, report=34, option=Option.STRONGER_MODEL),
        ),
        (
            wire.DecisionValue,
            "12:34:C:latency",
            wire.DecisionValue(
                feature=12, report=34, option=Option.REVISIT_TARGET, step=Step.LATENCY
            ),
        ),
        (wire.NoteValue, "12:7", wire.NoteValue(feature=12, decision=7)),
        (wire.EditForm, "12:error_rate", wire.EditForm(feature=12, step=Step.ERROR_RATE)),
        (
            wire.ChoiceValue,
            "12:escalate_human",
            wire.ChoiceValue(feature=12, choice="escalate_human"),
        ),
        (wire.ReadingValue, "12", wire.ReadingValue(feature=12)),
        (wire.KickoffPointerValue, "", wire.KickoffPointerValue()),
    ],
)
def test_buttons_posted_by_an_earlier_release_still_work(
    kind: type[wire.Wire], raw: str, expected: wire.Wire
) -> None:
    assert kind.decode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12:34:Z", "x:34:A", "12:error_rte", '{"feature": 0, "step": "cost"}', "", "12:"]
)
def test_odd_values_are_out_of_date(raw: str) -> None:
    for kind in (wire.DecisionValue, wire.EditForm, wire.NoteValue):
        with pytest.raises(BadInput):
            kind.decode(raw)
