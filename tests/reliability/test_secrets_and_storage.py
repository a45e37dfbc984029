"""Secrets and storage faults, as figures for docs/reliability.md (tests/e2e/test_secrets.py and
test_storage_faults.py hold the detailed cases).

- Secrets: `groundline serve` at LOG_LEVEL=DEBUG, where Bolt logs request and response bodies,
  mints, uses and revokes upload tokens trial after trial; its log is then searched for every
  secret it held (bot token, signing secret, model key, encryption key, the database password,
  each token minted) and for any token shape. A leak counts as lost.
- Storage: the database stops taking writes (a 4 MiB disk filled to the last byte on SQLite,
  `default_transaction_read_only` on PostgreSQL). Every `/align metric` sent meanwhile either
  says "Noted" and is stored, or says nothing was stored and is not: a reply that lies counts
  as lost (a "Noted" not stored) or duplicated (a refusal that was stored anyway).
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.localopenai.server import LocalOpenAI
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.slack.failures import NOT_STORED
from bot.store.models import MetricSample
from tests.support.bot import SIGNING_SECRET, BotUnderTest, start_bot
from tests.support.evals import PM, start_feature
from tests.support.figures import Figures, Report, backends, scaled
from tests.support.postgres import PostgresServer
from tests.support.reliability import backend_of
from tests.support.serve import ServeProcess, wait_drained
from tests.support.storage import fill, health, read_only, small_tmpfs

CHANNEL = "C0FEAT"
OPENAI_KEY = "sk-test-openai-key-0123456789"
DB_PASSWORD = "db-password-0123456789"
TOKEN_SHAPE = re.compile(r"(?:xox[a-z]-|xapp-|gl_|sk-)(?!\[redacted\])[A-Za-z0-9._-]{4,}")


@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_no_secret_reaches_a_debug_log(
    database_url: str, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    figures = report.open("secrets in a LOG_LEVEL=DEBUG log (0 leaked)", backend_of(database_url))
    key = Fernet.generate_key().decode()
    minted: list[str] = []
    with LocalOpenAI() as model:
        server = ServeProcess(
            database_url.replace("://postgres@", f"://postgres:{DB_PASSWORD}@", 1),
            slack,
            tmp_path,
            LOG_LEVEL="DEBUG",
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=model.base_url,
            GROUNDLINE_ENCRYPTION_KEY=key,
        ).start()
        driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack)
        try:
            started = driver.command("/kickoff", "Support answers", channel_id=CHANNEL)
            figures.ack(started.elapsed_ms)
            wait_drained(server.env["DATABASE_URL"])
            for trial in range(scaled(3, 30)):
                answer = driver.command("/align", "token support-answers", channel_id=CHANNEL)
                figures.ack(answer.elapsed_ms)
                token = re.findall(r"gl_[A-Za-z0-9_-]+", answer.body)
                assert len(token) == 1, answer.body
                minted += token
                figures.ack(upload(server.url, token[0], trial))
                revoked = driver.command(
                    "/align", "token support-answers --revoke", channel_id=CHANNEL
                )
                figures.ack(revoked.elapsed_ms)
        finally:
            assert server.stop() == 0
            report.close(figures)
    log = server.log_path.read_text(errors="replace")
    assert " DEBUG " in log and "gl_[redacted]" in log  # Bolt did log the tokens' answers
    secrets = ["xoxb-test-token", SIGNING_SECRET, OPENAI_KEY, key, DB_PASSWORD, *minted]
    figures.faults = len(secrets)
    leaked = [secret[:6] + "…" for secret in secrets if secret in log]
    leaked += TOKEN_SHAPE.findall(log)[:3]
    figures.lost = len(leaked)
    figures.scenario = f"secrets in a LOG_LEVEL=DEBUG log ({len(leaked)} leaked)"
    assert leaked == []


def upload(base: str, token: str, trial: int) -> float:
    """One small run through the upload API with `token`; the time it took, in ms."""
    started = time.monotonic()
    request = urllib.request.Request(
        f"{base}/api/v1/features/support-answers/eval-runs",
        data=f'{{"id": "t{trial}", "passed": true}}\n'.encode(),
        headers={"Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    return (time.monotonic() - started) * 1000


def samples(bot: BotUnderTest) -> set[float]:
    with bot.session() as session:
        return set(session.scalars(select(MetricSample.value)))


def metrics_while_refused(bot: BotUnderTest, figures: Figures, first: int, count: int) -> None:
    """`count` metric commands while writes fail: each reply must match what was stored."""
    said: dict[int, str] = {}
    for value in range(first, first + count):
        reply = bot.driver.command("/align", f"metric support-answers CSAT {value}", user_id=PM)
        figures.ack(reply.elapsed_ms)
        figures.faults += 1
        said[value] = str(reply.json().get("text", ""))
    stored = samples(bot)
    for value, text in said.items():
        if "Noted" in text and float(value) not in stored:
            figures.lost += 1
        elif NOT_STORED in text:
            figures.refused += 1
            figures.duplicates += float(value) in stored
        elif "Noted" not in text:
            figures.lost += 1  # neither: the person cannot tell what happened


@pytest.mark.parametrize("backend", backends("postgresql"))
def test_replies_say_what_was_stored_when_the_database_refuses_writes(
    backend: str, request: pytest.FixtureRequest, slack: LocalSlack, tmp_path: Path, report: Report
) -> None:
    fault = "a full disk" if backend == "sqlite" else "a read-only database"
    figures = report.open(f"{fault}: /healthz 503, no reply claims a write", backend)
    trials = scaled(5, 50)
    if backend == "sqlite":
        with small_tmpfs(tmp_path) as disk:
            bot = start_bot(f"sqlite:///{disk}/groundline.db", slack)
            try:
                start_feature(bot)
                fill(disk)
                unhealthy = health(bot)[0] == 503
                metrics_while_refused(bot, figures, 1, trials)
                (disk / "filler").unlink()
            finally:
                bot.stop()
                report.close(figures)
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = postgres.fresh_database("refuses")
        bot = start_bot(postgres.url(name), slack)
        try:
            start_feature(bot)
            read_only(postgres, name, True)
            try:
                unhealthy = health(bot) == (503, "database refuses writes")
                metrics_while_refused(bot, figures, 1, trials)
            finally:
                read_only(postgres, name, False)
        finally:
            bot.stop()
            report.close(figures)
            postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert unhealthy, "/healthz did not say the database refuses writes"
    assert (figures.lost, figures.duplicates) == (0, 0)
    assert figures.refused > 0, "the fault never reached a reply"
