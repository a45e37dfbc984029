"""The reliability suite's report: one table for the whole session, written at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.figures import Report


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    collected = Report()
    yield collected
    written = collected.write()
    if written is not None:
        print(f"\nreliability figures written to {written}")
