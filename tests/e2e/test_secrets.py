"""Secrets: `groundline serve` at LOG_LEVEL=DEBUG (where Bolt logs request and response bodies)
never writes one to its log — bot and app tokens, the signing, client and state secrets, the
OpenAI key, the encryption key, upload tokens it mints, tokens Slack hands it at an OAuth
install. OAuth bot tokens are encrypted at rest with GROUNDLINE_ENCRYPTION_KEY, read back after
a restart, and a wrong or missing key is one clear line at start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bot.localopenai.server import LocalOpenAI
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from tests.support.bot import SIGNING_SECRET
from tests.support.serve import ServeProcess, wait_drained

CHANNEL = "C0FEAT"
OPENAI_KEY = "sk-test-openai-key-0123456789"
ENCRYPTION_KEY = Fernet.generate_key().decode()
CLIENT_SECRET = "client-secret-0123456789"
STATE_SECRET = "state-secret-0123456789"
APP_TOKEN = "xapp-1-A0LOCAL-0123456789-abcdef"
TEAM = "T0OAUTH"


def log_of(server: ServeProcess) -> str:
    return server.log_path.read_text(errors="replace")


def assert_clean(log: str, secrets: list[str]) -> None:
    leaked = [secret[:6] + "…" for secret in secrets if secret and secret in log]
    assert not leaked, f"secrets in the DEBUG log: {leaked}"
    # No token shape either, whatever its value.
    shapes = re.findall(r"(?:xox[a-z]-|xapp-|gl_|sk-)(?!\[redacted\])[A-Za-z0-9._-]{4,}", log)
    assert not shapes, shapes[:3]


DB_PASSWORD = "db-password-0123456789"


def with_password(url: str) -> str:
    """The database URL with a password in it, as deployments have one (the test server trusts
    local connections, so any password is accepted and none is checked)."""
    return url.replace("://postgres@", f"://postgres:{DB_PASSWORD}@", 1)


def test_a_debug_log_holds_no_secret_over_http(
    tmp_path: Path, slack: LocalSlack, database_url: str
) -> None:
    with LocalOpenAI() as model:
        server = ServeProcess(
            with_password(database_url),
            slack,
            tmp_path,
            LOG_LEVEL="DEBUG",
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=model.base_url,
            GROUNDLINE_ENCRYPTION_KEY=ENCRYPTION_KEY,
        ).start()
        driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack)
        try:
            assert driver.command("/kickoff", "Support answers", channel_id=CHANNEL).status == 200
            wait_drained(server.env["DATABASE_URL"])
            thread_ts = slack.bot_messages(CHANNEL)[0]["ts"]
            driver.message(CHANNEL, "about ten percent, maybe less", thread_ts=thread_ts)
            wait_drained(server.env["DATABASE_URL"])
            minted = []
            for _ in range(2):
                answer = driver.command("/align", "token support-answers", channel_id=CHANNEL)
                minted += re.findall(r"gl_[A-Za-z0-9_-]+", answer.body)
            assert len(minted) == 2
            upload = urllib.request.Request(
                f"{server.url}/api/v1/features/support-answers/eval-runs",
                data=b'{"id": "a", "passed": true}\n',
                headers={"Authorization": f"Bearer {minted[0]}"},
                method="POST",
            )
            with urllib.request.urlopen(upload, timeout=30) as response:
                assert response.status == 201
        finally:
            assert server.stop() == 0
    log = log_of(server)
    assert " DEBUG " in log and "gl_[redacted]" in log  # Bolt did log the token's response
    secrets = ["xoxb-test-token", SIGNING_SECRET, OPENAI_KEY, ENCRYPTION_KEY, *minted]
    assert_clean(log, [*secrets, DB_PASSWORD])


def test_a_debug_log_holds_no_secret_in_socket_mode(tmp_path: Path) -> None:
    with LocalSlack(bot_token="xoxb-test-token", app_token=APP_TOKEN) as slack:
        server = ServeProcess(f"sqlite:///{tmp_path}/socket.db", slack, tmp_path, LOG_LEVEL="DEBUG")
        server.env["SLACK_APP_TOKEN"] = APP_TOKEN
        server.env.pop("SLACK_SIGNING_SECRET")
        server.start()
        try:
            assert slack.socket_connected(timeout=15)
            payload = {
                "command": "/align",
                "text": "help",
                "team_id": "T0LOCAL",
                "channel_id": CHANNEL,
                "user_id": "U0PM",
                "response_url": slack.new_response_url(),
                "trigger_id": "1.2.3",
            }
            assert "/kickoff" in str(slack.socket_send("slash_commands", payload, timeout=10))
        finally:
            assert server.stop() == 0
    assert_clean(log_of(server), [APP_TOKEN, "xoxb-test-token"])


def oauth_env(**more: str) -> dict[str, str]:
    return {
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_STATE_SECRET": STATE_SECRET,
        "GROUNDLINE_SCHEDULER": "false",
        "LOG_LEVEL": "DEBUG",
        **more,
    }


def install(server: ServeProcess, slack: LocalSlack, team_id: str) -> str:
    """The browser's part of an install; returns the bot token Slack handed over."""
    with urllib.request.urlopen(f"{server.url}/slack/install", timeout=10) as started:
        page = started.read().decode()
        cookie = started.headers["Set-Cookie"].split(";", 1)[0]
    state = re.search(r"state=([A-Za-z0-9_-]+)", page)
    assert state is not None, page[:300]
    code = slack.new_oauth_code(team_id, team_name="Team OAuth")
    back = urllib.request.Request(
        f"{server.url}/slack/oauth_redirect?code={code}&state={state.group(1)}",
        headers={"Cookie": cookie},
    )
    with urllib.request.urlopen(back, timeout=10) as done:
        assert done.status == 200
    exchange = slack.calls_to("oauth.v2.access")[-1]
    return str(exchange.response["access_token"])


