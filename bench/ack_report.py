"""bench/ack.py's verdicts against the targets, its markdown table and its section of
docs/performance.md."""

from __future__ import annotations

from typing import Any

from bench.common import replace_doc_section

SECTION = "## Ack latency (bench/ack.py)"
FLOORS = {"floor": "uvicorn", "floor_waitress": "waitress"}  # app name -> bench/floor_app.py stack
APPS = (*FLOORS, "ours")
TARGET_P50_RATIO = 2.0  # at concurrency 1, against the uvicorn floor
TARGET_P99_RATIO = 1.3  # at 16 and 64
TARGET_THROUGHPUT_RATIO = 0.7  # at 16 and 64
TARGET_RSS_MB = 150.0  # the target as written: resident memory, serve's processes added up


def verdicts(levels: list[dict[str, Any]], memory: dict[str, Any]) -> dict[str, Any]:
    """Against the uvicorn floor: p50 at 1, p99 and throughput at 16 and 64; idle memory."""
    single = levels[0]["ratios"]["floor"]["p50"]
    loaded = [level for level in levels if level["concurrency"] > 1]
    p99 = {str(level["concurrency"]): level["ratios"]["floor"]["p99"] for level in loaded}
    rate = {str(level["concurrency"]): level["ratios"]["floor"]["throughput"] for level in loaded}
    rss = memory["ours_idle_rss_mb"]
    # Summed RSS counts every page the forked web processes share once per process; PSS
    # counts it once in all. Both are judged against the same number and reported side by side.
    pss = memory.get("ours_idle_pss_mb", rss)
    return {
        "p50_ratio_at_1": {
            "value": single,
            "target": TARGET_P50_RATIO,
            "met": single <= TARGET_P50_RATIO,
        },
        "p99_ratio": {
            "value": p99,
            "target": TARGET_P99_RATIO,
            "met": all(ratio <= TARGET_P99_RATIO for ratio in p99.values()),
        },
        "throughput_ratio": {
            "value": rate,
            "target": TARGET_THROUGHPUT_RATIO,
            "met": all(ratio >= TARGET_THROUGHPUT_RATIO for ratio in rate.values()),
        },
        "idle_rss_mb": {"value": rss, "target": TARGET_RSS_MB, "met": rss < TARGET_RSS_MB},
        "idle_pss_mb": {"value": pss, "target": TARGET_RSS_MB, "met": pss < TARGET_RSS_MB},
    }


LABELS = {"floor": "floor (uvicorn)", "floor_waitress": "floor (waitress)", "ours": "ours"}


