"""Acks before background work.

When a Slack request is being acknowledged, a worker that starts a new item competes with it for
the interpreter (one process) or for the CPU and the database (serve's two processes), and can
push the ack past what Slack sees as prompt. Workers therefore wait, briefly and never for long,
until no Slack request is in flight before taking their next item.

In one process the count of requests in flight is a plain counter. Across serve's processes each
web process also writes its count to its own slot of a small shared memory page (a memfd the
worker maps), and the worker adds the slots up.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time

COUNT = struct.Struct("=q")
POLL_SECONDS = 0.0005


class SharedCount:
    """Eight bytes per web process of memory shared with the worker process, through a file
    descriptor. Each web process writes only its own slot (`slot`, set after the fork), so
    no two writers race; readers add every slot up."""

    def __init__(self, fd: int | None = None, slots: int = 1) -> None:
        if fd is None:
            fd = os.memfd_create("groundline-acks-in-flight", 0)
            os.ftruncate(fd, COUNT.size * slots)
        self.fd = fd
        size = os.fstat(fd).st_size
        self.slots = max(size // COUNT.size, 1)
        self.slot = 0
        self._memory = mmap.mmap(fd, COUNT.size * self.slots)

    def write(self, value: int, slot: int | None = None) -> None:
        COUNT.pack_into(self._memory, COUNT.size * (self.slot if slot is None else slot), value)

    def read(self) -> int:
        return sum(COUNT.unpack_from(self._memory, COUNT.size * i)[0] for i in range(self.slots))


class AckGate:
    """One process: workers there wait on an event the last ack to leave sets."""

    def __init__(self) -> None:
        self._in_flight = 0
        self._lock = threading.Lock()
        self._quiet = threading.Event()
        self._quiet.set()

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            if self._in_flight == 1:
                self._quiet.clear()

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._quiet.set()

    def wait_quiet(self, max_seconds: float = 0.05) -> None:
        """Return when no request is in flight, or after `max_seconds` whatever happens, so
        a steady stream of requests slows background work down but never stops it."""
        self._quiet.wait(timeout=max_seconds)


class SharedAckGate(AckGate):
    """A web process of serve: its count goes to its slot of the shared memory, where the
    worker process's `RemoteAckGate` reads it. No worker waits in this process, so there is no
    event to set and clear on every ack."""

    def __init__(self, shared: SharedCount) -> None:
        super().__init__()
        self._shared = shared

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._shared.write(self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._shared.write(self._in_flight)

    def wait_quiet(self, max_seconds: float = 0.05) -> None:
        _wait_for_zero(self._shared, max_seconds)


class RemoteAckGate(AckGate):
    """The worker process's view of the web processes' gates: it only waits."""

    def __init__(self, shared: SharedCount) -> None:
        super().__init__()
        self._remote = shared

    def wait_quiet(self, max_seconds: float = 0.05) -> None:
        _wait_for_zero(self._remote, max_seconds)


def _wait_for_zero(shared: SharedCount, max_seconds: float) -> None:
    deadline = time.monotonic() + max_seconds
    while shared.read() > 0 and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
