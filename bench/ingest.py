"""Eval ingest at scale: a 1,000,000-row JSONL file and a 50,000-case promptfoo file into SQLite.

Run: .venv/bin/python bench/ingest.py [--quick]; every other format at two sizes:
.venv/bin/python bench/ingest.py --formats [--quick] (bench/ingest_formats.py)

Each ingest runs in a fresh Python process, so its peak memory (`ru_maxrss` from
resource.getrusage, which counts everything the process touched: interpreter, imports, buffers)
belongs to that ingest alone. Ours goes through the real path, `store_run` with an `Upload`, on a
database made by `make_engine` and `upgrade`. The baseline streams the same file with `json.loads`
per line and writes the same columns with plain `sqlite3` `executemany`, into the same schema with
the same pragmas. Writes bench/results/ingest.json and the "Ingest" section of docs/performance.md.
(Over 300 lines: the baseline, ours, the walkers and their doc section belong to one run.)
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "ingest.json"
FORMAT_RESULTS = ROOT / "bench" / "results" / "ingest_formats.json"
SECTION = "## Ingest (bench/ingest.py)"
FIXTURE = ROOT / "tests" / "fixtures" / "evals" / "real" / "promptfoo-v1.json"

from bench.common import replace_doc_section  # noqa: E402

CHUNK_ROWS = 5000
COLUMNS: tuple[str, ...] = (
    "run_id",
    "case_id",
    "passed",
    "errored",
    "latency_ms",
    "cost_usd",
    "label",
    "question",
    "reason",
)
# The first full run, before the fixes in bot/services/evals.py and bot/ingest/ (same script).
BEFORE_FIXES = (
    "Before the fixes (first full run, same script): baseline 133,640 rows/s, ours 44,148 "
    "rows/s (ratio 0.33), ours peaked at 340 MB; promptfoo 50,000 cases in 2.9 s, 91 MB. "
    "cProfile showed three costs: the ORM bulk insert split each 5,000-row batch into many "
    "small executemany calls (it regroups rows whenever their None columns change), "
    "SQLAlchemy's per-row parameter handling, and the per-field readers. Memory went to the "
    "duplicate-id check, which kept every (label, id) pair as strings. Fixes: batches go "
    "straight to the driver's executemany as tuples, inside the session's transaction; "
    "fast paths for plain JSON strings, numbers and booleans; the duplicate check keeps a "
    "64-bit hash per id instead of the strings; promptfoo's repeated descriptions are "
    "numbered without rescanning."
)
QUESTIONS = (
    "How long do refunds take?",
    "How long does shipping take?",
    "Can I change my delivery address after ordering?",
    "Do you ship to Norway?",
)


# -- input files ----------------------------------------------------------------------------
def write_jsonl(path: Path, rows: int) -> None:
    """Generic JSONL: ~5% failures with a reason, ~1% errored, latency and cost on every row."""
    rng = random.Random(4)
    with path.open("w", encoding="utf-8") as out:
        for number in range(rows):
            roll = rng.random()
            row: dict[str, Any] = {
                "id": f"case-{number:07d}",
                "passed": roll >= 0.05,
                "latency_ms": round(rng.uniform(200, 2500), 1),
                "cost_usd": round(rng.uniform(0.001, 0.004), 5),
                "model": "gpt-4o-mini",
                "question": QUESTIONS[number % len(QUESTIONS)],
            }
            if roll < 0.05:
                row["reason"] = "Said five years; the policy says two."
            if roll < 0.01:
                row["error"] = "provider timed out"
            out.write(json.dumps(row) + "\n")


def write_promptfoo(path: Path, cases: int) -> None:
    """A promptfoo results file shaped like the fixture, its 12 results repeated with new ids."""
    document = json.loads(FIXTURE.read_text())
    templates = document["results"]["results"]
    document["results"]["results"] = []
    head, tail = json.dumps(document, indent=2).split('"results": []', 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(head + '"results": [\n')
        for index in range(cases):
            result = copy.deepcopy(templates[index % len(templates)])
            result["id"] = f"bench-{index:06d}"
            result["testIdx"] = index
            test_case = result.get("testCase") or {}
            if test_case.get("description"):
                test_case["description"] = f"{test_case['description']} ({index})"
            out.write(("" if index == 0 else ",\n") + json.dumps(result, indent=2))
        out.write("\n]" + tail)


# -- one ingest per child process -------------------------------------------------------------
def setup_database(db_path: Path) -> tuple[Any, Any, int]:
    """A migrated SQLite file with one feature; returns (engine, session factory, feature id)."""
    from bot.store.db import make_engine, make_session_factory, upgrade
    from bot.store.models import Feature

    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with factory() as session:
        feature = Feature(
            team_id="T0BENCH", name="Bench", slug="bench", channel_id="C0BENCH",
            created_by="U0BENCH", created_at=now, stage="goal", last_activity_at=now,
            nudges_sent=0, timezone="UTC", listening=False,
        )  # fmt: skip
        session.add(feature)
        session.commit()
        return engine, factory, feature.id


def ingest_ours(data: Path, db_path: Path) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.services.evals import Upload, store_run
    from bot.store.models import Feature

    _engine, factory, feature_id = setup_database(db_path)
    before = rss_now_mb()
    started = time.perf_counter()
    with factory() as session, data.open("rb") as stream:
        feature = session.get_one(Feature, feature_id)
        run = store_run(session, SystemClock(), feature, Upload(stream, data.name, "cli"))
        session.commit()
        stored = run.n + run.n_errored
    return {"rows": stored, "seconds": time.perf_counter() - started, "rss_before_mb": before}


def ingest_baseline(data: Path, db_path: Path) -> dict[str, Any]:
    from bot.store.models import EvalRun

    _engine, factory, feature_id = setup_database(db_path)
    with factory() as session:
        run = EvalRun(
            feature_id=feature_id, source="cli", file_format="jsonl", created_at=datetime.now(UTC),
            n=0, n_failed=0, n_errored=0,
        )  # fmt: skip
        session.add(run)
        session.commit()
        run_id = run.id
    _engine.dispose()
    before = rss_now_mb()
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    sql = f"INSERT INTO eval_cases ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    stored = 0
    with data.open("rb") as stream:
        batch: list[tuple[Any, ...]] = []
        for line in stream:
            fields = json.loads(line)
            errored = bool(fields.get("error"))
            batch.append(
                (
                    run_id, fields["id"], None if errored else fields["passed"], errored,
                    fields.get("latency_ms"), fields.get("cost_usd"), fields.get("model"),
                    fields.get("question"), fields.get("error") or fields.get("reason"),
                )
            )  # fmt: skip
            if len(batch) >= CHUNK_ROWS:
                connection.executemany(sql, batch)
                stored += len(batch)
                batch = []
        connection.executemany(sql, batch)
        stored += len(batch)
    connection.commit()
    connection.close()
    return {"rows": stored, "seconds": time.perf_counter() - started, "rss_before_mb": before}


def rss_now_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(kind: str, data: Path, db_path: Path) -> None:
    result = ingest_baseline(data, db_path) if kind == "baseline" else ingest_ours(data, db_path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
    print(json.dumps(result))


def run_child(kind: str, data: Path, db_path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, str(data), str(db_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} ingest failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["file_mb"] = data.stat().st_size / 1e6
    return result


# -- main ------------------------------------------------------------------------------------
def compare_json_walkers(cases: int = 20_000) -> dict[str, Any]:
    """bot/ingest/jsonstream.py against ijson (its C backend) walking promptfoo's results of
    one pretty-printed file in memory, twice each, alternating. ijson is not a dependency of
    ours: `pip install ijson` to run this."""
    import io

    import ijson  # type: ignore[import-not-found, unused-ignore]

    from bot.ingest.jsonstream import JsonStream

    raw = json.loads((ROOT / "tests/fixtures/evals/real/promptfoo.json").read_text())
    results = raw["results"]["results"]
    raw["results"]["results"] = [results[i % len(results)] for i in range(cases)]
    data = json.dumps(raw, indent=2).encode()

    def ours() -> int:
        stream, count = JsonStream(io.BytesIO(data).read, "bench"), 0
        for key in stream.members():
            if key != "results":
                stream.skip()
                continue
            for inner in stream.members():
                if inner != "results":
                    stream.skip()
                    continue
                for _ in stream.items():
                    stream.value()
                    count += 1
        return count

    def theirs() -> int:
        items = ijson.items(io.BytesIO(data), "results.results.item", use_float=True)
        return sum(1 for _ in items)

    seconds: dict[str, list[float]] = {"jsonstream": [], f"ijson ({ijson.backend})": []}
    for _ in range(2):
        for name, walk in zip(seconds, (ours, theirs), strict=True):
            start = time.perf_counter()
            assert walk() == cases
            seconds[name].append(round(time.perf_counter() - start, 3))
    return {"cases": cases, "file_mb": round(len(data) / 1e6, 1), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 rows and 5,000 cases")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DATA", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--walkers", action="store_true", help="jsonstream vs ijson only")
    parser.add_argument(
        "--formats", action="store_true", help="every format at 20,000 and 200,000 cases"
    )
    args = parser.parse_args()
    if args.walkers:
        print(json.dumps(compare_json_walkers(), indent=2))
        return
    if args.formats:
        from bench import ingest_formats

        results = ingest_formats.measure(2_000 if args.quick else 20_000, run_child, write_jsonl)
        FORMAT_RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(ingest_formats.write_section(results))
        return
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    rows, cases = (100_000, 5_000) if args.quick else (1_000_000, 50_000)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        jsonl, promptfoo = work / "cases.jsonl", work / "promptfoo.json"
        write_jsonl(jsonl, rows)
        write_promptfoo(promptfoo, cases)
        # Alternate baseline and ours twice and keep each one's faster run: the host is shared.
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "ours": []}
        for attempt in range(2):
            for kind in ("baseline", "ours"):
                runs[kind].append(run_child(kind, jsonl, work / f"{kind}-{attempt}.db"))
                (work / f"{kind}-{attempt}.db").unlink()
        promptfoo_run = run_child("ours", promptfoo, work / "promptfoo.db")
    best = {kind: max(tries, key=lambda r: r["rows_per_s"]) for kind, tries in runs.items()}
    result: dict[str, Any] = {
        "rows": rows,
        "measure": "ru_maxrss of a fresh child process per ingest (whole process, in MB)",
        "jsonl_baseline": best["baseline"],
        "jsonl_ours": best["ours"],
        "jsonl_all_runs": runs,
        "ratio_ours_to_baseline": best["ours"]["rows_per_s"] / best["baseline"]["rows_per_s"],
        "promptfoo_cases": cases,
        "promptfoo_ours": promptfoo_run,
        "targets": {"ratio_at_least": 0.5, "peak_rss_mb_under": 300},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    table = render(result)
    print(table)
    write_section(table)


def render(result: dict[str, Any]) -> str:
    base, ours, pf = result["jsonl_baseline"], result["jsonl_ours"], result["promptfoo_ours"]
    ratio = result["ratio_ours_to_baseline"]

    def line(what: str, r: dict[str, Any]) -> str:
        return (
            f"| {what} | {r['rows']:,} | {r['file_mb']:.0f} | {r['seconds']:.1f} | "
            f"{r['rows_per_s']:,.0f} | {r['rss_before_mb']:.0f} | {r['peak_rss_mb']:.0f} |"
        )

    ratio_ok = "meets" if ratio >= 0.5 else "misses"
    memory_ok = "meets" if max(ours["peak_rss_mb"], pf["peak_rss_mb"]) < 300 else "misses"
    return "\n".join(
        [
            SECTION,
            "",
            "Each ingest runs in a fresh process on a fresh SQLite file (WAL, synchronous=NORMAL). "
            "Peak memory is the process's `ru_maxrss` (interpreter and imports included); "
            '"before" is its RSS just before the ingest started. JSONL rows: best of two '
            "alternating runs each. Same run, same machine (2 cores, shared and noisy).",
            "",
            "| ingest | rows | file MB | seconds | rows/s | RSS before MB | peak RSS MB |",
            "|---|---|---|---|---|---|---|",
            line("JSONL, plain sqlite3 executemany (baseline)", base),
            line("JSONL, `store_run` (ours)", ours),
            line("promptfoo JSON, `store_run` (ours)", pf),
            "",
            f"Rows per second, ours/baseline: {ratio:.2f} (target ≥ 0.5: {ratio_ok}). "
            f"Peak memory under 300 MB: {memory_ok}.",
            "",
            "What it means: the baseline does the least anyone could (parse each line, insert "
            "it); ours also checks every field, refuses duplicate ids, keeps the latencies for "
            "p50/p95 (8 MB per million) and fills the run's aggregates. Compare the ratio, not "
            "the absolute rows/s: on this shared 2-core host both move together by ±30% from "
            "run to run. Memory stays flat with file size apart from the latencies and one "
            "hash per id (about 100 MB per million rows); the promptfoo file is walked one "
            "result at a time, never held whole.",
            "",
            BEFORE_FIXES,
            "",
        ]
    )


def write_section(table: str) -> None:
    replace_doc_section(table)


if __name__ == "__main__":
    main()
