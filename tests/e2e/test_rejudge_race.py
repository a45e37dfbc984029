"""A run being ingested while someone changes what counts as a wrong answer: the run is judged
by exactly one choice, the one in force when it is stored, and says which (its checks record
carries the choice's version). Whichever commits first, once the press's recount has run every
stored run, the new one included, counts the same checks as the feature's choice.

The ingest is the CLI's path (`evals.store_run` in its own transaction), held halfway through
reading the file; the press goes through signed HTTP, as a person's would. On PostgreSQL the
press commits while the ingest is held (the race as it happens between two processes); on SQLite
the ingest holds the database's write lock, so the press waits for it and recounts after.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.services import evals
from bot.store.models import EvalCase, EvalRun, Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, PM, run_cli, start_feature
from tests.support.paths import EVAL_FIXTURES

FILE = EVAL_FIXTURES / "real" / "promptfoo.json"  # 81 KB: read on after the 64 KB sniff
HOLD_AFTER = 70_000  # bytes: past the sniff, so the run row is already written


def first_run(bot: BotUnderTest) -> dict[str, Any]:
    """A feature with one promptfoo run stored by the CLI, and the thread's list of its checks."""
    feature = start_feature(bot)
    cli = run_cli(bot, "ingest", str(FILE), "--feature", "support-answers")
    assert cli.returncode == 0, cli.stderr
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        for message in bot.slack.bot_messages(CHANNEL, str(feature.thread_ts)):
            if str(message.get("text", "")).startswith("Checks in this file"):
                return message
        time.sleep(0.05)
    raise AssertionError("the thread never listed the run's checks")


class HeldStream(io.BytesIO):
    """A file that stops being readable halfway until `go` is set (a slow disk, a slow client)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.held = threading.Event()
        self.go = threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= HOLD_AFTER and not self.go.is_set():
            self.held.set()
            self.go.wait(timeout=30)
        return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def ingest_held(bot: BotUnderTest, feature_id: int, stream: HeldStream, errors: list[str]) -> None:
    try:
        with bot.session() as session:
            feature = session.get_one(Feature, feature_id)
            upload = evals.Upload(stream, Path(FILE).name, "cli", label="held")
            evals.store_run(session, bot.runtime.deps.clock, feature, upload)
    except Exception as exc:  # reported by the test, not swallowed
        errors.append(repr(exc))


def test_a_run_ingested_while_the_choice_changes_is_judged_by_one_choice(
    bot: BotUnderTest,
) -> None:
    listing = first_run(bot)
    with bot.session() as session:
        feature_id = session.scalars(select(Feature.id)).one()
    stream, errors = HeldStream(FILE.read_bytes()), []
    ingest = threading.Thread(target=ingest_held, args=(bot, feature_id, stream, errors))
    ingest.start()
    assert stream.held.wait(timeout=15), "the ingest never reached the middle of the file"

    pressed: list[int] = []
    presser = threading.Thread(
        target=lambda: pressed.append(
            bot.driver.press(listing, label="Count length", user=PM).status
        )
    )
    presser.start()
    presser.join(timeout=1)  # PostgreSQL: done; SQLite: waiting for the ingest's write lock
    if pressed:  # its recount starts now, while the held run is not yet stored
        bot.runtime.deps.inbox_ready.set()
        time.sleep(0.5)
    stream.go.set()
    ingest.join(timeout=30)
    presser.join(timeout=30)
    assert errors == [] and pressed == [200], (errors, pressed)
    bot.settle()

    with bot.session() as session:
        feature = session.get_one(Feature, feature_id)
        chosen = set(feature.wrong_checks_json["checks"])
        assert "length" in chosen
        runs = list(session.scalars(select(EvalRun).order_by(EvalRun.id)))
        assert [run.label for run in runs][-1] == "held"
        for run in runs:
            record = run.checks_json
            counted = {c["name"] for c in record["checks"] if c["counted"]}
            assert counted == chosen, (run.id, counted, chosen)
            assert record["choice_version"] == feature.wrong_choice_version, run.id
            wrong = session.scalar(
                select(func.count())
                .select_from(EvalCase)
                .where(EvalCase.run_id == run.id, EvalCase.passed.is_(False))
                .where(EvalCase.errored.is_(False))
            )
            assert run.n_failed == wrong == 4, (run.id, run.n_failed, wrong)
