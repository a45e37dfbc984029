"""`groundline serve` over HTTP: a supervisor, the web processes it forks, and the worker.

One web process answers from one core; on two cores a bare Bolt app under uvicorn with two
workers answered wrk's 64 connections at twice our rate (docs/performance.md, "Ack latency").
So serve builds the app once, binds the port, and forks `GROUNDLINE_WEB_PROCESSES` web
processes that accept on that one socket. Forked after the imports (and with the garbage
collector's objects frozen), they share the supervisor's memory copy-on-write instead of each
loading its own copy. The worker process (bot/worker_process.py) stays one.

The supervisor starts no thread: a thread holding a lock at fork time would leave the lock
held forever in the child, so keeping it single-threaded is what lets it fork a replacement
whenever a web process dies. It restarts a dead web process or worker after a second, stops
all of them on SIGTERM or SIGINT (each finishes what it is answering), and every child asks
Linux to kill it if the supervisor dies, so none is left behind.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import socket
import threading
import time
from types import FrameType

from bot.config import Settings
from bot.gate import RemoteAckGate
from bot.runtime import Runtime
from bot.worker_process import die_with_parent, name_process, run_worker, stop_on_signals

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
STOP_GRACE_SECONDS = 15.0
TICK_SECONDS = 1.0
WORKER = "worker"
WORKER_NICENESS = 5  # added to the worker's: it yields the CPU to the web processes
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class Supervisor:
    def __init__(
        self, settings: Settings, runtime: Runtime, listening: socket.socket, web_processes: int
    ) -> None:
        assert runtime.acks_in_flight is not None, "a web runtime shares its count of acks"
        self.settings = settings
        self.runtime = runtime
        self.acks_in_flight = runtime.acks_in_flight
        self.listening = listening
        self.slots = web_processes
        # One pipe for the supervisor's whole life: every web process inherits its write end,
        # and each worker process (the first and any restarted one) its read end.
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        runtime.wake_pipe.replace(wake_write)
        self.children: dict[int, int | str] = {}  # pid -> web slot, or WORKER
        self.due: dict[int | str, float] = {}  # web slot or WORKER -> when to start it again
        self.stopping = False
        self._tick = threading.Event()

    def run(self) -> int:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda *_: self._tick.set())
        _load_shared_modules()
        if threading.active_count() > 1:
            log.warning("serve's supervisor has threads before forking: %s", threading.enumerate())
        gc.collect()
        gc.freeze()  # the collector would otherwise write to every shared object it visits
        for slot in range(self.slots):
            self._start(slot)
        self._start(WORKER)
        host, port = self.listening.getsockname()[:2]
        log.info("listening on http://%s:%s with %d web processes", host, port, self.slots)
        while not self.stopping:
            self._tick.wait(TICK_SECONDS)
            self._tick.clear()
            self._reap()
            self._restart_due()
        self._stop_children()
        return 0

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        self._tick.set()

    def _start(self, what: int | str) -> None:
        supervisor = os.getpid()
        # Held back over the fork: a SIGTERM reaching the child before it has its own handler
        # would run the supervisor's copy of `_on_stop`, and the child would never stop. The
        # child lets them through once its handlers are set (`_web`, `_worker`).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            raise
        if pid != 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        else:
            code = 1
            try:
                die_with_parent(supervisor)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                code = self._worker() if what == WORKER else self._web(int(what))
            except BaseException:
                log.exception("%s process %s failed", _kind(what), os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)  # never back into the supervisor's code
        self.children[pid] = what
        log.info("%s process %s started", _kind(what), pid)

    def _web(self, slot: int) -> int:
        """In a forked web process: serve until SIGTERM."""
        name_process(f"groundline-web{slot}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        # A Ctrl-C reaches the whole terminal's process group: the supervisor stops us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        os.close(self.wake_read)
        self.runtime.after_fork(slot)
        self.runtime.start(listening=self.listening)
        stop.wait()
        self.runtime.stop()
        return 0

    def _worker(self) -> int:
        """In the forked worker process: the inbox, outbox and scheduler until SIGTERM, or
        until every web process and the supervisor have closed the wake-up pipe."""
        name_process("groundline-work")
        os.setsid()  # a Ctrl-C in the terminal reaches only serve, which stops us in order
        self.listening.close()
        # Its work can wait a few milliseconds; an ack cannot. When the cores are busy the
        # scheduler gives the web processes the larger share. Not where the kernel groups
        # processes by session (autogroup): there our session of one weighs alone. Staying in
        # serve's session measured no better (docs/performance.md, "Ack latency").
        os.nice(WORKER_NICENESS)
        self.runtime.wake_pipe.replace(None)
        self.runtime.engine.dispose(close=False)  # the supervisor's connections, not ours
        gate = RemoteAckGate(self.acks_in_flight)
        stop = stop_on_signals()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        return run_worker(self.settings, stop, self.wake_read, gate)

    def _reap(self) -> None:
        for pid, what in list(self.children.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done == 0:
                continue
            del self.children[pid]
            code = os.waitstatus_to_exitcode(status)
            if what == WORKER:
                if not self.stopping:
                    log.error("worker process %s exited with %s; restarting it", pid, code)
            else:
                # Its acks in flight died with it; a count left standing would slow the worker.
                self.acks_in_flight.write(0, int(what))
                if not self.stopping:
                    log.error("web process %s exited with %s; starting another", pid, code)
            if not self.stopping:
                self.due[what] = time.monotonic() + RESTART_DELAY_SECONDS

    def _restart_due(self) -> None:
        now = time.monotonic()
        for what, when in list(self.due.items()):
            if when > now:
                self._tick.set()  # look again at the next tick, not only at the next signal
                continue
            del self.due[what]
            try:
                self._start(what)
            except OSError:
                log.exception("could not start a process; trying again")
                self.due[what] = now + RESTART_DELAY_SECONDS

    def _stop_children(self) -> None:
        """SIGTERM to every child; each finishes what it is doing. Those still running after
        the grace period are killed. Nothing outlives serve."""
        log.info("stopping %d processes", len(self.children))
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            time.sleep(0.05)
            self._reap()
        for pid in self.children:
            log.warning("process %s did not stop in time; killing it", pid)
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children.clear()
        self.listening.close()
        os.close(self.wake_read)
        self.runtime.wake_pipe.replace(None)
        self.runtime.engine.dispose()


def _kind(what: int | str) -> str:
    return "worker" if what == WORKER else "web"


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _load_shared_modules() -> None:
    """What the web processes load to serve and the worker to work, loaded once here so
    they share it."""
    import httptools  # noqa: F401
    import uvicorn
    import uvicorn.lifespan.on
    import uvicorn.loops.uvloop
    import uvicorn.protocols.http.httptools_impl  # noqa: F401
    import uvloop  # noqa: F401

    import bot.asgi  # noqa: F401
