"""Ack latency and throughput of `/align help` over HTTP, ours against the floor app.

Run: .venv/bin/python bench/ack.py [--quick]

Both apps run as their own processes behind the same waitress settings; the load generator is
a third process, so none of them shares a GIL. Writes bench/results/ack.json, prints a
markdown table and rewrites the "Ack latency" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    free_port,
    rss_mb,
    signed_headers,
    slash_command,
    wait_until_up,
)
from bot.localslack.server import LocalSlack  # noqa: E402

PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results" / "ack.json"
DOC = ROOT / "docs" / "performance.md"
SECTION = "## Ack latency (bench/ack.py)"
LEVELS = (1, 16, 64)
TARGET_P50_MS = 2.0
TARGET_P99_RATIO = 1.5
TARGET_RSS_MB = 150.0


@contextmanager
def process(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "OPENAI_"))}
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


def poke(port: int, times: int) -> None:
    """A few real commands, so lazily built state exists before memory is read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = slash_command("help")
    for _ in range(times):
        connection.request("POST", "/slack/events", body, signed_headers(body))
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 or b"help" not in answer.lower():
            raise RuntimeError(f"/align help answered {response.status}: {answer[:200]!r}")
    connection.close()


def load(port: int, concurrency: int, count: int, seconds: float, warmup: int) -> dict[str, Any]:
    args = [PYTHON, str(ROOT / "bench" / "loadgen.py"), str(port), str(concurrency)]
    args += [str(count), str(seconds), str(warmup)]
    finished = subprocess.run(args, capture_output=True, check=True, timeout=seconds * 3 + 60)
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def run(quick: bool) -> dict[str, Any]:
    count, seconds, warmup = (300, 5.0, 50) if quick else (2000, 20.0, 200)
    with LocalSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ours_port, floor_port = free_port(), free_port()
        groundline = [PYTHON, "-m", "bot", "serve"]
        floor = [PYTHON, str(ROOT / "bench" / "floor_app.py"), str(floor_port), slack.api_url]
        env = ours_env(ours_port, slack.api_url, workdir)
        env["PYTHONPATH"] = str(ROOT)
        with process(groundline, env, workdir) as ours, process(floor, env, workdir) as bare:
            for port, child in ((ours_port, ours), (floor_port, bare)):
                try:
                    wait_until_up(port, "/healthz")
                except TimeoutError:
                    child.terminate()
                    raise RuntimeError(child.communicate()[1].decode()[-2000:]) from None
            poke(ours_port, 20)
            poke(floor_port, 20)
            time.sleep(1.0)
            memory = {"ours_idle_rss_mb": round(rss_mb(ours.pid), 1),
                      "floor_idle_rss_mb": round(rss_mb(bare.pid), 1)}
            levels = []
            for concurrency in LEVELS:
                # Floor first, then ours, back to back, so both see the same machine weather.
                floor_stats = load(floor_port, concurrency, count, seconds, warmup)
                ours_stats = load(ours_port, concurrency, count, seconds, warmup)
                levels.append({
                    "concurrency": concurrency,
                    "floor": floor_stats,
                    "ours": ours_stats,
                    "p99_ratio": round(ours_stats["p99_ms"] / floor_stats["p99_ms"], 2),
                })
            memory["ours_rss_after_load_mb"] = round(rss_mb(ours.pid), 1)
    return {
        "bench": "ack",
        "quick": quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "budget": {"requests_per_level": count, "seconds_per_level": seconds, "warmup": warmup},
        "levels": levels,
        "memory": memory,
        "targets": verdicts(levels, memory),
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        model = found.group(1).strip() if found else ""
    except OSError:
        pass
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "load_before": load1}


def verdicts(levels: list[dict[str, Any]], memory: dict[str, Any]) -> dict[str, Any]:
    single = levels[0]["ours"]["p50_ms"]
    ratios = {str(level["concurrency"]): level["p99_ratio"] for level in levels[1:]}
    return {
        "p50_at_1_ms": {"value": single, "target": TARGET_P50_MS, "met": single <= TARGET_P50_MS},
        "p99_ratio": {"value": ratios, "target": TARGET_P99_RATIO,
                      "met": all(ratio <= TARGET_P99_RATIO for ratio in ratios.values())},
        "idle_rss_mb": {"value": memory["ours_idle_rss_mb"], "target": TARGET_RSS_MB,
                        "met": memory["ours_idle_rss_mb"] < TARGET_RSS_MB},
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| concurrency | app | p50 ms | p90 ms | p99 ms | max ms | req/s | errors | p99 ours/floor |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result["levels"]:
        for name in ("floor", "ours"):
            stats = level[name]
            ratio = f"{level['p99_ratio']:.2f}" if name == "ours" else ""
            lines.append(
                f"| {level['concurrency']} | {name} | {stats['p50_ms']:.2f} | {stats['p90_ms']:.2f} "
                f"| {stats['p99_ms']:.2f} | {stats['max_ms']:.1f} | {stats['req_per_s']:,.0f} "
                f"| {stats['errors']} | {ratio} |"
            )
    memory = result["memory"]
    lines.append("")
    lines.append(
        f"Idle RSS of `groundline serve`: {memory['ours_idle_rss_mb']} MB "
        f"(floor app {memory['floor_idle_rss_mb']} MB; ours after the load "
        f"{memory['ours_rss_after_load_mb']} MB)."
    )
    targets = result["targets"]
    lines.append("")
    lines.append("| target | measured | met |")
    lines.append("|---|---|---|")
    ratios = ", ".join(f"{ratio:.2f} at {level}" for level, ratio in targets["p99_ratio"]["value"].items())
    lines.append(f"| p50 ≤ {TARGET_P50_MS:g} ms at concurrency 1 | {targets['p50_at_1_ms']['value']:.2f} ms | {'yes' if targets['p50_at_1_ms']['met'] else 'no'} |")
    lines.append(f"| p99 ≤ {TARGET_P99_RATIO:g}× floor at 16 and 64 | {ratios} | {'yes' if targets['p99_ratio']['met'] else 'no'} |")
    lines.append(f"| idle RSS < {TARGET_RSS_MB:g} MB | {targets['idle_rss_mb']['value']} MB | {'yes' if targets['idle_rss_mb']['met'] else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 requests or 5 s per level")
    args = parser.parse_args()
    result = run(args.quick)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))


if __name__ == "__main__":
    main()
