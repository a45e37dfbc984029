"""`groundline serve` as a process: Socket Mode, configuration errors, the error handler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import ManualClock
from bot.jobs.inbox import MAX_ATTEMPTS
from bot.localslack.server import LocalSlack
from bot.slack.wire import ChoiceValue, SignOffValue
from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.kickoff import signoffs
from tests.support.serve import ServeProcess


def test_socket_mode_answers_a_slash_command(tmp_path: Path) -> None:
    with LocalSlack(bot_token="xoxb-test-token", app_token="xapp-local-token") as slack:
        server = ServeProcess(
            f"sqlite:///{tmp_path}/socket.db",
            slack,
            tmp_path,
            SLACK_APP_TOKEN="xapp-local-token",
            SLACK_SIGNING_SECRET="",
        )
        server.env.pop("SLACK_SIGNING_SECRET")
        server.start()
        try:
            assert slack.socket_connected(timeout=15)
            ack = slack.socket_send(
                "slash_commands",
                {
                    "command": "/align",
                    "text": "help",
                    "team_id": "T0LOCAL",
                    "channel_id": "C0FEAT",
                    "user_id": "U0PM",
                    "response_url": slack.new_response_url(),
                    "trigger_id": "1.2.3",
                },
                timeout=10,
            )
            assert "/kickoff <feature name>" in str(ack.get("payload"))
        finally:
            assert server.stop() == 0


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **env},
        cwd="/tmp",
    )


def test_missing_signing_secret_exits_2_with_one_line() -> None:
    result = run(["serve"], SLACK_BOT_TOKEN="xoxb-secret-value-123")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLACK_SIGNING_SECRET" in result.stderr and "Traceback" not in result.stderr
    assert "secret-value-123" not in result.stderr


def test_malformed_token_exits_2_without_echoing_it() -> None:
    result = run(["serve"], SLACK_BOT_TOKEN="not-a-token-sekrit", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "sekrit" not in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_port_exits_2() -> None:
    result = run(["db", "upgrade"], PORT="eighty")
    assert result.returncode == 2 and "PORT" in result.stderr


def test_unknown_feature_in_cli_exits_1(tmp_path: Path) -> None:
    result = run(["export", "nope"], DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 1
    assert "unknown feature 'nope'" in result.stderr and "Traceback" not in result.stderr


def broken_feature(bot: BotUnderTest, stage: str) -> int:
    """A stored version our code can no longer read (say, written by a broken release)."""
    bot.driver.command("/kickoff", "Broken feature", channel_id="C0FEAT")
    bot.settle()
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        feature.target_versions[0].values_json = {"max_error_rate": "lots"}
        feature.stage = stage
        return feature.id


def button_message(action_id: str, value: str, label: str) -> dict[str, object]:
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }
    return {
        "ts": "1.1",
        "channel": "C0FEAT",
        "blocks": [{"type": "actions", "block_id": "b", "elements": [button]}],
    }


def test_unexpected_error_gets_an_apology_with_an_error_id(bot: BotUnderTest) -> None:
    # The broken version breaks inside the handler of a well-formed choice button, which is
    # handled inside its request. (A value that is not ours no longer breaks anything:
    # slack/wire.py answers it as out of date.)
    feature_id = broken_feature(bot, "fallback")
    value = ChoiceValue(feature=feature_id, choice="say_unsure").encode()
    message = button_message("kickoff_fallback:say_unsure", value, "Say I'm not sure")
    bot.driver.press(message, label="Say I'm not sure")
    bot.settle()
    replies = [str(c.params) for c in bot.slack.calls_to("response_url")]
    assert any("error id" in r for r in replies), replies


def test_a_stored_press_that_keeps_failing_is_apologised_for_with_an_error_id(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    """A sign-off press is signed after the ack (the inbox): one that breaks is tried again
    with backoff, then given up, and the presser is told with an error id."""
    bot = clocked_bot
    feature_id = broken_feature(bot, "review")
    value = SignOffValue(feature=feature_id, version=1, fingerprint="0" * 16).encode()
    pressed = bot.driver.press(
        button_message("signoff_pm", value, "Sign off as PM"), "Sign off as PM"
    )
    assert pressed.status == 200
    for _ in range(MAX_ATTEMPTS):  # each failure waits 2, 4, 8 … s of the test's clock
        clock.advance(timedelta(minutes=1))
        bot.runtime.deps.inbox_ready.set()
        time.sleep(0.3)
    bot.settle()
    replies = [str(c.params.get("text")) for c in bot.slack.calls_to("response_url")]
    assert len(replies) == 1 and "error id `inbox-" in replies[0], replies
    assert "your press" in replies[0] and "nothing was signed" in replies[0]
    assert signoffs(bot) == []
