"""Ack latency and throughput of `/align help` over HTTP, ours against two floors.

Run: .venv/bin/python bench/ack.py [--quick] [--doc NOTES] [--no-run]

The floors are a bare Bolt app that only acks, under uvicorn (AsyncApp, 2 workers, uvloop,
httptools: the true floor) and under waitress (bench/floor_app.py). Every app and the load
generator are separate processes, so none of them shares a GIL. Writes bench/results/ack.json,
prints a markdown table and rewrites the "Ack latency" section of docs/performance.md.
(Over 300 lines: one run — both clients, the rounds, memory, the report — reads best in one place.)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cgroups  # noqa: E402
from bench.ack_report import APPS, FLOORS, table, verdicts, write_doc_section  # noqa: E402
from bench.common import (  # noqa: E402
    BOT_TOKEN,
    TEAM_ID,
    children_cpu_seconds,
    free_port,
    load_wrk,
    machine,
    pss_mb,
    rss_mb,
    signed_headers,
    slash_command,
    tree_cpu_seconds,
    tree_pss_mb,
    tree_rss_mb,
    wait_until_up,
)

# Re-exported: bench/kickoff.py starts its processes the same way.
from bench.common import PYTHON as PYTHON  # noqa: E402
from bench.common import children as child_pids  # noqa: E402
from bench.common import load as load  # noqa: E402
from bench.common import ours_env as ours_env  # noqa: E402
from bench.common import process as process  # noqa: E402
from bench.stats import Round, pooled_stats, resampled_ratio  # noqa: E402
from bot.localslack.server import LocalSlack  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ack.json"
LEVELS = (1, 16, 64)
GROUNDLINE_SERVE = ["-m", "bot", "serve"]  # what `groundline serve` runs; experiments swap it


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


PAIRED = ("floor", "ours")  # the target's comparison: alternating rounds
REFERENCE = "floor_waitress"  # measured on its own after them


def turns(rounds_of: dict[str, int]) -> list[str]:
    """Who takes which round at one level: ours and the uvicorn floor alternate (A B B A …),
    so noise from the rest of the machine lands on both alike; the waitress floor's rounds
    come after theirs. Interleaved with them it disturbed the app that came next, ours more
    than the floor: at 64 our rounds right after waitress's had a p99 about 1.4× our others',
    though waitress had stopped using CPU within 50 ms of its round (docs/performance.md)."""
    order: list[str] = []
    for number in range(rounds_of["ours"]):
        order += PAIRED if number % 2 == 0 else PAIRED[::-1]
    return order + [REFERENCE] * rounds_of[REFERENCE]


@dataclass
class Turn:
    """One round of one app, whichever client sent it."""

    latencies: Round
    elapsed_s: float
    errors: list[str]
    sent: int  # requests sent, warm-up included: what the server's CPU is spread over
    max_ms: float | None = None  # wrk's own; None: the slowest latency


def level(
    ports: dict[str, int],
    pids: dict[str, int],
    concurrency: int,
    budget: Budget,
    workdir: Path,
) -> dict[str, Any]:
    """One concurrency level: each app's rounds (`turns`) pooled. Server CPU time per
    request is recorded too; other processes barely disturb it."""
    rounds_of = {name: budget.rounds_at(concurrency) for name in PAIRED}
    rounds_of[REFERENCE] = budget.rounds
    if budget.client == "wrk":
        for name in ports:
            load_wrk(ports[name], concurrency, 1, workdir)  # warm-up, unmeasured
    found: dict[str, list[Turn]] = {name: [] for name in ports}
    cpu = dict.fromkeys(ports, 0.0)
    client_cpu = dict.fromkeys(ports, 0.0)
    for name in turns(rounds_of):
        cpu_before = tree_cpu_seconds(pids[name])
        client_before = children_cpu_seconds()
        if budget.client == "wrk":
            found[name].append(wrk_turn(ports[name], concurrency, workdir))
        else:
            found[name].append(loadgen_turn(ports[name], concurrency, budget, rounds_of[name]))
        cpu[name] += tree_cpu_seconds(pids[name]) - cpu_before
        client_cpu[name] += children_cpu_seconds() - client_before
    stats: dict[str, dict[str, Any]] = {}
    for name, taken in found.items():
        sent = max(sum(turn.sent for turn in taken), 1)
        wrk_max = [turn.max_ms for turn in taken if turn.max_ms is not None]
        errors = [kind for turn in taken for kind in turn.errors]
        stats[name] = pooled_stats(
            [turn.latencies for turn in taken],
            sum(turn.elapsed_s for turn in taken),
            len(errors),
            max(wrk_max) if wrk_max else None,
        ) | {
            "error_kinds": sorted(set(errors)),
            "server_cpu_ms_per_request": round(cpu[name] * 1000 / sent, 3),
        }
        if budget.client != "wrk":
            # Includes each load generator's start-up (~0.3 s of imports) over its requests.
            stats[name]["client_cpu_ms_per_request"] = round(client_cpu[name] * 1000 / sent, 3)
    return level_result(
        concurrency, stats, {name: [t.latencies for t in found[name]] for name in PAIRED}
    )


def wrk_turn(port: int, concurrency: int, workdir: Path) -> Turn:
    run = load_wrk(port, concurrency, 1, workdir)
    return Turn(
        Round.of_wrk(run),
        run["elapsed_s"],
        ["wrk error or non-2xx"] * run["errors"],
        run["requests"],
        run["max_ms"],
    )


def loadgen_turn(port: int, concurrency: int, budget: Budget, rounds: int) -> Turn:
    part = load(port, concurrency, budget.count // rounds, budget.seconds / rounds, budget.warmup)
    latencies = sorted(part["latencies_ms"])
    sent = budget.warmup + len(latencies) + len(part["errors"])
    return Turn(Round(latencies, 1.0), part["elapsed_s"], part["errors"], sent)


def level_result(
    concurrency: int, stats: dict[str, dict[str, Any]], paired: dict[str, list[Round]]
) -> dict[str, Any]:
    """A level's figures, with ours over each floor, and for the uvicorn floor how far the p99
    ratio moves when the paired rounds are drawn again (`resampled_ratio`): a p99 of a few
    rounds is a few slow moments."""
    ratios_to: dict[str, dict[str, Any]] = {
        floor: dict(ratios(stats["ours"], stats[floor])) for floor in FLOORS
    }
    ratios_to["floor"] |= {
        "p99_resampled_90": list(resampled_ratio(paired["ours"], paired["floor"], 0.99)),
        "rounds": len(paired["ours"]),
    }
    return {
        "concurrency": concurrency,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        **stats,
        "ratios": ratios_to,
    }


def ratios(ours: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    """Ours over the floor, same run: latencies (lower is better) and throughput (higher)."""
    return {
        "p50": round(ours["p50_ms"] / floor["p50_ms"], 2),
        "p99": round(ours["p99_ms"] / floor["p99_ms"], 2),
        "throughput": round(ours["req_per_s"] / floor["req_per_s"], 2),
    }


@dataclass(frozen=True)
class Budget:
    count: int  # requests per app per concurrency level, split over the rounds
    seconds: float  # time cap per app per level, split the same way
    warmup: int  # unmeasured requests before each round
    rounds: int  # at concurrency 1, where a median is judged
    loaded_rounds: (
        int  # at 16 and 64, where a p99 is: fewer rounds let a few slow moments decide it
    )
    client: str = "python"  # bench/loadgen.py, or "wrk"

    def rounds_at(self, concurrency: int) -> int:
        return self.rounds if concurrency == 1 else self.loaded_rounds


def run(
    quick: bool, ours_env: dict[str, str] | None = None, client: str = "python"
) -> dict[str, Any]:
    if client == "wrk":  # rounds of one second
        budget = Budget(0, 0.0, 0, 2, 4, client) if quick else Budget(0, 0.0, 0, 6, 20, client)
    else:
        budget = (
            Budget(400, 6.0, 30, 2, 2, client) if quick else Budget(2000, 20.0, 50, 4, 8, client)
        )
    with (
        LocalSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        return measure(slack, Path(tmp), budget, ours_env or {}) | {
            "quick": quick,
            "ours_env": ours_env or {},
        }


def measure(
    slack: LocalSlack, workdir: Path, budget: Budget, extra_env: dict[str, str]
) -> dict[str, Any]:
    ports = {name: free_port() for name in APPS}
    env = ours_env(ports["ours"], slack.api_url, workdir) | extra_env
    env["PYTHONPATH"] = str(ROOT)
    commands = {
        name: [PYTHON, str(ROOT / "bench" / "floor_app.py"), stack, str(ports[name]), slack.api_url]
        for name, stack in FLOORS.items()
    }
    commands["ours"] = [PYTHON, *GROUNDLINE_SERVE]
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    before = machine()
    groups = {name: cgroups.new_group(name) for name in commands}
    with ExitStack() as running:
        running.callback(lambda: [cgroups.remove(g) for g in groups.values() if g is not None])
        children = {
            name: running.enter_context(
                process(command, env, workdir, workdir / f"{name}.log", groups[name])
            )
            for name, command in commands.items()
        }
        for name in ports:
            try:
                wait_until_up(ports[name], "/healthz")
            except TimeoutError:
                log = (workdir / f"{name}.log").read_text()[-2000:]
                raise RuntimeError(f"{name} did not start:\n{log}") from None
        for port in ports.values():
            poke(port, 20)
        pids = {name: child.pid for name, child in children.items()}
        settled(pids["ours"])
        settled(pids["floor"])
        memory = {
            "ours_idle_rss_mb": round(tree_rss_mb(pids["ours"]), 1),
            "ours_idle_pss_mb": round(tree_pss_mb(pids["ours"]), 1),
            "ours_idle_processes": processes(pids["ours"]),
            "floor_idle_rss_mb": round(tree_rss_mb(pids["floor"]), 1),
            "floor_idle_pss_mb": round(tree_pss_mb(pids["floor"]), 1),
            "floor_waitress_idle_rss_mb": round(rss_mb(pids["floor_waitress"]), 1),
            "floor_waitress_idle_pss_mb": round(pss_mb(pids["floor_waitress"]), 1),
            # What a container's memory limit would count (None where no cgroup could be made).
            "idle_cgroup_mb": {
                name: None if group is None else cgroups.charged_mb(group)
                for name, group in groups.items()
            },
        }
        levels = [level(ports, pids, concurrency, budget, workdir) for concurrency in LEVELS]
        memory["ours_rss_after_load_mb"] = round(tree_rss_mb(pids["ours"]), 1)
        memory["ours_pss_after_load_mb"] = round(tree_pss_mb(pids["ours"]), 1)
        memory["ours_processes_after_load"] = processes(pids["ours"])
    return {
        "bench": "ack",
        "when": started_at,
        "machine": before,
        "uptime_after": uptime(),
        "budget": asdict(budget),
        "levels": levels,
        "memory": memory,
        "targets": verdicts(levels, memory),
    }


def processes(pid: int) -> list[dict[str, Any]]:
    """Each process of a tree: what it is, its RSS and its PSS."""
    found = []
    for each in [pid, *child_pids(pid)]:
        with open(f"/proc/{each}/comm", encoding="utf-8") as comm:
            name = comm.read().strip()  # serve names its children (bot/worker_process.py)
        role = "supervisor" if each == pid else "worker" if name == "groundline-work" else "web"
        found.append(
            {"role": role, "rss_mb": round(rss_mb(each), 1), "pss_mb": round(pss_mb(each), 1)}
        )
    return found


def settled(pid: int, timeout: float = 20.0) -> None:
    """Wait until a process tree's memory stops growing (serve's worker process loads for a
    second or two after the web process answers), so idle RSS is read once everything is up."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = tree_rss_mb(pid) if child_pids(pid) else -1.0
        if now > 0 and abs(now - last) < 0.2:
            return
        last = now
    raise RuntimeError(f"the memory of process {pid} did not settle in {timeout:g} s")


def uptime() -> str:
    """`uptime`'s line: who else is loading this shared machine."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


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
    parser.add_argument(
        "--ours-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for our serve (experiments); repeatable",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="the load generator: bench/loadgen.py (default) or wrk (apt-get install wrk)",
    )
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.ours_env)
    if args.no_run:
        result = json.loads(args.out.read_text())
    else:
        result = run(args.quick, extra, args.client)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    if args.doc is not None:
        write_doc_section(result, args.doc.read_text())


if __name__ == "__main__":
    main()
