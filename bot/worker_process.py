"""The worker process that `groundline serve` runs beside its HTTP process.

Slack wants its ack within 3 s and we want it far sooner. The request threads that ack and the
workers that handle stored messages, send replies and call the language model used to share
one interpreter lock, so a burst of background work made acks wait. Now the HTTP process only
acks and stores; a child process (`groundline worker`) does everything else, and still
yields to acks in flight (bot/gate.py). The parent restarts the child if it dies, wakes it
through a pipe after each stored item, and takes it down with it: the child asks Linux for
SIGKILL when its parent dies, and stops on its own when the pipe closes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading

from bot.gate import RemoteAckGate, SharedCount
from bot.wake import PipeEnd

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
STOP_GRACE_SECONDS = 15.0
WAKE_FD_ENV = "GROUNDLINE_WAKE_FD"
GATE_FD_ENV = "GROUNDLINE_GATE_FD"
PARENT_PID_ENV = "GROUNDLINE_PARENT_PID"


class WorkerProcess:
    def __init__(self, pipe: PipeEnd, acks_in_flight: SharedCount) -> None:
        self.pipe = pipe
        self.acks_in_flight = acks_in_flight
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._spawning = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def start(self) -> WorkerProcess:
        self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="worker-sup", daemon=True)
        self._supervisor.start()
        return self

    def _spawn(self) -> None:
        read_end, write_end = os.pipe()
        gate_fd = self.acks_in_flight.fd
        env = {
            **os.environ,
            WAKE_FD_ENV: str(read_end),
            GATE_FD_ENV: str(gate_fd),
            PARENT_PID_ENV: str(os.getpid()),
        }
        try:
            # A session of its own: a Ctrl-C in the terminal reaches only serve, which then
            # stops the worker in order.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                env=env,
                pass_fds=(read_end, gate_fd),
                start_new_session=True,
            )
        finally:
            os.close(read_end)
        os.set_blocking(write_end, False)
        self.pipe.replace(write_end)
        log.info("worker process %s started", self.process.pid)

    def _supervise(self) -> None:
        """Restart the worker if it dies; this thread lives as long as the parent needs it
        (Linux's parent-death signal follows the thread that started the child)."""
        while not self._stopping.is_set():
            assert self.process is not None
            code = self.process.wait()
            if self._stopping.is_set():
                return
            log.error("worker process exited with %s; restarting it", code)
            while not self._stopping.wait(RESTART_DELAY_SECONDS):
                with self._spawning:
                    if self._stopping.is_set():
                        return
                    try:
                        self._spawn()
                        break
                    except OSError:
                        log.exception("could not start the worker process; trying again")

    def stop(self) -> None:
        """Close the pipe (the worker finishes its current item and exits), then insist."""
        with self._spawning:  # no restart can slip in after this
            self._stopping.set()
            self.pipe.replace(None)
        if self.process is None:
            return
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("worker process did not stop in time; killing it")
            self.process.kill()
            self.process.wait()


def die_with_parent() -> None:
    """In the worker: be SIGKILLed when the serving process dies, as if one process had
    crashed (Linux only; elsewhere the closed pipe stops the worker a moment later)."""
    expected = os.environ.get(PARENT_PID_ENV)
    if expected is None:
        return  # run on its own (`groundline worker` by hand or by a process manager)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(expected):
        os._exit(1)  # the parent died before the request above took effect


def web_gate() -> RemoteAckGate | None:
    """The web process's count of acks in flight, when serve started us."""
    value = os.environ.get(GATE_FD_ENV)
    return RemoteAckGate(SharedCount(int(value))) if value else None


def wake_fd() -> int | None:
    value = os.environ.get(WAKE_FD_ENV)
    return int(value) if value else None
