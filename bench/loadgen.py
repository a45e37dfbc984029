"""Load generator, its own process: N threads on keep-alive connections send signed
`/align help` commands until COUNT requests are done or SECONDS pass; prints JSON stats.

Run: python bench/loadgen.py PORT CONCURRENCY COUNT SECONDS [WARMUP] [--raw]
(--raw prints every latency instead of the summary, for pooling across rounds.)
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import signed_headers, slash_command
from bench.stats import summarize

PATH = "/slack/events"


class Budget:
    """Hands out request slots until the count or the deadline runs out."""

    def __init__(self, count: int, seconds: float) -> None:
        self._left = count
        self._deadline = time.monotonic() + seconds
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0 or time.monotonic() > self._deadline:
                return False
            self._left -= 1
            return True


def worker(port: int, budget: Budget, latencies: list[float], errors: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = slash_command("help")
    while budget.take():
        headers = signed_headers(body)  # signing is the client's cost, outside the timing
        started = time.perf_counter()
        try:
            connection.request("POST", PATH, body, headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status != 200 or b"help" not in answer.lower():
            errors.append(f"HTTP {response.status}")
        else:
            latencies.append(elapsed_ms)
    connection.close()


def run(port: int, concurrency: int, count: int, seconds: float) -> dict[str, Any]:
    budget = Budget(count, seconds)
    latencies: list[float] = []  # list.append is atomic under the GIL
    errors: list[str] = []
    threads = [
        threading.Thread(target=worker, args=(port, budget, latencies, errors))
        for _ in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"latencies_ms": latencies, "elapsed_s": elapsed, "errors": errors}


def main() -> None:
    port, concurrency, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seconds = float(sys.argv[4])
    warmup = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5].isdigit() else 0
    if warmup:
        run(port, concurrency, warmup, seconds)
    result = run(port, concurrency, count, seconds)
    if "--raw" not in sys.argv:
        stats = summarize(result["latencies_ms"], result["elapsed_s"], len(result["errors"]))
        result = {**stats, "error_kinds": sorted(set(result["errors"]))}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
