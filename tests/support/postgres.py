"""A throwaway PostgreSQL server for the test session: initdb in a temp dir, loopback only.

Sessions and CI run as root and initdb refuses root, so the server runs as the `postgres` user.
If the binaries are missing the tests fail with that reason; they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

CANDIDATE_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


class PostgresUnavailable(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in CANDIDATE_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    raise PostgresUnavailable(
        f"PostgreSQL binary '{name}' not found (install postgresql; .ci/run does it with apt-get)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="groundline-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._as_postgres = os.geteuid() == 0

    def _run_as_owner(self, argv: list[str]) -> list[str]:
        if self._as_postgres:
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
        initdb = subprocess.run(
            self._run_as_owner(
                [
                    _binary("initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                ]
            ),
            capture_output=True,
        )
        if initdb.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {initdb.stderr.decode()[-500:]}")
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
        self._process = subprocess.Popen(
            self._run_as_owner(
                [
                    _binary("postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PostgresUnavailable(
                    "postgres exited: " + (self.root / "server.log").read_text()[-500:]
                )
            try:
                with psycopg.connect(self.admin_dsn, connect_timeout=1):
                    return self
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise PostgresUnavailable("postgres did not accept connections within 30 s")

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def fresh_database(self, prefix: str) -> str:
        """The name of a new database of its own, copied from the migrated template."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE groundline_template")
        return name

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
