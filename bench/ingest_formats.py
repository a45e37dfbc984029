"""Every format's ingest at two sizes, ten times apart, against the plain-sqlite3 JSONL baseline
of bench/ingest.py measured in the same run (`bench/ingest.py --formats`).

Each file is a real tool's fixture repeated with new ids (bench/evalfiles.py). Each ingest runs
in a fresh child process through `store_run` (bench/ingest.py's child), so its peak memory is
its own. Memory is flat in file size when the peak at ten times the cases is about the peak at
one time: what grows is only what the run must keep per case (a latency and a cost, 8 bytes
each, and a 64-bit hash per id).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import machine, replace_doc_section
from bench.evalfiles import FORMATS

SECTION = "## Ingest: every format at two sizes (`bench/ingest.py --formats`)"


def measure(small: int, run_child: Any, write_baseline: Any) -> dict[str, Any]:
    """`run_child(kind, data, db)` and `write_baseline(path, rows)` come from bench/ingest.py."""
    sizes = (small, small * 10)
    started = datetime.now(UTC)
    host = machine()
    results: dict[str, Any] = {"sizes": sizes, "formats": {}, "machine": host}
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        work = Path(tmp)
        baseline = work / "baseline.jsonl"
        write_baseline(baseline, sizes[1])
        results["baseline"] = run_child("baseline", baseline, work / "baseline.db")
        baseline.unlink()
        for what, (name, write, fixture) in FORMATS.items():
            runs = []
            for cases in sizes:
                folder = work / f"{len(results['formats'])}-{cases}"
                folder.mkdir()
                data = folder / name
                began = time.perf_counter()
                write(data, cases)
                generated = time.perf_counter() - began
                run = run_child("ours", data, folder / "ours.db")
                run.update(cases=cases, generated_s=round(generated, 1))
                runs.append(run)
                data.unlink()
                (folder / "ours.db").unlink()
            results["formats"][what] = {"fixture": fixture, "runs": runs}
    results["started"] = started.isoformat(timespec="seconds")
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_after"] = machine()["load_before"]
    return results


def render(results: dict[str, Any]) -> str:
    base = results["baseline"]
    small, large = results["sizes"]
    host = results["machine"]
    lines = [
        SECTION,
        "",
        f"Run {results['started']} to {results['finished']} on {host['cpus']} cores "
        f"({host['cpu'] or 'unknown CPU'}), Python {host['python']}; load average "
        f"{host['load_before']:.1f} before and {results['load_after']:.1f} after (the machine "
        "is shared: absolute rows/s move with it, the ratio to the baseline measured in the "
        "same run less so).",
        "",
        f"Baseline: {base['rows']:,} rows of generic JSONL, `json.loads` per line and plain "
        f"`sqlite3` `executemany`: {base['rows_per_s']:,.0f} rows/s, peak {base['peak_rss_mb']:.0f} "
        "MB. Each format below: its real-tool fixture repeated with new ids to "
        f"{small:,} and {large:,} cases, each ingested by `store_run` in a fresh process "
        '(peak = `ru_maxrss`, interpreter and imports included; "before" = RSS just before '
        "the ingest).",
        "",
        f"| format (fixture repeated) | file MB at {small:,} / {large:,} | rows/s at {large:,} | "
        "÷ baseline | file MB/s | peak MB at 1× / 10× (before) | growth per 100k cases |",
        "|---|---|---|---|---|---|---|",
    ]
    for what, entry in results["formats"].items():
        one, ten = entry["runs"]
        growth = (ten["peak_rss_mb"] - one["peak_rss_mb"]) / ((ten["cases"] - one["cases"]) / 1e5)
        lines.append(
            f"| {what} (`{entry['fixture']}`) | {one['file_mb']:.1f} / {ten['file_mb']:.0f} | "
            f"{ten['rows_per_s']:,.0f} | {ten['rows_per_s'] / base['rows_per_s']:.2f} | "
            f"{ten['file_mb'] / ten['seconds']:.0f} | "
            f"{one['peak_rss_mb']:.0f} / {ten['peak_rss_mb']:.0f} ({one['rss_before_mb']:.0f}) | "
            f"{growth:+.1f} MB |"
        )
    lines += [
        "",
        f"The baseline moves {base['file_mb'] / base['seconds']:.0f} file MB/s: its rows are "
        "small (about 150 bytes), while a promptfoo JSONL line carries the prompt, the answer "
        "and every assertion's result (3.8 KB), so rows/s alone undersells the bigger formats. "
        "Memory is flat in file size apart from what a run keeps per case: a latency and a "
        "cost (8 bytes each, for the p95 and the cost spread) and a 64-bit hash per case id "
        "(to refuse or number repeats), together about 100 bytes a case. Two things grew with "
        "the file before this run, and were fixed for it: the Inspect reader let Python's "
        "zipfile build an object per zip member (a member per sample: 203 MB at 200,000 "
        "samples, now 90; bot/ingest/zipdir.py reads only the two members we need), and the "
        "promptfoo, DeepEval, JUnit and score readers kept every case id as a string to number "
        "repeats (promptfoo JSONL: 144 MB, now 103; bot/ingest/case_ids.py keeps hashes).",
        "",
    ]
    return "\n".join(lines)


def write_section(results: dict[str, Any]) -> str:
    table = render(results)
    replace_doc_section(table)
    return table
