"""Many workspaces: the OAuth install through the stand-in, tokens per request, and each
workspace's data invisible to the other through commands, buttons, the API and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.slack.wire import SignOffValue
from bot.store.models import EvalRun, Feature
from tests.support.bot import SIGNING_SECRET, BotUnderTest, start_bot
from tests.support.paths import EVAL_FIXTURES

TEAM_A, TEAM_B = "T0AAAA", "T0BBBB"


@pytest.fixture
def oauth_bot(database_url: str, slack: LocalSlack) -> Iterator[BotUnderTest]:
    running = start_bot(
        database_url,
        slack,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
        SLACK_STATE_SECRET="state-secret",
        GROUNDLINE_SCHEDULER=False,
    )
    yield running
    running.stop()


def install(bot: BotUnderTest, team_id: str) -> None:
    """The browser's part of the install: open /slack/install, come back with code and state.
    Bolt's state cookie is marked Secure (real installs are https), so we carry it by hand."""
    with urllib.request.urlopen(f"{bot.url}/slack/install", timeout=10) as started:
        page = started.read().decode()
        cookie = started.headers["Set-Cookie"].split(";", 1)[0]
    state = re.search(r"state=([A-Za-z0-9_-]+)", page)
    assert state is not None, page[:500]
    code = bot.slack.new_oauth_code(team_id, team_name=f"Team {team_id}")
    back = urllib.request.Request(
        f"{bot.url}/slack/oauth_redirect?code={code}&state={state.group(1)}",
        headers={"Cookie": cookie},
    )
    with urllib.request.urlopen(back, timeout=10) as done:
        assert done.status == 200
    assert bot.slack.calls_to("oauth.v2.access")[-1].ok


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


def driver_for(bot: BotUnderTest, team_id: str) -> SlackDriver:
    return SlackDriver(f"{bot.url}/slack/events", SIGNING_SECRET, bot.slack, team_id=team_id)


def test_two_workspaces_install_and_stay_apart(oauth_bot: BotUnderTest) -> None:
    install(oauth_bot, TEAM_A)
    install(oauth_bot, TEAM_B)
    a, b = driver_for(oauth_bot, TEAM_A), driver_for(oauth_bot, TEAM_B)
    assert a.command("/kickoff", "Support answers", channel_id="C0AAA").status == 200
    assert b.command("/kickoff", "Billing bot", channel_id="C0BBB").status == 200
    oauth_bot.settle()
    posts = oauth_bot.slack.calls_to("chat.postMessage")
    tokens = {c.params["channel"]: c.token for c in posts}
    assert tokens["C0AAA"] != tokens["C0BBB"]
    assert TEAM_A in str(tokens["C0AAA"]) and TEAM_B in str(tokens["C0BBB"])

    # Status in A shows only A's feature; naming B's feature from A finds nothing.
    status_a = a.command("/align", "status").json()["text"]
    assert "Support answers" in status_a and "Billing bot" not in status_a
    assert "No feature called" in a.command("/align", "status billing-bot").json()["text"]
    # Same name in both workspaces is fine: kickoffs are unique per workspace.
    assert b.command("/kickoff", "Support answers", channel_id="C0BBB2").status == 200
    oauth_bot.settle()
    with oauth_bot.session() as session:
        assert session.scalar(select(func.count()).select_from(Feature)) == 3
        b_feature = session.scalars(
            select(Feature).where(Feature.team_id == TEAM_B, Feature.slug == "billing-bot")
        ).one()
    # A button from workspace A that names B's feature id is refused.
    forged = {
        "ts": "1.1",
        "channel": "C0AAA",
        "blocks": [
            {
                "type": "actions",
                "block_id": "signoff",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "signoff_pm",
                        "value": SignOffValue(
                            feature=b_feature.id, version=1, fingerprint="0" * 16
                        ).encode(),
                        "text": {"type": "plain_text", "text": "Sign off as PM"},
                    }
                ],
            }
        ],
    }
    a.press(forged, label="Sign off as PM")
    oauth_bot.settle()
    assert any(
        "no longer exists" in json.dumps(c.params) for c in oauth_bot.slack.calls_to("response_url")
    )

    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": oauth_bot.runtime.settings.DATABASE_URL,
    }
    ambiguous = cli(env, "export", "support-answers")
    assert ambiguous.returncode == 1 and "--team" in ambiguous.stderr
    only_b = cli(env, "export", "support-answers", "--team", TEAM_B)
    assert json.loads(only_b.stdout)["feature"]["team_id"] == TEAM_B
    wrong_team = cli(env, "export", "billing-bot", "--team", TEAM_A)
    assert wrong_team.returncode == 1

    purged = cli(env, "workspace", "purge", TEAM_B)
    assert purged.returncode == 0, purged.stderr
    with oauth_bot.session() as session:
        teams = set(session.scalars(select(Feature.team_id)))
    assert teams == {TEAM_A}


