"""On SQLite, what an ack stores goes to a spool directory first, not to the database.

SQLite lets one connection write at a time. When the worker process is in the middle of a
transaction, an ack that inserts into the inbox table waits for it, and SQLite's busy handler
waits in coarse steps (1, 2, 5, 10 … ms): acks became several times slower than the floor. So on
SQLite an ack writes the item as one small file (written aside, then renamed into place, so a
crash never leaves half a file), and the worker imports the files into the inbox table in
arrival order before each pass. The database's unique delivery key still refuses duplicates, at
import. Durability is the same as SQLite's own in WAL mode with synchronous=NORMAL: a crash of
the process loses nothing; a power cut may lose the last moments.

PostgreSQL has row locks, not one writer, so there acks insert directly and no spool exists.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url

from bot.store.db import SessionFactory, session_scope
from bot.store.models import InboxMessage

log = logging.getLogger(__name__)

SUFFIX = ".json"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # a temp file this old was left by a crash mid-write
IMPORT_BATCH = 500


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._last = 0

    @classmethod
    def for_database(cls, url: str) -> Spool | None:
        """The spool beside a SQLite database file; None for PostgreSQL or in-memory SQLite."""
        return cls(spool_path(url)) if _has_spool(make_url(url)) else None

    def put(self, row: dict[str, Any]) -> None:
        """Store one inbox row (its datetimes as ISO text). The name orders files by arrival."""
        payload = json.dumps(row, default=_iso).encode()
        temp = self.directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        with open(temp, "wb") as file:
            file.write(payload)
        os.replace(temp, self.directory / f"{self._next_name()}{SUFFIX}")

    def _next_name(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns())
            return f"{self._last:020d}-{os.getpid()}"

    def _names(self) -> list[str]:
        return sorted(n for n in os.listdir(self.directory) if n.endswith(SUFFIX))

    def import_into(self, session_factory: SessionFactory) -> int:
        """Move spooled items into the inbox table, oldest first; returns how many files were
        taken. Files are removed only after the commit; one imported twice (a crash between
        commit and removal) is dropped by the unique delivery key."""
        names = self._names()[:IMPORT_BATCH]
        if not names:
            self._clean_temp()
            return 0
        rows = []
        for name in names:
            row = self._read(name)
            if row is not None:
                rows.append(row)
        if rows:
            with session_scope(session_factory) as session:
                statement = sqlite_insert(InboxMessage).on_conflict_do_nothing(
                    index_elements=["delivery_key"]
                )
                session.execute(statement, rows)
        for name in names:
            (self.directory / name).unlink(missing_ok=True)
        return len(names)

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            row: dict[str, Any] = json.loads((self.directory / name).read_bytes())
            for column in ("next_attempt_at", "received_at"):
                row[column] = datetime.fromisoformat(row[column])
            return row
        except FileNotFoundError:
            return None  # another importer took it
        except (ValueError, KeyError, TypeError):
            # Only our own code writes here, whole files by rename; keep the evidence aside.
            log.error("unreadable spool file %s set aside", name)
            os.replace(self.directory / name, self.directory / f"{name}.bad")
            return None

    def _clean_temp(self) -> None:
        cutoff = time.time() - STALE_TEMP_SECONDS
        for name in os.listdir(self.directory):
            path = self.directory / name
            with contextlib.suppress(FileNotFoundError):  # renamed or removed meanwhile
                if name.startswith(TEMP_PREFIX) and path.stat().st_mtime < cutoff:
                    path.unlink()


def spool_path(url: str | URL) -> Path:
    return Path(f"{make_url(url).database}-inbox")


def spooled(url: str | URL) -> int:
    """Items waiting in the spool of this database (0 where there is none)."""
    parsed = make_url(url)
    if not _has_spool(parsed) or not spool_path(parsed).is_dir():
        return 0
    return sum(1 for name in os.listdir(spool_path(parsed)) if name.endswith(SUFFIX))


def _has_spool(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot spool {type(value).__name__}")
