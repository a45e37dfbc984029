"""Real storage faults for tests: a size-limited tmpfs (filled to the last byte, or remounted
read-only; both need root, as the tests run here and in CI) and a PostgreSQL database whose new
sessions are read-only; and the bot's own `/healthz` answer."""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bot import BotUnderTest
from tests.support.postgres import PostgresServer

DISK_BYTES = 4 * 1024 * 1024


@contextlib.contextmanager
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own. Needs root: fail with the reason, never skip."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"these tests mount a small tmpfs and need root: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def health(bot: BotUnderTest) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{bot.url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())["status"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["status"]


def fill(disk: Path) -> None:
    with contextlib.suppress(OSError), (disk / "filler").open("wb") as filler:
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()


def read_only(postgres: PostgresServer, name: str, on: bool) -> None:
    """New sessions of the database start read-only (or not); existing ones are ended, so the
    bot's pool reconnects (pool_pre_ping) and gets the setting."""
    postgres.execute(
        f"ALTER DATABASE {name} SET default_transaction_read_only = {'on' if on else 'off'}"
    )
    postgres.execute(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )
