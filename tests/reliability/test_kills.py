"""Faults: SIGKILL `groundline serve` (and `groundline ingest`) at random points, seeded.

Nothing acknowledged may be lost, nothing stored twice, runs stored whole or not at all. A kill
between Slack's answer and marking the outbox row sent may post one message again: counted as
a repost, never hidden.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.localslack.driver import Delivered
from bot.localslack.server import LocalSlack
from bot.store.models import EvalCase, EvalRun
from tests.support.figures import FULL, Figures, Report, backends, scaled
from tests.support.reliability import (
    ANSWERS,
    TITLES,
    TRANSPORT_ERRORS,
    Database,
    Serve,
    Thread,
    backend_of,
    question_counts,
    roots,
    wait_thread_ts,
)

SEED = 20240607
KICKOFF_TRIALS = scaled(1, 10)
INGEST_TRIALS = scaled(1, 6)
UPLOAD_TRIALS = scaled(1, 6)
DELIVERY_TRIALS = scaled(1, 5)
CASES_PER_FILE = 6000


def attempt(send: Callable[[], Delivered]) -> Delivered | None:
    try:
        return send()
    except TRANSPORT_ERRORS:
        return None


def run_with_kill(
    serve: Serve,
    database: Database,
    figures: Figures,
    send: Callable[[int], Delivered],
    kill: float,
) -> Delivered:
    """Send once with a SIGKILL scheduled `kill` s later; then, like Slack, retry until a 200."""
    timer = serve.kill_later(kill)
    reply = attempt(lambda: send(0))
    timer.join()
    if serve.revive(database):
        figures.faults += 1
    for retry in range(1, 4):
        if reply is not None and reply.status == 200:
            break
        reply = attempt(lambda r=retry: send(r))  # type: ignore[misc]
    assert reply is not None and reply.status == 200, reply
    figures.ack(reply.elapsed_ms)
    return reply


@pytest.mark.timeout(1200 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_sigkill_during_kickoffs(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    figures = report.open("SIGKILL serve during kickoffs", backend_of(database_url))
    rng = random.Random(SEED)
    serve, database = Serve(database_url, slack, tmp_path), Database(database_url)
    try:
        for trial in range(KICKOFF_TRIALS):
            kill_step, kill_after = rng.randrange(1 + len(ANSWERS)), rng.uniform(0.0, 0.3)
            thread = Thread(serve.driver, f"C0KILL{trial:03d}", f"Kill trial {trial}")
            for step in range(1 + len(ANSWERS)):
                delay = kill_after if step == kill_step else 3600.0
                send = sender(database, thread, step)
                if step == kill_step:
                    run_with_kill(serve, database, figures, send, delay)
                else:
                    reply = send(0)
                    assert reply.status == 200, reply.body
                    figures.ack(reply.elapsed_ms)
                if step:
                    thread.acknowledged.append(ANSWERS[step - 1])
            check_thread(database, slack, thread, figures)
    finally:
        report.close(figures)
        database.close()
        serve.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.reposts <= figures.faults


def sender(database: Database, thread: Thread, step: int) -> Callable[[int], Delivered]:
    """Step 0 is the /kickoff command; step n delivers answer n (the same event on retries)."""
    if step == 0:
        return lambda _retry: thread.kickoff()
    _, thread_ts = wait_thread_ts(database, thread.name)
    body = thread.event_body(ANSWERS[step - 1], thread_ts)
    return lambda retry: thread.send_event(body, retry)


def check_thread(database: Database, slack: LocalSlack, thread: Thread, figures: Figures) -> None:
    database.wait_drained()
    feature = database.feature(thread.name)
    assert feature is not None and feature.thread_ts is not None
    deadline = time.monotonic() + 30  # events acknowledged may still be in the inbox
    while len(stored := database.answers(feature.id)) < len(ANSWERS) < 99:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    database.wait_drained()
    feature = database.feature(thread.name)
    assert feature is not None and feature.thread_ts is not None
    figures.lost += sum(1 for text in thread.acknowledged if text not in stored)
    figures.duplicates += len(stored) - len(set(stored))
    assert stored == ANSWERS, stored
    assert feature.stage == "review"
    counts = question_counts(slack, thread.channel, feature.thread_ts)
    assert all(n >= 1 for n in counts.values()), counts
    assert all(n <= 2 for n in counts.values()), counts  # at most one repost per message
    figures.reposts += sum(n - 1 for n in counts.values())
    figures.reposts += roots(slack, thread.channel, thread.name) - 1


def big_results_file(folder: Path, rows: int, trial: int) -> Path:
    """Each trial's file is its own content: the same content twice is one run (issue 13), and
    every acknowledged upload here must be a run of its own."""
    path = folder / f"many_cases-{trial}.jsonl"
    with path.open("w") as handle:
        for i in range(rows):
            case = {"id": f"t{trial}-case-{i}", "passed": i % 7 != 0, "latency_ms": 200 + i % 900}
            handle.write(json.dumps({**case, "cost_usd": 0.001 + (i % 5) / 1000}) + "\n")
    return path


def runs_are_whole(database: Database) -> tuple[int, list[int]]:
    """Number of runs whose stored case count differs from their own totals, and run ids."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    with Session(database.engine) as session:
        runs = list(session.scalars(select(EvalRun)))
        broken = sum(
            1
            for run in runs
            if database.count(EvalCase, EvalCase.run_id == run.id) != run.n + run.n_errored
        )
        return broken, [run.id for run in runs]