def table(result: dict[str, Any]) -> str:
    lines = [
        "| concurrency | app | p50 ms | p90 ms | p99 ms | max ms | req/s | server CPU ms/req "
        "| errors | ours/uvicorn floor p50, p99 (rounds redrawn), req/s "
        "| ours/waitress floor p50, p99, req/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for level in result["levels"]:
        for name in APPS:
            stats = level[name]
            cells = [
                str(level["concurrency"]),
                LABELS[name],
                *(f"{stats[key]:.2f}" for key in ("p50_ms", "p90_ms", "p99_ms")),
                f"{stats['max_ms']:.1f}",
                f"{stats['req_per_s']:,.0f}",
                f"{stats['server_cpu_ms_per_request']:.2f}",
                str(stats["errors"]),
            ]
            for floor in FLOORS:
                r = level["ratios"][floor]
                cells.append(
                    f"{r['p50']:.2f}, {r['p99']:.2f}{redrawn(r)}, {r['throughput']:.2f}"
                    if name == "ours"
                    else ""
                )
            lines.append("| " + " | ".join(cells) + " |")
    memory = result["memory"]
    targets = result["targets"]

    def per_level(key: str) -> str:
        return ", ".join(f"{ratio:.2f} at {at}" for at, ratio in targets[key]["value"].items())

    loaded = [level for level in result["levels"] if level["concurrency"] > 1]
    p99_redrawn = "; ".join(
        f"{redrawn(level['ratios']['floor']).strip(' ()')} at {level['concurrency']}"
        for level in loaded
        if "p99_resampled_90" in level["ratios"]["floor"]
    )

    rows = [
        (
            f"p50 ≤ {TARGET_P50_RATIO:g}× the uvicorn floor's at concurrency 1",
            f"{targets['p50_ratio_at_1']['value']:.2f}",
        ),
        (
            f"p99 ≤ {TARGET_P99_RATIO:g}× the uvicorn floor's at 16 and 64",
            per_level("p99_ratio")
            + (f" (rounds redrawn, 90% of draws: {p99_redrawn})" if p99_redrawn else ""),
        ),
        (
            f"req/s ≥ {TARGET_THROUGHPUT_RATIO:g}× the uvicorn floor's at 16 and 64",
            per_level("throughput_ratio"),
        ),
        (
            f"idle RSS < {TARGET_RSS_MB:g} MB (the target as written; processes summed)",
            f"{targets['idle_rss_mb']['value']} MB",
        ),
        (
            f"idle PSS < {TARGET_RSS_MB:g} MB (shared pages counted once)",
            f"{targets['idle_pss_mb']['value']} MB",
        ),
    ]
    each = ", ".join(
        f"{process['role']} {process['rss_mb']} / {process['pss_mb']}"
        for process in memory.get("ours_idle_processes", [])
    )
    lines += [
        "",
        f"Idle memory of `groundline serve`, its processes added up: RSS "
        f"{memory['ours_idle_rss_mb']} MB, PSS {memory.get('ours_idle_pss_mb', '–')} MB "
        f"(each process, RSS / PSS MB: {each}). Uvicorn floor, its processes added up: RSS "
        f"{memory['floor_idle_rss_mb']} MB, PSS {memory.get('floor_idle_pss_mb', '–')} MB; "
        f"waitress floor RSS {memory['floor_waitress_idle_rss_mb']} MB, PSS "
        f"{memory.get('floor_waitress_idle_pss_mb', '–')} MB; ours after the load RSS "
        f"{memory['ours_rss_after_load_mb']} MB, PSS {memory.get('ours_pss_after_load_mb', '–')}"
        " MB.",
        *charged_line(memory.get("idle_cgroup_mb") or {}),
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for (label, measured), verdict in zip(rows, targets.values(), strict=True):
        lines.append(f"| {label} | {measured} | {'yes' if verdict['met'] else 'no'} |")
    return "\n".join(lines)


def redrawn(ratios: dict[str, Any]) -> str:
    """The middle 90% of a p99 ratio when the level's rounds are drawn again with replacement
    (bench/stats.py `resampled_ratio`); runs before it have none."""
    if "p99_resampled_90" not in ratios:
        return ""
    low, high = ratios["p99_resampled_90"]
    return f" ({low:.2f}–{high:.2f})"


def budget_words(budget: dict[str, Any]) -> str:
    if budget.get("client") == "wrk":
        if budget.get("seconds"):  # runs before the rounds: one timed turn per app and level
            return f"client wrk (2 threads), {budget['seconds'] / 2:g} s per app and level"
        return f"client wrk (2 threads), rounds of 1 s per app: {rounds_words(budget)}"
    return (
        f"client bench/loadgen.py, {budget['count']} requests or {budget['seconds']:g} s per "
        f"app and level, in rounds: {rounds_words(budget)}"
    )


def rounds_words(budget: dict[str, Any]) -> str:
    if "loaded_rounds" not in budget:  # older runs: one count, the three apps in turn
        return f"{budget['rounds']} per level, all three apps in turn"
    return (
        f"ours and the uvicorn floor alternate, {budget['rounds']} rounds each at concurrency 1 "
        f"and {budget['loaded_rounds']} at 16 and at 64; then the waitress floor, "
        f"{budget['rounds']} at each"
    )


def write_doc_section(result: dict[str, Any], interpretation: str) -> None:
    """Replace our section of docs/performance.md (other benches own the other sections)."""
    machine = result["machine"]
    body = (
        f"{SECTION}\n\n"
        "`/align help` over HTTP, signed like Slack signs it, against two floors in the same "
        "run: a bare Bolt app with one command that only acks (`process_before_response=True`), "
        "as Bolt's `AsyncApp` under uvicorn with 2 worker processes, uvloop and httptools (the "
        "true floor), and as Bolt's `App` under waitress with 8 threads "
        "(`bench/floor_app.py`). Every app and the load generator are separate processes; ours "
        "and the uvicorn floor take turns in short rounds, the waitress floor's rounds come "
        "after theirs, and each app's rounds are pooled (with wrk, rounds of one second, each "
        "round's 1,000 quantiles weighted by its requests). Run with "
        "`.venv/bin/python bench/ack.py` (`--quick` for a smaller run); raw figures in "
        "`bench/results/ack.json`.\n\n"
        f"Run of {result['when']} ({'quick' if result['quick'] else 'full'}): "
        f"{machine['cpus']} × {machine['cpu'] or 'unknown CPU'}, Python {machine['python']}, "
        f"1-minute load average {machine['load_before']:.1f} before the run, niceness "
        f"{machine.get('niceness', 0)} "
        f"(`uptime` after it: {result.get('uptime_after') or 'not read'}); "
        f"{budget_words(result['budget'])}.\n\n"
        f"{table(result)}\n\n{interpretation.strip()}\n"
    )
    replace_doc_section(body)


def charged_line(charged: dict[str, dict[str, float] | None]) -> list[str]:
    """Each app's idle memory as a container's limit counts it (bench/cgroups.py)."""
    known = {name: figures for name, figures in charged.items() if figures}
    if not known:
        return []
    each = "; ".join(
        f"{LABELS.get(name, name)} {figures['anon_mb'] + figures['file_mb']:.1f} MB "
        f"({figures['anon_mb']} anonymous)"
        for name, figures in known.items()
    )
    return [
        "",
        f"Charged to a memory cgroup of each app's own at idle (what a container's limit "
        f"counts; each page once): {each}.",
    ]