def test_uninstall_removes_the_tokens(oauth_bot: BotUnderTest) -> None:
    install(oauth_bot, TEAM_A)
    a = driver_for(oauth_bot, TEAM_A)
    assert oauth_bot.runtime.installations is not None
    assert oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id=TEAM_A) is not None
    assert a.event({"type": "app_uninstalled"}).status == 200
    oauth_bot.settle()
    assert oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id=TEAM_A) is None


def test_bot_token_and_oauth_together_is_a_configuration_error(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.environ.get("PATH", ""),
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_CLIENT_ID": "1",
            "SLACK_CLIENT_SECRET": "2",
            "SLACK_STATE_SECRET": "3",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
    )
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr


def test_a_file_dropped_in_an_installed_workspace_is_fetched_with_its_token(
    oauth_bot: BotUnderTest,
) -> None:
    install(oauth_bot, TEAM_A)
    install(oauth_bot, TEAM_B)
    a = driver_for(oauth_bot, TEAM_A)
    assert a.command("/kickoff", "Support answers", channel_id="C0AAA").status == 200
    oauth_bot.settle()
    with oauth_bot.session() as session:
        thread_ts = session.scalars(select(Feature.thread_ts)).one()
    assert thread_ts is not None
    content = (EVAL_FIXTURES / "ours" / "cases.jsonl").read_bytes()
    shared = oauth_bot.slack.add_file("FOAUTH1", "cases.jsonl", content, channel="C0AAA")
    assert a.message("C0AAA", "", thread_ts=thread_ts, files=[shared]).status == 200
    deadline = time.monotonic() + 15
    runs = 0
    while runs == 0 and time.monotonic() < deadline:
        oauth_bot.settle()
        with oauth_bot.session() as session:
            runs = session.scalar(select(func.count()).select_from(EvalRun)) or 0
    assert runs == 1
    download = oauth_bot.slack.calls_to("file_download")[-1]
    assert oauth_bot.runtime.installations is not None
    installed_a = oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id=TEAM_A)
    installed_b = oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id=TEAM_B)
    assert installed_a is not None and installed_b is not None
    assert download.token == installed_a.bot_token != installed_b.bot_token


def test_report_post_from_the_cli_uses_the_installed_token(oauth_bot: BotUnderTest) -> None:
    install(oauth_bot, TEAM_A)
    install(oauth_bot, TEAM_B)
    a = driver_for(oauth_bot, TEAM_A)
    assert a.command("/kickoff", "Support answers", channel_id="C0AAA").status == 200
    oauth_bot.settle()
    settings = oauth_bot.runtime.settings
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": settings.DATABASE_URL,
        "SLACK_API_URL": settings.SLACK_API_URL,
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_STATE_SECRET": "state-secret",
    }
    posted = cli(env, "report", "support-answers", "--post")
    assert posted.returncode == 0, posted.stderr
    assert "posted report" in posted.stderr
    assert oauth_bot.runtime.installations is not None
    installed_a = oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id=TEAM_A)
    assert installed_a is not None
    last = oauth_bot.slack.calls_to("chat.postMessage")[-1]
    assert last.params["channel"] == "C0AAA" and last.token == installed_a.bot_token

    # Without any way to get a token, a clear configuration error and nothing posted.
    bare = {key: env[key] for key in ("PATH", "DATABASE_URL")}
    refused = cli(bare, "report", "support-answers", "--post")
    assert refused.returncode == 2 and "SLACK_BOT_TOKEN" in refused.stderr
    assert oauth_bot.slack.calls_to("chat.postMessage")[-1] == last