def ingest_feature(serve: Serve, database: Database) -> str:
    thread = Thread(serve.driver, "C0INGEST", "Ingest target")
    assert thread.kickoff().status == 200
    wait_thread_ts(database, thread.name)
    return "ingest-target"


@pytest.mark.timeout(900 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_sigkill_during_ingests(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    cli = report.open("SIGKILL `groundline ingest` (CLI)", backend_of(database_url))
    api = report.open("SIGKILL serve during HTTP upload", backend_of(database_url))
    rng = random.Random(SEED + 1)
    serve, database = Serve(database_url, slack, tmp_path), Database(database_url)
    acknowledged = 0
    try:
        slug = ingest_feature(serve, database)
        env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
        for trial in range(INGEST_TRIALS):
            results = big_results_file(tmp_path, CASES_PER_FILE, trial)
            command = [sys.executable, "-m", "bot", "ingest", str(results), "--feature", slug]
            started = time.perf_counter()
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            try:
                process.wait(timeout=rng.uniform(0.5, 3.0))
            except subprocess.TimeoutExpired:
                process.kill()
                cli.faults += 1
            process.communicate(timeout=60)
            cli.ack((time.perf_counter() - started) * 1000)
            acknowledged += process.returncode == 0
        token_reply = serve.driver.command("/align", f"token {slug}", channel_id="C0INGEST")
        token = next(w.strip("`") for w in token_reply.json()["text"].split() if "gl_" in w)
        for trial in range(UPLOAD_TRIALS):
            body = big_results_file(tmp_path, CASES_PER_FILE, INGEST_TRIALS + trial).read_bytes()
            timer = serve.kill_later(rng.uniform(0.05, 1.5))
            status, elapsed = upload(serve.process.url, slug, token, body)
            timer.join()
            if serve.revive(database):
                api.faults += 1
            api.ack(elapsed)
            acknowledged += status == 201
        broken, run_ids = runs_are_whole(database)
        for figures in (cli, api):
            figures.duplicates = 0
        cli.lost = max(0, acknowledged - len(run_ids))
        assert broken == 0, f"{broken} runs stored in part"
        assert len(run_ids) >= acknowledged
    finally:
        report.close(cli)
        report.close(api)
        database.close()
        serve.stop()
    assert cli.lost == 0


def upload(base: str, slug: str, token: str, body: bytes) -> tuple[int, float]:
    url = f"{base}/api/v1/features/{slug}/eval-runs?name=many_cases.jsonl"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
    except TRANSPORT_ERRORS:
        status = 0
    return status, (time.perf_counter() - started) * 1000


@pytest.mark.timeout(900 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_sigkill_while_slack_is_answering_a_post(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    figures = report.open("SIGKILL serve mid chat.postMessage", backend_of(database_url))
    rng = random.Random(SEED + 2)
    serve, database = Serve(database_url, slack, tmp_path), Database(database_url)
    try:
        for trial in range(DELIVERY_TRIALS):
            thread = Thread(serve.driver, f"C0POST{trial:03d}", f"Delivery trial {trial}")
            reply = thread.kickoff()
            figures.ack(reply.elapsed_ms)
            _, thread_ts = wait_thread_ts(database, thread.name)
            database.wait_drained()
            time.sleep(1.0)  # past the channel's pacing, so the next post starts at once
            slack.delay("chat.postMessage", 1.5)
            reply = thread.send_event(thread.event_body(ANSWERS[0], thread_ts))
            assert reply.status == 200
            figures.ack(reply.elapsed_ms)
            thread.acknowledged.append(ANSWERS[0])
            timer = serve.kill_later(rng.uniform(0.2, 1.3))
            timer.join()
            figures.faults += serve.revive(database)
            database.wait_drained()
            time.sleep(1.6)  # let the delayed call land in the stand-in
            feature = database.feature(thread.name)
            assert feature is not None
            stored = database.answers(feature.id)
            figures.lost += stored != [ANSWERS[0]]
            counts = question_counts(slack, thread.channel, thread_ts)
            assert counts[TITLES[0]] == 1 and 1 <= counts[TITLES[1]] <= 2, counts
            figures.reposts += counts[TITLES[1]] - 1
            figures.duplicates += roots(slack, thread.channel, thread.name) - 1
    finally:
        report.close(figures)
        database.close()
        serve.stop()
    assert figures.lost == 0 and figures.duplicates == 0
    assert figures.reposts <= figures.faults
