"""Faults: SIGKILL `groundline serve` while it does the work it acknowledged but had not finished:
a file drop's download and ingest, the language model's reading of a kickoff answer, and a
reframe's wording. Each kind of work must be done exactly once after the restart; Slack's retry
of an event whose work is undone is answered 200 and loses nothing.

Counted from the database, not from Slack's side alone: a result stored by two runs of the job is
a duplicate (two outbox rows, or two eval runs); one outbox row posted twice is a repost (the
outbox's one at-least-once window, as in test_kills.py).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.localopenai.server import LocalOpenAI
from bot.localslack.driver import Delivered
from bot.localslack.server import LocalSlack
from bot.store.models import EvalRun, OutboxMessage
from tests.support.figures import FULL, Figures, Report, backends, scaled
from tests.support.paths import EVAL_FIXTURES
from tests.support.reliability import (
    TRANSPORT_ERRORS,
    Database,
    Serve,
    Thread,
    backend_of,
    wait_thread_ts,
)

SEED = 20241203
TRIALS = scaled(1, 6)
SLOW_SECONDS = 1.5  # how long the download or the model call takes; the kill lands in it
# Our reader cannot place it, so the model is asked; its reading keeps to the reply's numbers
# (7 of 100), so the number guard lets it be shown back.
UNCLEAR = "7 bad ones a day out of 100 chats"
READING = '{"error_rate": 0.07}'


def sent(send: Callable[[], Delivered]) -> Delivered | None:
    try:
        return send()
    except TRANSPORT_ERRORS:
        return None


def kill_during_work(
    serve: Serve,
    database: Database,
    figures: Figures,
    rng: random.Random,
    send: Callable[[], Delivered],
) -> Delivered | None:
    """Deliver, then SIGKILL serve at a random moment of the slow work after the ack, and
    start it again."""
    reply = sent(send)
    timer = serve.kill_later(rng.uniform(0.0, SLOW_SECONDS + 0.3))
    timer.join()
    figures.faults += serve.revive(database)
    return reply


def acknowledged(figures: Figures, *replies: Delivered | None) -> None:
    """The first 200 counts as the ack (a retry's, when the first was cut off)."""
    for reply in replies:
        if reply is not None and reply.status == 200:
            figures.ack(reply.elapsed_ms)
            return
    raise AssertionError(f"never acknowledged: {replies}")


def event_with_kill(
    serve: Serve,
    database: Database,
    figures: Figures,
    rng: random.Random,
    thread: Thread,
    body: bytes,
) -> None:
    """Deliver an event, SIGKILL during its work, then send Slack's retry. Slack retries an
    event whose ack it did not see in time; here always, to show that a retry of work not yet
    done is refused as a duplicate without the work being lost."""
    reply = kill_during_work(serve, database, figures, rng, lambda: thread.send_event(body))
    retry = sent(lambda: thread.send_event(body, retry=1))
    assert retry is not None and retry.status == 200, retry
    figures.requests += 1
    acknowledged(figures, reply, retry)


def outcome(
    figures: Figures,
    database: Database,
    slack: LocalSlack,
    channel: str,
    needle: str,
    *rows_where: object,
) -> None:
    """One reply expected: count its outbox rows (two = the work was done twice) and its
    posts (more posts than rows = reposts)."""
    database.wait_drained(timeout=60)
    rows = database.count(OutboxMessage, OutboxMessage.channel_id == channel, *rows_where)
    said = slack.bot_messages(channel)  # top level and threads
    posts = sum(needle in m.get("text", "") + json.dumps(m.get("blocks")) for m in said)
    figures.lost += rows == 0
    figures.duplicates += max(0, rows - 1)
    figures.reposts += max(0, posts - rows)
    assert rows == 1, f"{rows} outbox rows for {needle!r}"
    assert rows <= posts <= rows + 1, f"{posts} posts say {needle!r}"


@pytest.mark.timeout(1800 if FULL else 120)
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_sigkill_during_work_after_the_ack(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    """Each trial: a kickoff, then a file drop, an answer only the model can read and a
    `/align reframe`, each with a SIGKILL during its slow part."""
    backend = backend_of(database_url)
    drops = report.open("SIGKILL serve during a file drop's download and ingest", backend)
    readings = report.open("SIGKILL serve while the model reads an answer", backend)
    reframes = report.open("SIGKILL serve while a reframe is worded", backend)
    rng = random.Random(SEED)
    spent = [0.0, 0.0, 0.0]
    with LocalOpenAI(default_reply=READING) as model:
        model.delay(SLOW_SECONDS, times=10_000)
        env = {"OPENAI_API_KEY": "sk-local", "OPENAI_BASE_URL": model.base_url}
        serve, database = Serve(database_url, slack, tmp_path, **env), Database(database_url)
        try:
            for trial in range(TRIALS):
                thread = Thread(serve.driver, f"C0AFTER{trial:03d}", f"After-ack trial {trial}")
                drops.ack(thread.kickoff().elapsed_ms)
                feature_id, thread_ts = wait_thread_ts(database, thread.name)
                database.wait_drained()
                started = time.monotonic()
                drop_file(serve, database, drops, rng, thread, (feature_id, thread_ts), trial)
                spent[0] += time.monotonic() - started
                asked, started = len(model.requests), time.monotonic()
                read_answer(serve, database, readings, rng, thread, thread_ts)
                assert len(model.requests) > asked
                spent[1] += time.monotonic() - started
                started = time.monotonic()
                reframe(serve, database, reframes, rng, thread, trial)
                spent[2] += time.monotonic() - started
        finally:
            for figures, seconds in zip((drops, readings, reframes), spent, strict=True):
                report.close(figures)
                figures.seconds = seconds  # each kind's own trials (they take turns)
            database.close()
            serve.stop()
    for figures in (drops, readings, reframes):
        assert figures.lost == 0 and figures.duplicates == 0, figures
        assert figures.reposts <= figures.faults, figures


def drop_file(
    serve: Serve,
    database: Database,
    figures: Figures,
    rng: random.Random,
    thread: Thread,
    kickoff: tuple[int, str],
    trial: int,
) -> None:
    """An eval file in the kickoff thread; the kill lands in its download or its ingest."""
    feature_id, thread_ts = kickoff
    slack = serve.slack
    slack.delay("file_download", SLOW_SECONDS)
    content = (EVAL_FIXTURES / "ours" / "cases.jsonl").read_bytes()
    shared = slack.add_file(f"FDROP{trial:03d}", "cases.jsonl", content, thread.channel, thread_ts)
    event_with_kill(
        serve, database, figures, rng, thread, thread.event_body("", thread_ts, [shared])
    )
    database.wait_drained(timeout=60)
    runs = database.count(EvalRun, EvalRun.feature_id == feature_id)
    figures.lost += runs == 0
    figures.duplicates += max(0, runs - 1)
    assert runs == 1, f"{runs} runs stored for one dropped file"
    said = OutboxMessage.text.contains("New eval run")
    outcome(figures, database, slack, thread.channel, "New eval run", said)


def read_answer(
    serve: Serve,
    database: Database,
    figures: Figures,
    rng: random.Random,
    thread: Thread,
    thread_ts: str,
) -> None:
    """An answer our parser cannot read; the kill lands in the model's (slow) reading."""
    event_with_kill(serve, database, figures, rng, thread, thread.event_body(UNCLEAR, thread_ts))
    needle = f"I read “{UNCLEAR}”"
    said = OutboxMessage.text.contains(needle)
    outcome(figures, database, serve.slack, thread.channel, needle, said)


def reframe(
    serve: Serve,
    database: Database,
    figures: Figures,
    rng: random.Random,
    thread: Thread,
    trial: int,
) -> None:
    """`/align reframe`; the kill lands in the model's wording. Slash commands are not retried
    by Slack, so the kill comes after the ack."""
    claim = f"the model is hallucinating again (trial {trial})"

    def ask() -> Delivered:
        return serve.driver.command("/align", f"reframe {claim}", channel_id=thread.channel)

    reply = kill_during_work(serve, database, figures, rng, ask)
    acknowledged(figures, reply)
    said = OutboxMessage.dedup_key.startswith("reframe:command:")
    outcome(figures, database, serve.slack, thread.channel, claim, said)
