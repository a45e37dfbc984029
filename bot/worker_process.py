"""The worker process: inbox, outbox, scheduler and model calls, with no HTTP.

Slack wants its ack within 3 s and we want it far sooner. The request threads that ack and the
workers that handle stored messages, send replies and call the language model used to share
one interpreter lock, so a burst of background work made acks wait. Now the web processes only
ack and store; the worker does everything else, and still yields to acks in flight
(bot/gate.py). `groundline serve` forks it from its supervisor (bot/web_processes.py), which
wakes it through a pipe after each stored item; `groundline worker` runs it on its own, and
then it finds stored work by looking every second.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading

from bot.config import Settings
from bot.gate import AckGate

log = logging.getLogger(__name__)

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1


def run_worker(
    settings: Settings,
    stop: threading.Event,
    wake_fd: int | None = None,
    gate: AckGate | None = None,
) -> int:
    """Run until `stop` is set. With `wake_fd` (started by serve, which has migrated) it is
    woken by each byte read there and stops when every writer has closed it; on its own it
    migrates, as serve does."""
    from bot.runtime import Role, Runtime
    from bot.wake import INBOX, OUTBOX, relay

    runtime = Runtime(settings, role=Role.WORKER, migrate=wake_fd is None)
    if gate is not None:
        runtime.deps.gate = gate
    if wake_fd is not None:
        events = {INBOX: runtime.deps.inbox_ready, OUTBOX: runtime.deps.outbox_ready}
        relay(wake_fd, events, on_close=stop.set)
    runtime.start()
    log.info("worker running")
    stop.wait()
    runtime.stop()
    return 0


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, for the main thread to wait on."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def die_with_parent(expected: int) -> None:
    """In a child of serve: be SIGKILLed when the serving process dies, as if one process had
    crashed (Linux only; elsewhere the worker's closed pipe stops it a moment later)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != expected:
        os._exit(1)  # the parent died before the request above took effect


def name_process(name: str) -> None:
    """What `ps -o comm`, `top` and /proc/<pid>/comm show for this process (Linux; 15 bytes
    at most), so serve's forked children can be told apart: their command lines are serve's."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