def serve_once(
    url: str, slack: LocalSlack, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": url,
        "PORT": "0",
        **oauth_env(**env),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        env=settings,
        timeout=60,
        cwd=tmp_path,
    )


def test_oauth_tokens_are_encrypted_at_rest_and_never_logged(
    database_url: str, slack: LocalSlack, tmp_path: Path
) -> None:
    def start(keys: str) -> ServeProcess:
        server = ServeProcess(
            database_url, slack, tmp_path, **oauth_env(GROUNDLINE_ENCRYPTION_KEY=keys)
        )
        server.env.pop("SLACK_BOT_TOKEN")
        return server.start()

    server = start(ENCRYPTION_KEY)
    try:
        token = install(server, slack, TEAM)
    finally:
        assert server.stop() == 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT bot_token FROM slack_bots")).scalars().all()
    finally:
        engine.dispose()
    assert stored and all(value.startswith("gl-fernet:") for value in stored)
    assert token not in " ".join(stored)

    # After a restart (with the key rotated: a new first key, the old one still reads), the
    # stored token is read back: a command from that workspace is answered with it.
    server = start(f"{Fernet.generate_key().decode()},{ENCRYPTION_KEY}")
    try:
        driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM)
        assert driver.command("/kickoff", "Support answers", channel_id=CHANNEL).status == 200
        wait_drained(database_url)
        posted = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]
        assert posted and posted[-1].token == token
    finally:
        assert server.stop() == 0
    secrets = [token, CLIENT_SECRET, STATE_SECRET, ENCRYPTION_KEY, SIGNING_SECRET]
    assert_clean(log_of(server), secrets)

    wrong = serve_once(
        database_url, slack, tmp_path, GROUNDLINE_ENCRYPTION_KEY=Fernet.generate_key().decode()
    )
    assert wrong.returncode == 2 and wrong.stderr.strip().count("\n") == 0, wrong.stderr
    assert "GROUNDLINE_ENCRYPTION_KEY does not decrypt" in wrong.stderr
    missing = serve_once(database_url, slack, tmp_path)
    assert missing.returncode == 2 and "GROUNDLINE_ENCRYPTION_KEY is not set" in missing.stderr
    malformed = serve_once(database_url, slack, tmp_path, GROUNDLINE_ENCRYPTION_KEY="not-a-key")
    assert malformed.returncode == 2 and "not a Fernet key" in malformed.stderr
    assert "not-a-key" not in malformed.stderr
