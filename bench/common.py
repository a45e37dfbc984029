"""Small helpers shared by the benches: ports, waiting, signed Slack requests, processes and
their memory and CPU, the load generators (statistics are in bench/stats.py)."""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import cgroups
from bot.localslack.signing import sign

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
TEAM_ID = "T0BENCH"
ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


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


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def pss_mb(pid: int) -> float:
    """Proportional set size: each page a process shares counted as its share (a page shared
    by three processes counts a third in each), from /proc/<pid>/smaps_rollup (Linux 4.14+).
    Summed over processes forked from one parent, it is what they cost the machine together."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss for process {pid}")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listed:
            found += [int(child) for child in listed.read().split()]
    return found


def tree_rss_mb(pid: int) -> float:
    """A process and its children together (`serve` runs a worker process beside it): the
    sum of their RSS, which counts shared library pages twice, so it errs high."""
    return rss_mb(pid) + sum(rss_mb(child) for child in children(pid))


def tree_pss_mb(pid: int) -> float:
    """A process and its children together, each shared page counted once."""
    return pss_mb(pid) + sum(pss_mb(child) for child in children(pid))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # The command name (field 2) may hold spaces; count fields after its closing paren.
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (serve's worker process) so far."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


@contextmanager
def process(
    args: list[str], env: dict[str, str], cwd: Path, log: Path, cgroup: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process for the length of the block; in a memory cgroup of its own if given
    (bench/cgroups.py), so everything it forks is charged there."""
    # A file, not a pipe: an unread pipe fills up under waitress's queue warnings and blocks.
    with log.open("wb") as sink:
        child = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            preexec_fn=None if cgroup is None else partial(cgroups.enter, cgroup),
        )
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def ours_env(port: int, slack_api_url: str, workdir: Path) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "OPENAI_"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        DATABASE_URL=f"sqlite:///{workdir}/groundline.db",
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    return env


def load(port: int, concurrency: int, count: int, seconds: float, warmup: int) -> dict[str, Any]:
    """One load-generator process; every latency comes back so rounds can be pooled."""
    args = [PYTHON, str(ROOT / "bench" / "loadgen.py"), str(port), str(concurrency)]
    args += [str(count), str(seconds), str(warmup), "--raw"]
    finished = subprocess.run(args, capture_output=True, check=True, timeout=seconds * 3 + 60)
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def children_cpu_seconds() -> float:
    """CPU used so far by finished child processes (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict[str, Any]:
    model = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_before": load1,
        # Runs on a shared machine may be started with `nice -n -10` so others' work yields.
        "niceness": os.nice(0),
    }


PERFORMANCE_DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def replace_doc_section(body: str) -> None:
    """Put `body` (a markdown section whose first line is its `## ` heading) in
    docs/performance.md, replacing the section with that heading; other benches own the rest."""
    heading = body.splitlines()[0]
    body = body.rstrip("\n") + "\n"
    text = PERFORMANCE_DOC.read_text() if PERFORMANCE_DOC.exists() else "# Performance\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        following = text.find("\n## ", start + len(heading))
        text = text[:start] + body + (text[following:] if following >= 0 else "")
    PERFORMANCE_DOC.write_text(text)


WRK_QUANTILES = 1000  # quantiles each wrk run reports, so runs can be pooled
WRK_SCRIPT = """wrk.method = "POST"
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  local quantiles = {{}}
  for i = 1, {quantiles} do
    quantiles[i] = string.format("%d", latency:percentile((i - 0.5) * 100 / {quantiles}))
  end
  io.write(string.format(
    '{{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "max": %d, '
    .. '"quantiles_us": [%s]}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency.max, table.concat(quantiles, ",")))
end
"""


def load_wrk(port: int, concurrency: int, seconds: float, workdir: Path) -> dict[str, Any]:
    """The same signed `/align help`, sent by wrk (C, 2 threads, keep-alive connections): a
    client that needs little CPU, so the servers get nearly both cores. One signature serves
    the whole run (it stays valid for five minutes, and `/align help` stores nothing)."""
    body = slash_command("help").decode()
    headers = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
        for k, v in signed_headers(body.encode()).items()
    )
    script = workdir / "wrk.lua"
    script.write_text(
        WRK_SCRIPT.format(body=json.dumps(body), headers=headers, quantiles=WRK_QUANTILES)
    )
    args = [
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "-s",
        str(script),
    ]
    args.append(f"http://127.0.0.1:{port}/slack/events")
    finished = subprocess.run(
        args, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    found = json.loads(finished.stdout.strip().splitlines()[-1])
    return {
        "requests": found["requests"],
        "errors": found["errors"] + found["non2xx"],
        "elapsed_s": found["duration_us"] / 1e6,
        "max_ms": found["max"] / 1000,
        "quantiles_ms": [value / 1000 for value in found["quantiles_us"]],
    }
