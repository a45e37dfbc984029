"""`groundline serve` refuses to start on a setting that cannot work: exit 2 and one line that
names the setting, with no traceback and no secret in it (CONTRACT.md's configuration rule)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import PostgresServer

SECRETS = ("xoxb-secret-value-123", "s3cret-signing", "hunter2")


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-secret-value-123",
        "SLACK_SIGNING_SECRET": "s3cret-signing",
        "SLACK_API_URL": "http://127.0.0.1:9/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/groundline.db",
        "HOST": "127.0.0.1",
        "PORT": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env=settings,
        cwd=tmp_path,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], setting: str) -> str:
    line = result.stderr.strip()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert line.count("\n") == 0, result.stderr
    assert setting in line and "Traceback" not in line
    assert not any(secret in result.stderr + result.stdout for secret in SECRETS), line
    return line


def test_an_empty_signing_secret_is_refused_at_start(tmp_path: Path) -> None:
    line = assert_one_line(serve(tmp_path, SLACK_SIGNING_SECRET=""), "SLACK_SIGNING_SECRET")
    assert "empty" in line
    assert "empty" in assert_one_line(
        serve(tmp_path, SLACK_SIGNING_SECRET="   "), "SLACK_SIGNING_SECRET"
    )


def test_malformed_database_urls_are_refused_without_echoing_them(tmp_path: Path) -> None:
    for url in (
        "postgresql://admin:hunter2@db:notaport/groundline",
        "mysql://admin:hunter2@db/groundline",
        "postgresql://admin:hunter2@/groundline",
        "sqlite+nosuchdriver:///x.db",
    ):
        line = assert_one_line(serve(tmp_path, DATABASE_URL=url), "DATABASE_URL")
        assert "hunter2" not in line and "admin" not in line, line


def test_an_unreachable_database_is_one_line(tmp_path: Path, postgres: PostgresServer) -> None:
    closed = _closed_port()
    line = assert_one_line(
        serve(tmp_path, DATABASE_URL=f"postgresql://admin:hunter2@127.0.0.1:{closed}/groundline"),
        "DATABASE_URL",
    )
    assert "connection refused" in line
    # A server that answers, with a database that is not there.
    missing = postgres.url("no_such_database")
    assert "does not exist" in assert_one_line(
        serve(tmp_path, DATABASE_URL=missing), "DATABASE_URL"
    )
    # A SQLite path that cannot be created (a file stands where its folder would be).
    (tmp_path / "file").write_text("")
    sqlite = f"sqlite:///{tmp_path}/file/groundline.db"
    assert "folder" in assert_one_line(serve(tmp_path, DATABASE_URL=sqlite), "DATABASE_URL")


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line(serve(tmp_path, PORT=str(port)), "PORT")
    assert f"{port} is already in use" in line


def test_a_host_that_is_not_ours_is_one_line(tmp_path: Path) -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine. Nothing is sent.
    assert "HOST" in assert_one_line(serve(tmp_path, HOST="192.0.2.1"), "HOST")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_other_commands_name_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql://admin:hunter2@127.0.0.1:{_closed_port()}/groundline"
    for args in (["export", "x"], ["db", "upgrade"], ["report", "x"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url},
            cwd=tmp_path,
        )
        line = assert_one_line(done, "DATABASE_URL")
        assert "connection refused" in line, (args, line)
