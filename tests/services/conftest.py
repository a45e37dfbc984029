"""Service tests run on a migrated database of each kind (the `database_url` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store.db import SessionFactory, make_engine, make_session_factory, upgrade


@pytest.fixture
def factory(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()
