"""Waking the background workers of another process.

`groundline serve` acknowledges Slack in one process and does the work in a second one (see
bot/worker_process.py). After an ack stores something, the web process writes one byte to a
pipe; the worker process reads it and wakes the matching worker at once. Both sides also look
for work on their own every second, so a lost byte only delays, never loses, anything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

INBOX = b"i"
OUTBOX = b"o"


class PipeEnd:
    """The web side's end of the pipe; replaced when the worker process is restarted."""

    def __init__(self) -> None:
        self._fd: int | None = None
        # Held while writing and while swapping: a closed descriptor's number can be reused
        # at once by any file another thread opens, and must never receive our byte.
        self._lock = threading.Lock()

    def replace(self, fd: int | None) -> None:
        """Use `fd` from now on (None: nothing to wake); closes the previous one."""
        with self._lock:
            old, self._fd = self._fd, fd
            if old is not None:
                os.close(old)

    def send(self, tag: bytes) -> None:
        with self._lock:
            if self._fd is None:
                return
            # OSError: the pipe is full (the worker has plenty of wake-ups unread) or broken
            # (the worker is being restarted and looks for work when it starts). Nothing lost.
            with contextlib.suppress(OSError):
                os.write(self._fd, tag)


class RelayedEvent(threading.Event):
    """An Event whose set() also wakes the same worker in the worker process."""

    def __init__(self, pipe: PipeEnd, tag: bytes) -> None:
        super().__init__()
        self._pipe = pipe
        self._tag = tag

    def set(self) -> None:
        self._pipe.send(self._tag)


def relay(fd: int, events: dict[bytes, threading.Event], on_close: Callable[[], None]) -> None:
    """Worker side: set the event named by each byte read; call on_close when the web
    process closes its end (it stopped or died)."""

    def run() -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                log.info("the web process closed the wake-up pipe")
                on_close()
                return
            for tag, event in events.items():
                if tag in data:
                    event.set()

    threading.Thread(target=run, name="wake-relay", daemon=True).start()
