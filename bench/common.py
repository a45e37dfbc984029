"""Small helpers shared by the benches: ports, waiting, signed Slack requests, statistics."""

from __future__ import annotations

import http.client
import os
import socket
import time
from typing import Any
from urllib.parse import urlencode

from bot.localslack.signing import sign

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
TEAM_ID = "T0BENCH"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(port: int, path: str, timeout: float = 30.0) -> None:
    """Poll until the server answers anything at all on `path`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered on port {port} within {timeout} s") from None
            time.sleep(0.1)


def slash_command(text: str, command: str = "/align") -> bytes:
    """A slash command body shaped like Slack's (form-encoded)."""
    return urlencode(
        {
            "token": "unused-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": "C0BENCH",
            "channel_name": "bench",
            "user_id": "U0BENCH",
            "user_name": "bench",
            "command": command,
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": "https://hooks.slack.invalid/commands/T0BENCH/1/x",
            "trigger_id": "1.1.bench",
        }
    ).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(SIGNING_SECRET, body, int(time.time())),
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(latencies_ms: list[float], elapsed_s: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies_ms)
    return {
        "requests": len(ordered),
        "errors": errors,
        "elapsed_s": round(elapsed_s, 3),
        "req_per_s": round(len(ordered) / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p90_ms": round(percentile(ordered, 0.90), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1], 3) if ordered else float("nan"),
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # The command name (field 2) may hold spaces; count fields after its closing paren.
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)
    return ticks / os.sysconf("SC_CLK_TCK")
