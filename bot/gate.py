"""Acks before background work.

Request threads and the background workers (inbox, outbox, scheduler) share one GIL. When a
Slack request is being acknowledged, a worker that starts a new item competes with it for the
interpreter and can push the ack past what Slack sees as prompt. Workers therefore wait, briefly
and never for long, until no Slack request is in flight before taking their next item.
"""

from __future__ import annotations

import threading


class AckGate:
    def __init__(self) -> None:
        self._in_flight = 0
        self._lock = threading.Lock()
        self._quiet = threading.Event()
        self._quiet.set()

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
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
