"""Workers yield to acks in flight, in one process and across serve's two."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from bot.gate import AckGate, RemoteAckGate, SharedAckGate, SharedCount


def test_a_worker_waits_for_the_acks_in_flight_then_goes() -> None:
    gate = AckGate()
    gate.enter()
    released: list[float] = []

    def worker() -> None:
        gate.wait_quiet(max_seconds=5)
        released.append(time.monotonic())

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.1)
    assert released == []  # still waiting: an ack is in flight
    left = time.monotonic()
    gate.leave()
    thread.join(timeout=5)
    assert released and released[0] >= left


def test_a_steady_stream_of_acks_only_delays_a_worker() -> None:
    gate = AckGate()
    gate.enter()
    started = time.monotonic()
    gate.wait_quiet(max_seconds=0.05)
    assert time.monotonic() - started < 2  # gave up waiting instead of starving


def test_the_worker_process_sees_the_web_process_count() -> None:
    shared = SharedCount()
    gate = SharedAckGate(shared)
    gate.enter()
    gate.enter()
    assert shared.read() == 2
    # Another process maps the same memory from the inherited descriptor and reads it.
    script = (
        "import sys; from bot.gate import SharedCount; print(SharedCount(int(sys.argv[1])).read())"
    )
    seen = subprocess.run(
        [sys.executable, "-c", script, str(shared.fd)],
        pass_fds=(shared.fd,),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert seen.stdout.strip() == "2"
    gate.leave()
    gate.leave()
    assert shared.read() == 0


def test_the_remote_gate_waits_while_acks_are_in_flight() -> None:
    shared = SharedCount()
    web, worker = SharedAckGate(shared), RemoteAckGate(SharedCount(shared.fd))
    web.enter()
    threading.Timer(0.2, web.leave).start()
    started = time.monotonic()
    worker.wait_quiet(max_seconds=10)
    waited = time.monotonic() - started
    assert 0.15 < waited < 5  # released by the leave, not by the 10 s cap
    started = time.monotonic()
    worker.wait_quiet(max_seconds=10)
    assert time.monotonic() - started < 1  # nothing in flight: no wait


def test_each_web_process_counts_in_its_own_slot_and_the_worker_sees_the_sum() -> None:
    shared = SharedCount(slots=2)
    other_process = SharedCount(shared.fd)  # the same memory, mapped again
    other_process.slot = 1  # what Runtime.after_fork sets in the second web process
    first, second = SharedAckGate(shared), SharedAckGate(other_process)
    first.enter()
    second.enter()
    second.enter()
    assert SharedCount(shared.fd).read() == 3
    second.leave()
    assert shared.read() == 2
    # A web process that died with acks in flight: the supervisor clears its slot.
    shared.write(0, slot=1)
    first.leave()
    assert shared.read() == 0
