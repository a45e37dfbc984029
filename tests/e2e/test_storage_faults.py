"""When the database cannot take writes — a full disk, a read-only file system, a read-only
PostgreSQL — `/healthz` says 503 and every reply is true: a command that stored nothing says
so, a message event we could not store gets a 500 so that Slack delivers it again, and once
the fault is gone everything works again. The faults are real: a size-limited tmpfs filled to
the last byte, the same tmpfs remounted read-only (both need root, as the tests run here and in
CI), and PostgreSQL's own `default_transaction_read_only`. (A PostgreSQL server whose disk is
full is not produced here; its refusal, SQLSTATE class 53, takes the same path.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.localslack.server import LocalSlack
from bot.slack.failures import NOT_STORED
from bot.store.models import MetricSample
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import CHANNEL, PM, start_feature
from tests.support.postgres import PostgresServer
from tests.support.storage import fill, health, read_only, small_tmpfs

MAX_COMMANDS = 300  # enough to fill a 4 MiB disk's last pages many times over


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path) as disk:
        yield disk


def wait_healthy(bot: BotUnderTest, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while health(bot)[0] != 200:
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz stayed {health(bot)}")
        time.sleep(0.25)


def samples(bot: BotUnderTest) -> list[float]:
    with bot.session() as session:
        return sorted(session.scalars(select(MetricSample.value)))


def metric(bot: BotUnderTest, value: int) -> str:
    reply = bot.driver.command("/align", f"metric support-answers CSAT {value}", user_id=PM)
    assert reply.status == 200
    return str(reply.json()["text"])


def test_a_full_disk_is_unhealthy_and_no_reply_claims_a_write(
    small_disk: Path, slack: LocalSlack
) -> None:
    bot = start_bot(f"sqlite:///{small_disk}/groundline.db", slack)
    try:
        feature = start_feature(bot)
        assert health(bot) == (200, "ok")
        fill(small_disk)
        assert health(bot)[0] == 503
        noted, refused = [], []
        for value in range(1, MAX_COMMANDS + 1):
            (noted if "Noted" in metric(bot, value) else refused).append(value)
            if refused and len(refused) >= 3:
                break
        assert refused, "the disk never filled up"
        assert all(NOT_STORED in metric(bot, 0) for _ in range(2))
        # Every "Noted" is stored, nothing refused is.
        assert samples(bot) == sorted(float(v) for v in noted)
        # A thread reply we cannot store is refused with a 500: Slack will deliver it again.
        answer = bot.driver.message(CHANNEL, "10%", user=PM, thread_ts=feature.thread_ts)
        assert answer.status == 500
        (small_disk / "filler").unlink()
        wait_healthy(bot)
        assert "Noted" in metric(bot, 99)
        assert bot.driver.redeliver(answer).status == 200
        bot.settle()
        assert 99.0 in samples(bot)
    finally:
        bot.stop()


def test_serve_refuses_a_sqlite_database_on_a_read_only_mount(
    small_disk: Path, slack: LocalSlack
) -> None:
    """While serve runs, its open files keep the mount writable (a remount is refused as busy),
    so the read-only case on SQLite is the start: one line, exit 2."""
    url = f"sqlite:///{small_disk}/groundline.db"
    bot = start_bot(url, slack)
    start_feature(bot)
    bot.stop()
    remount(small_disk, "ro")
    try:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "test-signing-secret",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": url,
            "PORT": "0",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", "serve"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=small_disk.parent,
        )
    finally:
        remount(small_disk, "rw")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "DATABASE_URL" in done.stderr and "read-only" in done.stderr


def remount(disk: Path, mode: str) -> None:
    done = subprocess.run(
        ["mount", "-o", f"remount,{mode}", str(disk)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_read_only_postgresql_is_unhealthy_and_says_nothing_was_stored(
    postgres: PostgresServer, slack: LocalSlack
) -> None:
    name = postgres.fresh_database("readonly")
    bot = start_bot(postgres.url(name), slack)
    try:
        feature = start_feature(bot)
        assert "Noted" in metric(bot, 1)
        read_only(postgres, name, True)
        try:
            assert health(bot) == (503, "database refuses writes")
            assert NOT_STORED in metric(bot, 2)
            # A button press whose reply cannot be queued either is answered through its
            # response_url, directly.
            pressed = bot.driver.press(choice_message(feature.id), label="Say unsure")
            assert pressed.status == 200
            told = bot.slack.wait_for("response_url", count=1)
            assert NOT_STORED in json.dumps(told[-1].params)
        finally:
            read_only(postgres, name, False)
        wait_healthy(bot)
        assert "Noted" in metric(bot, 3)
        assert samples(bot) == [1.0, 3.0]
    finally:
        bot.stop()
        postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def choice_message(feature_id: int) -> dict[str, object]:
    return {
        "ts": "1.1",
        "channel": CHANNEL,
        "blocks": [
            {
                "type": "actions",
                "block_id": "q",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "kickoff_fallback:say_unsure",
                        "value": f"{feature_id}:say_unsure",
                        "text": {"type": "plain_text", "text": "Say unsure"},
                    }
                ],
            }
        ],
    }
