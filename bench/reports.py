"""Reports: building one costs the same whatever the runs hold, and delivery keeps up.

Run: .venv/bin/python bench/reports.py [--quick]

(a) One feature with 50 eval runs, first holding 100 cases each, then 100,000 each (5 million
case rows): the time to build its report (`bot.jobs.reports.render_report`, the function
`queue_report` calls) must not grow with the cases, because run aggregates are stored at ingest.
(b) 1,000 reports due at once for 1,000 features in 1,000 channels: the scheduled tick queues
them and one outbox worker (pacing 1 post/s/channel) posts them to the Slack stand-in. With one
post per channel the per-channel pacing allows all 1,000 within the first second, so the bound
that binds is the transport: chat.postMessage calls to the same stand-in made back to back by the
same kind of client, with no database. Delivery is compared against that rate.

Writes bench/results/reports.json and the "Reports" section of docs/performance.md.
(Just over 300 lines: both measurements and their doc section belong to one run.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, func, insert, select  # noqa: E402

from bench.common import free_port, replace_doc_section  # noqa: E402
from bot.app import make_web_client  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.domain.checklist import AGREED  # noqa: E402
from bot.jobs.delivery import DeliveryWorker  # noqa: E402
from bot.jobs.due_reports import post_due_reports  # noqa: E402
from bot.jobs.reports import render_report  # noqa: E402
from bot.localslack.server import LocalSlack  # noqa: E402
from bot.store.db import make_engine, make_session_factory, upgrade  # noqa: E402
from bot.store.models import (  # noqa: E402
    EvalCase,
    EvalRun,
    Feature,
    OutboxMessage,
    Report,
    TargetVersion,
)

RESULTS = ROOT / "bench" / "results" / "reports.json"
SECTION = "## Reports (bench/reports.py)"
TEAM = "T0LOCAL"
TOKEN = "xoxb-bench"
NOW = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # a Monday, just after 09:00 UTC
TARGETS = {"max_error_rate": 0.1, "max_latency_p95_ms": 2000.0, "max_cost_per_query_usd": 0.01}
RUNS = 50
WARM_UP = 5  # builds not timed: first queries compile and fill caches


def make_deps(database_url: str, slack_url: str = "http://127.0.0.1:9/api/") -> Deps:
    engine = make_engine(database_url)
    upgrade(engine)
    settings = Settings(
        _env_file=None, DATABASE_URL=database_url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack_url
    )
    return Deps(
        settings=settings, session_factory=make_session_factory(engine), clock=ManualClock(NOW)
    )


def new_feature(number: int, channel: str) -> Feature:
    feature = Feature(
        team_id=TEAM,
        name=f"Feature {number}",
        slug=f"feature-{number}",
        channel_id=channel,
        created_by="U0PM",
        created_at=NOW - timedelta(days=30),
        stage=AGREED,
        last_activity_at=NOW - timedelta(days=30),
        nudges_sent=0,
        timezone="UTC",
        timezone_checked=True,
        listening=False,
    )
    feature.target_versions.append(
        TargetVersion(
            version=1,
            status="agreed",
            values_json=TARGETS,
            created_at=NOW - timedelta(days=30),
            agreed_at=NOW - timedelta(days=29),
        )
    )
    return feature


def add_runs(deps: Deps, feature_id: int, cases_per_run: int) -> None:
    """50 runs with aggregates as ingest stores them, and every case row behind them."""
    with deps.session_factory() as session:
        for number in range(RUNS):
            failed = cases_per_run * (8 + number % 5) // 100
            run = EvalRun(
                feature_id=feature_id,
                label=f"model-{number % 3}",
                source="cli",
                file_format="jsonl",
                metric="pass",
                created_at=NOW - timedelta(days=RUNS - number),
                n=cases_per_run,
                n_failed=failed,
                n_errored=0,
                failure_rate=failed / cases_per_run,
                ci_low=max(failed / cases_per_run - 0.02, 0.0),
                ci_high=failed / cases_per_run + 0.02,
                latency_p50_ms=800.0,
                latency_p95_ms=1500.0 + number,
                cost_per_query_usd=0.004,
            )
            session.add(run)
            session.flush()
            step = max(cases_per_run // max(failed, 1), 1)
            rows = [
                {
                    "run_id": run.id,
                    "case_id": f"case-{i:06d}",
                    "passed": not (i % step == 0 and i // step < failed),
                    "errored": False,
                    "latency_ms": 700.0 + i % 900,
                    "cost_usd": 0.004,
                }
                for i in range(cases_per_run)
            ]
            for start in range(0, len(rows), 50_000):
                session.execute(
                    insert(cast(Table, EvalCase.__table__)), rows[start : start + 50_000]
                )
            session.commit()


def time_report(deps: Deps, feature_id: int) -> float:
    """Milliseconds to build the report once, from a fresh session (nothing cached)."""
    with deps.session_factory() as session:
        feature = session.get(Feature, feature_id)
        assert feature is not None
        started = time.perf_counter()
        render_report(deps, feature, session)
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed * 1000


def bench_build(workdir: Path, big: int, repeats: int) -> dict[str, Any]:
    stores: dict[int, tuple[Deps, int]] = {}
    for cases in (100, big):
        deps = make_deps(f"sqlite:///{workdir}/build-{cases}.db")
        with deps.session_factory() as session:
            feature = new_feature(1, "C0BUILD")
            session.add(feature)
            session.commit()
            stores[cases] = (deps, feature.id)
        started = time.perf_counter()
        add_runs(deps, feature.id, cases)
        print(f"  {RUNS} runs x {cases:,} cases stored in {time.perf_counter() - started:.1f} s")
    # Both stores warmed up, then timed in turns, so neither gains from going second.
    samples: dict[int, list[float]] = {cases: [] for cases in stores}
    for attempt in range(repeats + WARM_UP):
        for cases, (deps, feature_id) in stores.items():
            elapsed = time_report(deps, feature_id)
            if attempt >= WARM_UP:
                samples[cases].append(elapsed)
    results = {
        str(cases): {
            "median_ms": statistics.median(times),
            "p90_ms": statistics.quantiles(times, n=10)[-1],
        }
        for cases, times in samples.items()
    }
    return {
        "runs": RUNS,
        "cases_per_run": [100, big],
        "build": results,
        "ratio": results[str(big)]["median_ms"] / results["100"]["median_ms"],
        "target_ratio": 1.5,
    }


def serve_standin(port: int, ready: Any, stop: Any) -> None:
    """The Slack stand-in in its own process, so it does not share our GIL."""
    with LocalSlack(bot_token=TOKEN, team_id=TEAM, port=port):
        ready.set()
        stop.wait()


def bench_delivery(workdir: Path, reports: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    port = free_port()
    standin = context.Process(target=serve_standin, args=(port, ready, stop), daemon=True)
    standin.start()
    try:
        if not ready.wait(30):
            raise TimeoutError("the Slack stand-in did not start")
        return _deliver_all(workdir, reports, f"http://127.0.0.1:{port}/api/")
    finally:
        stop.set()
        standin.join(10)


def _deliver_all(workdir: Path, reports: int, api_url: str) -> dict[str, Any]:
    deps = make_deps(f"sqlite:///{workdir}/delivery.db", api_url)
    client = make_web_client(deps)
    with deps.session_factory() as session:
        for number in range(reports):
            session.add(new_feature(number, f"C0DUE{number:04d}"))
        session.commit()
    started = time.perf_counter()
    queued = post_due_reports(deps)
    queue_seconds = time.perf_counter() - started
    assert queued == reports, queued

    # The transport bound: the same client posting the same report message back to back to
    # as many channels, with no database and no outbox.
    with deps.session_factory() as session:
        sample = session.scalars(select(OutboxMessage).limit(1)).one()
        text, blocks = sample.text, sample.blocks_json
    started = time.perf_counter()
    for number in range(reports):
        client.chat_postMessage(channel=f"C0RAW{number:04d}", text=text, blocks=blocks)
    raw_rate = reports / (time.perf_counter() - started)

    worker = DeliveryWorker(deps, lambda team: client, pace_seconds=1.0)
    started = time.perf_counter()
    worker.drain(max_seconds=600)
    deliver_seconds = time.perf_counter() - started
    with deps.session_factory() as session:
        posted = session.scalar(
            select(func.count()).select_from(Report).where(Report.status == "posted")
        )
    rate = reports / deliver_seconds
    bound = min(reports / 1.0, raw_rate)  # pacing allows every channel's one post in 1 s
    return {
        "reports": reports,
        "channels": reports,
        "posted": posted,
        "queue_seconds": queue_seconds,
        "deliver_seconds": deliver_seconds,
        "posts_per_second": rate,
        "pacing_bound_per_second": reports / 1.0,
        "transport_bound_per_second": raw_rate,
        "bound_per_second": bound,
        "share_of_bound": rate / bound,
        "target_share": 0.9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases and 200 reports")
    parser.add_argument("--doc-only", action="store_true", help="rewrite the docs from results")
    args = parser.parse_args()
    if args.doc_only:
        write_section(section(json.loads(RESULTS.read_text())))
        return
    big, reports, repeats = (10_000, 200, 10) if args.quick else (100_000, 1_000, 30)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print("(a) building a report")
        build = bench_build(workdir, big, repeats)
        print(f"  ratio {build['ratio']:.2f}")
        print("(b) delivering due reports")
        delivery = bench_delivery(workdir, reports)
        print(f"  {delivery['posts_per_second']:.0f}/s, {delivery['share_of_bound']:.0%} of bound")
    result = {"quick": args.quick, "build": build, "delivery": delivery}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_section(section(result))


def section(result: dict[str, Any]) -> str:
    build, delivery = result["build"], result["delivery"]
    small, big = build["cases_per_run"]
    rows = "\n".join(
        f"| {RUNS} runs × {cases:,} cases | {build['build'][str(cases)]['median_ms']:.1f} ms "
        f"| {build['build'][str(cases)]['p90_ms']:.1f} ms |"
        for cases in (small, big)
    )
    return "\n".join(
        [
            SECTION,
            "",
            "SQLite, one process. Building one feature's report (`render_report`, what the",
            "schedule and `groundline report --post` both run):",
            "",
            "| Feature holds | median | p90 |",
            "|---|---|---|",
            rows,
            "",
            f"Ratio big/small: {build['ratio']:.2f} (target ≤ 1.5, "
            f"{'met' if build['ratio'] <= build['target_ratio'] else 'missed'}). Run aggregates",
            "are stored at ingest, so a report reads 50 run rows; the one query on cases (a few",
            "failing case ids of the latest run) uses the index on (run, passed, case).",
            "",
            f"Delivery of {delivery['reports']:,} reports due at once, one per channel: queued by",
            f"the tick in {delivery['queue_seconds']:.1f} s, posted by one outbox worker in "
            f"{delivery['deliver_seconds']:.1f} s = {delivery['posts_per_second']:.0f} posts/s.",
            "The bound is the lower of two: pacing (1 post/s per channel, so all",
            f"{delivery['reports']:,} channels in the first second = "
            f"{delivery['pacing_bound_per_second']:.0f}/s) and the transport (the same client",
            "posting to the same stand-in back to back with no database: "
            f"{delivery['transport_bound_per_second']:.0f}/s).",
            f"Delivery reaches {delivery['share_of_bound']:.0%} of "
            f"{delivery['bound_per_second']:.0f}/s (target ≥ 90%, "
            f"{'met' if delivery['share_of_bound'] >= delivery['target_share'] else 'missed'}).",
            "The worker claims the head message of up to 100 channel queues, sends them side by",
            "side (16 threads) outside any transaction, and records every outcome in one",
            "transaction with one flush.",
            "Real Slack is far slower than the stand-in (and limits a workspace to a few hundred",
            "posts a minute), so against Slack the worker is never the bottleneck.",
            "",
        ]
    )


def write_section(table: str) -> None:
    replace_doc_section(table)


if __name__ == "__main__":
    main()
