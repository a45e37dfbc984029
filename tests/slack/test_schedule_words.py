"""How `/align schedule`'s words split into a feature and what to do with it, most likely
first: the listener takes the first reading that names a feature."""

from __future__ import annotations

import pytest

from bot.slack.listeners.schedule import readings


@pytest.mark.parametrize(
    ("words", "first", "also"),
    [
        ("Support answers daily 10:00", ("Support answers", "daily 10:00"), None),
        ("search weekly mon 9am Europe/Berlin", ("search", "weekly mon 9am Europe/Berlin"), None),
        ("Support answers", ("Support answers", ""), None),
        # A zone alone after the feature: the whole text is tried as a name first, so a
        # feature called "Search Japan" is shown, not given Japan's zone.
        ("Search Japan", ("Search Japan", ""), ("Search", "Japan")),
        (
            "support-answers in asia/tokyo",
            ("support-answers in asia/tokyo", ""),
            ("support-answers", "in asia/tokyo"),
        ),
    ],
)
def test_readings(words: str, first: tuple[str, str], also: tuple[str, str] | None) -> None:
    found = readings(words.split())
    assert found[0] == first
    if also is not None:
        assert found[1] == also
