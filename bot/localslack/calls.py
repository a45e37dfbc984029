"""What the stand-in saw (the call log) and what it was told to do wrong (the fault plan)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CallPredicate = Callable[["RecordedCall"], bool]


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received. `method` is a Web API method or a pseudo method:
    "response_url", "file_upload", "file_download"."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok", True))


class CallLog:
    """Thread-safe, append-only list of calls that tests can wait on."""

    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._changed = threading.Condition()
        self.on_call: Callable[[RecordedCall], None] | None = None

    def append(self, call: RecordedCall) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        listener = self.on_call
        if listener is not None:
            listener(call)

    def all(self) -> list[RecordedCall]:
        with self._changed:
            return list(self._calls)

    def to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.all() if call.method == method]

    def clear(self) -> None:
        with self._changed:
            self._calls.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: CallPredicate | None = None,
    ) -> list[RecordedCall]:
        def matching() -> list[RecordedCall]:
            return [
                call
                for call in self._calls
                if call.method == method and (predicate is None or predicate(call))
            ]

        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n  ".join(f"{c.method} {c.status} {c.params}" for c in self._calls)
                    raise AssertionError(
                        f"waited {timeout}s for {count} x {method}, got {len(found)}. "
                        f"Calls seen:\n  {seen or '(none)'}"
                    )
                self._changed.wait(left)
            return found


@dataclass
class Fault:
    method: str
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    channel: str | None = None  # only calls naming this channel (None: any call)


class Hold:
    """One call kept waiting, as a slow Slack would, until `release()` or `longest` seconds:
    `arrived` is set once the bot is waiting on it, so a test can look around meanwhile."""

    def __init__(self, method: str, longest: float) -> None:
        self.method = method
        self.longest = longest
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def wait_here(self) -> None:
        self.arrived.set()
        self._released.wait(self.longest)


class FaultPlan:
    """Faults queued per method ("*" matches any method); each fires `times` times."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._lock = threading.Lock()

    def add_hold(self, hold: Hold) -> None:
        with self._lock:
            self._holds.append(hold)

    def take_hold(self, method: str) -> Hold | None:
        with self._lock:
            for hold in self._holds:
                if hold.method == method:
                    self._holds.remove(hold)
                    return hold
        return None

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            for hold in self._holds:
                hold.release()
            self._holds.clear()

    def take_delay(self, method: str) -> float:
        return sum(fault.delay for fault in self._take(method, delays=True))

    def take_failure(self, method: str, channel: str | None = None) -> Fault | None:
        taken = self._take(method, delays=False, channel=channel)
        return taken[0] if taken else None

    def _take(self, method: str, *, delays: bool, channel: str | None = None) -> list[Fault]:
        with self._lock:
            taken: list[Fault] = []
            for fault in self._faults:
                if fault.method not in (method, "*") or (fault.delay > 0) != delays:
                    continue
                if fault.channel is not None and fault.channel != channel:
                    continue
                taken.append(fault)
                fault.times -= 1
                if not delays:
                    break
            self._faults = [fault for fault in self._faults if fault.times > 0]
            return taken
