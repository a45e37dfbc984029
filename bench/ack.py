"""Ack latency and throughput of `/align help` over HTTP, ours against the floor app.

Run: .venv/bin/python bench/ack.py [--quick] [--doc NOTES] [--no-run]

Both apps run as their own processes behind the same waitress settings; the load generator is
a third process, so none of them shares a GIL. Writes bench/results/ack.json, prints a
markdown table and rewrites the "Ack latency" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    BOT_TOKEN,
    TEAM_ID,
    children_cpu_seconds,
    free_port,
    machine,
    replace_doc_section,
    rss_mb,
    signed_headers,
    slash_command,
    summarize,
    tree_cpu_seconds,
    tree_rss_mb,
    wait_until_up,
)

# Re-exported: bench/kickoff.py starts its processes the same way.
from bench.common import PYTHON as PYTHON  # noqa: E402
from bench.common import load as load  # noqa: E402
from bench.common import ours_env as ours_env  # noqa: E402
from bench.common import process as process  # noqa: E402
from bot.localslack.server import LocalSlack  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ack.json"
SECTION = "## Ack latency (bench/ack.py)"
LEVELS = (1, 16, 64)
GROUNDLINE_SERVE = ["-m", "bot", "serve"]  # what `groundline serve` runs; experiments swap it
TARGET_P50_MS = 2.0
TARGET_P99_RATIO = 1.5
TARGET_RSS_MB = 150.0


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


def level(
    ports: dict[str, int], pids: dict[str, int], concurrency: int, budget: Budget
) -> dict[str, Any]:
    """Alternate the two apps in short rounds (floor, ours, ours, floor, ...) and pool each
    app's latencies: on a shared 2-core machine, noise then lands on both sides alike.
    Server CPU time per request is recorded too; other processes barely disturb it."""
    pooled: dict[str, dict[str, Any]] = {
        name: {
            "latencies_ms": [],
            "elapsed_s": 0.0,
            "errors": [],
            "cpu_s": 0.0,
            "client_cpu_s": 0.0,
            "sent": 0,
        }
        for name in ports
    }
    for round_number in range(budget.rounds):
        order = list(ports) if round_number % 2 == 0 else list(reversed(ports))
        for name in order:
            cpu_before = tree_cpu_seconds(pids[name])
            client_before = children_cpu_seconds()
            part = load(
                ports[name],
                concurrency,
                budget.count // budget.rounds,
                budget.seconds / budget.rounds,
                budget.warmup,
            )
            pooled[name]["latencies_ms"] += part["latencies_ms"]
            pooled[name]["elapsed_s"] += part["elapsed_s"]
            pooled[name]["errors"] += part["errors"]
            pooled[name]["cpu_s"] += tree_cpu_seconds(pids[name]) - cpu_before
            pooled[name]["client_cpu_s"] += children_cpu_seconds() - client_before
            pooled[name]["sent"] += budget.warmup + len(part["latencies_ms"]) + len(part["errors"])
    stats = {
        name: {
            **summarize(run["latencies_ms"], run["elapsed_s"], len(run["errors"])),
            "error_kinds": sorted(set(run["errors"])),
            "server_cpu_ms_per_request": round(run["cpu_s"] * 1000 / max(run["sent"], 1), 3),
            # Includes the load generator's start-up (~0.3 s of imports) spread over its requests.
            "client_cpu_ms_per_request": round(run["client_cpu_s"] * 1000 / max(run["sent"], 1), 3),
        }
        for name, run in pooled.items()
    }
    return {
        "concurrency": concurrency,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        **stats,
        "p99_ratio": round(stats["ours"]["p99_ms"] / stats["floor"]["p99_ms"], 2),
    }


@dataclass(frozen=True)
class Budget:
    count: int  # requests per app per concurrency level, split over the rounds
    seconds: float  # time cap per app per level, split the same way
    warmup: int  # unmeasured requests before each round
    rounds: int


def run(quick: bool) -> dict[str, Any]:
    budget = Budget(400, 6.0, 30, 2) if quick else Budget(2000, 20.0, 50, 4)
    with (
        LocalSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        return measure(slack, Path(tmp), budget) | {"quick": quick}


def measure(slack: LocalSlack, workdir: Path, budget: Budget) -> dict[str, Any]:
    ports = {"floor": free_port(), "ours": free_port()}
    env = ours_env(ports["ours"], slack.api_url, workdir)
    env["PYTHONPATH"] = str(ROOT)
    groundline = [PYTHON, *GROUNDLINE_SERVE]
    floor = [PYTHON, str(ROOT / "bench" / "floor_app.py"), str(ports["floor"]), slack.api_url]
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    before = machine()
    with (
        process(groundline, env, workdir, workdir / "ours.log") as ours,
        process(floor, env, workdir, workdir / "floor.log") as bare,
    ):
        for name in ports:
            try:
                wait_until_up(ports[name], "/healthz")
            except TimeoutError:
                log = (workdir / f"{name}.log").read_text()[-2000:]
                raise RuntimeError(f"{name} did not start:\n{log}") from None
        for port in ports.values():
            poke(port, 20)
        time.sleep(1.0)
        memory = {
            "ours_idle_rss_mb": round(tree_rss_mb(ours.pid), 1),
            "ours_idle_rss_web_process_mb": round(rss_mb(ours.pid), 1),
            "floor_idle_rss_mb": round(rss_mb(bare.pid), 1),
        }
        pids = {"ours": ours.pid, "floor": bare.pid}
        levels = [level(ports, pids, concurrency, budget) for concurrency in LEVELS]
        memory["ours_rss_after_load_mb"] = round(tree_rss_mb(ours.pid), 1)
    return {
        "bench": "ack",
        "when": started_at,
        "machine": before,
        "budget": asdict(budget),
        "levels": levels,
        "memory": memory,
        "targets": verdicts(levels, memory),
    }


def verdicts(levels: list[dict[str, Any]], memory: dict[str, Any]) -> dict[str, Any]:
    single = levels[0]["ours"]["p50_ms"]
    ratios = {str(level["concurrency"]): level["p99_ratio"] for level in levels[1:]}
    rss = memory["ours_idle_rss_mb"]
    return {
        "p50_at_1_ms": {"value": single, "target": TARGET_P50_MS, "met": single <= TARGET_P50_MS},
        "p99_ratio": {
            "value": ratios,
            "target": TARGET_P99_RATIO,
            "met": all(ratio <= TARGET_P99_RATIO for ratio in ratios.values()),
        },
        "idle_rss_mb": {"value": rss, "target": TARGET_RSS_MB, "met": rss < TARGET_RSS_MB},
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| concurrency | app | p50 ms | p90 ms | p99 ms | max ms | req/s | server CPU ms/req "
        "| errors | p99 ours/floor |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result["levels"]:
        for name in ("floor", "ours"):
            stats = level[name]
            cells = [
                str(level["concurrency"]),
                name,
                *(f"{stats[key]:.2f}" for key in ("p50_ms", "p90_ms", "p99_ms")),
                f"{stats['max_ms']:.1f}",
                f"{stats['req_per_s']:,.0f}",
                f"{stats['server_cpu_ms_per_request']:.2f}",
                str(stats["errors"]),
                f"{level['p99_ratio']:.2f}" if name == "ours" else "",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    memory = result["memory"]
    targets = result["targets"]
    ratios = ", ".join(
        f"{ratio:.2f} at {level}" for level, ratio in targets["p99_ratio"]["value"].items()
    )
    rows = [
        (
            f"p50 ≤ {TARGET_P50_MS:g} ms at concurrency 1",
            f"{targets['p50_at_1_ms']['value']:.2f} ms",
        ),
        (f"p99 ≤ {TARGET_P99_RATIO:g}× the floor at 16 and 64", ratios),
        (f"idle RSS < {TARGET_RSS_MB:g} MB", f"{targets['idle_rss_mb']['value']} MB"),
    ]
    lines += [
        "",
        f"Idle RSS of `groundline serve`, its web and worker processes added up: "
        f"{memory['ours_idle_rss_mb']} MB, of which the web process "
        f"{memory['ours_idle_rss_web_process_mb']} MB (floor app "
        f"{memory['floor_idle_rss_mb']} MB; ours after the load "
        f"{memory['ours_rss_after_load_mb']} MB).",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for (label, measured), verdict in zip(rows, targets.values(), strict=True):
        lines.append(f"| {label} | {measured} | {'yes' if verdict['met'] else 'no'} |")
    return "\n".join(lines)


def write_doc_section(result: dict[str, Any], interpretation: str) -> None:
    """Replace our section of docs/performance.md (other benches own the other sections)."""
    machine = result["machine"]
    body = (
        f"{SECTION}\n\n"
        "`/align help` over HTTP, signed like Slack signs it, against the floor app in the same "
        "run: a bare Bolt app with one command that only acks (`process_before_response=True`), "
        "served by waitress with the same thread count as `bot/server.py` and waitress's own "
        "defaults otherwise (`bench/floor_app.py`). Both apps and the load "
        "generator are separate processes; the apps alternate in short rounds and each app's "
        "latencies are pooled. Run with `.venv/bin/python bench/ack.py` (`--quick` for a "
        "smaller run); raw figures in `bench/results/ack.json`.\n\n"
        f"Run of {result['when']} ({'quick' if result['quick'] else 'full'}): "
        f"{machine['cpus']} × {machine['cpu'] or 'unknown CPU'}, Python {machine['python']}, "
        f"1-minute load average {machine['load_before']:.1f} before the run; budget "
        f"{result['budget']['count']} requests or {result['budget']['seconds']:g} s per app "
        "and level.\n\n"
        f"{table(result)}\n\n{interpretation.strip()}\n"
    )
    replace_doc_section(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 requests or 6 s per level")
    parser.add_argument(
        "--doc",
        type=Path,
        metavar="NOTES",
        help="also rewrite the Ack latency section of docs/performance.md, with the "
        "interpretation read from the file NOTES",
    )
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="don't measure; reuse bench/results/ack.json (to rewrite the doc section)",
    )
    args = parser.parse_args()
    if args.no_run:
        result = json.loads(RESULTS.read_text())
    else:
        result = run(args.quick)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    if args.doc is not None:
        write_doc_section(result, args.doc.read_text())


if __name__ == "__main__":
    main()
