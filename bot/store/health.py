"""Can we store things right now? `/healthz` asks, and replies say so when we cannot.

A database can answer reads and still refuse every write (a full disk, a read-only file or
mount, a read-only PostgreSQL). So health is three questions: does it answer, does a real write
commit, and has any write failed for lack of room or permission in the last ten seconds.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, event, insert
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.store.models import ProcessedDelivery

log = logging.getLogger(__name__)

RECENT_SECONDS = 10.0
# Below this much free space a SQLite database is full for practical purposes: SQLite reuses
# its WAL file, so a probe write can still fit while a real one (a run of cases) cannot.
MIN_FREE_BYTES = 1 << 20
PROBE_KEY = "health:write-probe"
PROBE_WAIT_MS = 500
SQLITE_BUSY_MS = 30_000  # what make_engine's connect timeout sets
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES}
# What drivers say when the disk or the permissions refuse a write (SQLite's own messages,
# PostgreSQL's SQLSTATE classes 53 "insufficient resources" and 25006 "read only transaction").
STORAGE_WORDS = ("disk is full", "readonly database", "read-only", "disk i/o error")
STORAGE_SQLSTATES = ("53", "25006")


def storage_refused(error: BaseException) -> bool:
    """True when `error` means the database (or the disk under it) cannot take writes now."""
    if refuses_writes(error):
        return True
    original = error.orig if isinstance(error, DBAPIError) else error
    # The server went away: nothing can be stored either.
    return isinstance(error, OperationalError) and "connection" in str(original).lower()


def refuses_writes(error: BaseException) -> bool:
    """A full disk, a read-only file or server: the database answers but keeps no write."""
    if isinstance(error, OSError) and error.errno in STORAGE_ERRNOS:
        return True
    original = error.orig if isinstance(error, DBAPIError) else error
    sqlstate = str(getattr(original, "sqlstate", "") or "")
    if sqlstate.startswith(STORAGE_SQLSTATES):
        return True
    message = str(original).lower()
    return any(words in message for words in STORAGE_WORDS)


class StorageHealth:
    """Remembers the last write the database refused, for `/healthz`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refused_at: float | None = None
        self.reason = ""

    def refused(self, error: BaseException) -> None:
        # A lost server is not remembered: the live probe sees it come back, while a
        # remembered refusal would hold /healthz at 503 for a minute after it.
        if not refuses_writes(error):
            return
        with self._lock:
            self._refused_at = time.monotonic()
            self.reason = type(error).__name__

    def recently_refused(self) -> bool:
        with self._lock:
            at = self._refused_at
        return at is not None and time.monotonic() - at < RECENT_SECONDS

    def watch(self, engine: Engine) -> None:
        """Every statement's failure passes through here, whoever ran it."""

        def on_error(context: ExceptionContext) -> None:
            if storage_refused(context.original_exception):
                self.refused(context.original_exception)

        event.listen(engine, "handle_error", on_error)


def check(engine: Engine, health: StorageHealth) -> str | None:
    """None when the database answers and takes a write; else why not, in a few words."""
    if health.recently_refused():
        return "database refused a write in the last ten seconds"
    free = _free_bytes(engine)
    if free is not None and free < MIN_FREE_BYTES:
        return "disk full"
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # never wait long behind another writer (a big ingest takes seconds)
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {PROBE_WAIT_MS}")
                connection.commit()  # ends the transaction the PRAGMA began
            try:
                with connection.begin():
                    # A real write of one small row, committed: refused on a read-only file,
                    # mount or server. Same key every time, so it never grows.
                    connection.execute(
                        delete(ProcessedDelivery).where(ProcessedDelivery.key == PROBE_KEY)
                    )
                    connection.execute(
                        insert(ProcessedDelivery),
                        {"key": PROBE_KEY, "received_at": datetime.now(UTC)},
                    )
            finally:
                if sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    except OperationalError as error:
        if "database is locked" in str(error.orig):
            return None  # someone else is writing right now: the database takes writes
        log.warning("database health check failed: %s", type(error.orig).__name__)
        return "database refuses writes" if refuses_writes(error) else "database unavailable"
    except Exception as error:  # any driver error: not healthy, and we say which kind
        log.warning("database health check failed: %s", type(error).__name__)
        return "database refuses writes" if refuses_writes(error) else "database unavailable"
    return None


def _free_bytes(engine: Engine) -> int | None:
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    try:
        stats = os.statvfs(Path(url.database).resolve().parent)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize
