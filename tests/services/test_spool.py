"""The SQLite inbox spool: what acks write, the worker imports in order, exactly once."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.store.db import SessionFactory, make_engine, make_session_factory, session_scope, upgrade
from bot.store.models import InboxMessage
from bot.store.spool import STALE_TEMP_SECONDS, TEMP_PREFIX, Spool, spool_path, spooled

_databases: dict[Path, tuple[str, SessionFactory]] = {}


def database(tmp_path: Path) -> tuple[str, SessionFactory]:
    """A migrated SQLite file (one per test; hypothesis examples share it)."""
    if tmp_path not in _databases:
        url = f"sqlite:///{tmp_path}/spool.db"
        engine = make_engine(url)
        upgrade(engine)
        _databases[tmp_path] = (url, make_session_factory(engine))
    return _databases[tmp_path]


def row(key: str, body: dict[str, Any] | None = None, conversation: str = "top") -> dict[str, Any]:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    return {
        "delivery_key": key,
        "team_id": "T0LOCAL",
        "channel_id": "C0FEAT",
        "conversation": conversation,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
        "body_json": body if body is not None else {"event": {"text": key}},
    }


def stored(factory: SessionFactory) -> list[InboxMessage]:
    with session_scope(factory) as session:
        rows = list(session.scalars(select(InboxMessage).order_by(InboxMessage.id)))
        session.expunge_all()
        return rows


def test_only_sqlite_files_get_a_spool(tmp_path: Path) -> None:
    assert Spool.for_database("postgresql+psycopg://u@127.0.0.1:1/db") is None
    assert Spool.for_database("sqlite://") is None
    assert Spool.for_database("sqlite:///:memory:") is None
    spool = Spool.for_database(f"sqlite:///{tmp_path}/a.db")
    assert spool is not None and spool.directory == tmp_path / "a.db-inbox"
    assert spool_path(f"sqlite:///{tmp_path}/a.db").is_dir()


def test_import_keeps_arrival_order_and_empties_the_spool(tmp_path: Path) -> None:
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None
    for index in range(5):
        spool.put(row(f"event:{index}"))
    assert spooled(url) == 5
    assert spool.import_into(factory) == 5
    assert [r.delivery_key for r in stored(factory)] == [f"event:{i}" for i in range(5)]
    assert spooled(url) == 0 and os.listdir(spool.directory) == []
    first = stored(factory)[0]
    assert first.body_json == {"event": {"text": "event:0"}}
    assert first.received_at.replace(tzinfo=UTC) == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_delivery_spooled_twice_is_stored_once(tmp_path: Path) -> None:
    """A Slack retry, or a crash between the import's commit and the files' removal."""
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None
    spool.put(row("event:dup"))
    spool.import_into(factory)
    spool.put(row("event:dup", {"event": {"text": "again"}}))
    spool.put(row("event:other"))
    assert spool.import_into(factory) == 2
    keys = [r.delivery_key for r in stored(factory)]
    assert keys == ["event:dup", "event:other"]
    assert stored(factory)[0].body_json == {"event": {"text": "event:dup"}}
    assert spooled(url) == 0


def test_an_unreadable_file_is_set_aside_and_the_rest_imported(tmp_path: Path) -> None:
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None
    spool.put(row("event:1"))
    (spool.directory / "00000000000000000001-1.json").write_text('{"delivery_key": "half')
    spool.put(row("event:2"))
    assert spool.import_into(factory) == 3
    assert [r.delivery_key for r in stored(factory)] == ["event:1", "event:2"]
    assert os.listdir(spool.directory) == ["00000000000000000001-1.json.bad"]
    assert spooled(url) == 0


def test_temp_files_left_by_a_crash_are_ignored_then_cleaned(tmp_path: Path) -> None:
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None
    fresh = spool.directory / f"{TEMP_PREFIX}fresh"
    stale = spool.directory / f"{TEMP_PREFIX}stale"
    fresh.write_text('{"delivery_key": "event:x"')
    stale.write_text("{")
    old = time.time() - STALE_TEMP_SECONDS - 10
    os.utime(stale, (old, old))
    assert spooled(url) == 0
    assert spool.import_into(factory) == 0
    assert fresh.exists() and not stale.exists()
    assert stored(factory) == []


def test_each_writer_thread_keeps_its_order(tmp_path: Path) -> None:
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None

    def write(thread: int) -> None:
        for index in range(25):
            spool.put(row(f"event:{thread}:{index:02d}", conversation=f"t{thread}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert spool.import_into(factory) == 200
    rows = stored(factory)
    assert len(rows) == 200
    for thread_number in range(8):
        mine = [r.delivery_key for r in rows if r.conversation == f"t{thread_number}"]
        assert mine == [f"event:{thread_number}:{i:02d}" for i in range(25)]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(st.text(), JSON, max_size=5))
def test_any_json_body_comes_back_exactly(tmp_path: Path, body: dict[str, Any]) -> None:
    url, factory = database(tmp_path)
    spool = Spool.for_database(url)
    assert spool is not None
    key = f"event:{time.monotonic_ns()}"
    spool.put(row(key, body))
    spool.import_into(factory)
    with session_scope(factory) as session:
        got = session.scalar(select(InboxMessage.body_json).where(InboxMessage.delivery_key == key))
    assert got == body
