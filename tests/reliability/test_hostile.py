"""Hostile input: forged, replayed and unsigned requests, oversized and malformed bodies, mrkdwn
injection in everything the bot echoes, path and SQL injection. Each gets a clear answer (4xx or
a plain reply, never a 500) and leaves the stored state as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import func, inspect, select

from bot.localslack.driver import FORM, JSON
from bot.store.models import Answer, EvalRun, Feature, TargetVersion
from tests.support.bot import BotUnderTest
from tests.support.figures import Report, backends
from tests.support.reliability import ANSWERS, Thread, backend_of

PINGS = ["<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<!subteam^S0EVIL>"]
LINK = "<https://evil.example|click>"
INJECTION = " ".join([*PINGS, LINK])
RAW_MARKERS = ["<!channel", "<!here", "<!everyone", "<@U0EVIL", "<!subteam", "<https://evil"]
SQL = "'; DROP TABLE features; --"
PATH = "../../etc/passwd"


def snapshot(bot: BotUnderTest) -> dict[str, int]:
    with bot.session() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Feature, Answer, TargetVersion, EvalRun)
        }


def kickoff_command(bot: BotUnderTest, text: str) -> bytes:
    fields = {
        "team_id": "T0LOCAL",
        "channel_id": "C0HOST",
        "user_id": "U0PM",
        "command": "/kickoff",
        "text": text,
        "response_url": bot.slack.new_response_url("C0HOST"),
    }
    return urlencode(fields).encode()


@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_forged_stale_unsigned_and_replayed_requests(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open("forged, stale, unsigned, replayed requests", backend_of(database_url))
    try:
        before = snapshot(bot)
        body = kickoff_command(bot, "Forged feature")
        stale = int(time.time()) - 6 * 60
        attempts = [
            bot.driver.send_raw(body, FORM, signature="v0=" + "0" * 64),
            bot.driver.send_raw(body, FORM, timestamp=stale),  # a replay after Slack's window
            bot.driver.send_raw(body, FORM, signature=""),
            bot.driver.send_raw(body, FORM, signature="garbage"),
            bot.driver.send_raw(body, FORM, timestamp=int(time.time()) + 6 * 60),
        ]
        for reply in attempts:
            figures.ack(reply.elapsed_ms)
            figures.faults += 1
            assert reply.status == 401, reply.status
        assert snapshot(bot) == before
        # A replay inside the window is the same event id: handled once.
        thread = Thread(bot.driver, "C0REPLAY", "Replay feature")
        assert thread.kickoff(figures).status == 200
        bot.settle()
        with bot.session() as session:
            feature = session.scalars(select(Feature).where(Feature.name == thread.name)).one()
            thread_ts, feature_id = feature.thread_ts, feature.id
        assert thread_ts is not None
        event = thread.event_body(ANSWERS[0], thread_ts)
        for _ in range(3):
            reply = thread.send_event(event)
            figures.ack(reply.elapsed_ms)
            assert reply.status == 200
        figures.faults += 2
        bot.settle()
        with bot.session() as session:
            stored = session.scalars(select(Answer.text).where(Answer.feature_id == feature_id))
            texts = list(stored)
        figures.duplicates = len(texts) - 1
    finally:
        report.close(figures)
    assert texts == [ANSWERS[0]]


MALFORMED: list[tuple[bytes, str]] = [
    (b"{not json", JSON),
    (b"[]", JSON),
    (b"null", JSON),
    (b'{"type": "event_callback"}', JSON),
    (b'{"type": "event_callback", "event": "nope", "event_id": 7}', JSON),
    (b'{"type": "url_verification"}', JSON),
    (b"\xff\xfe\x00garbage", JSON),
    (b"payload=%7Bbroken", FORM),
    (b"payload=", FORM),
    (b"payload=%5B%5D", FORM),
    (b'payload={"type":"block_actions","actions":[{}]}', FORM),
    (b"command=%2Fkickoff", FORM),
    (b"command=%2Fkickoff&text=%FF%FE&team_id=T0LOCAL", FORM),
    (b"command=%2Falign&text=token", FORM),
    (b"a=b&&&==&%%%", FORM),
    (b"\xff\xfe\x00garbage", FORM),
    (b"", FORM),
    (b"hello", "text/plain"),
]


@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_oversized_and_malformed_bodies_never_500_and_change_nothing(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open("oversized and malformed bodies", backend_of(database_url))
    failures: list[str] = []
    try:
        before = snapshot(bot)
        oversized = bot.driver.send_raw(b"x" * (1024 * 1024 + 1), JSON)
        figures.ack(oversized.elapsed_ms)
        assert oversized.status == 413
        for body, content_type in MALFORMED:
            reply = bot.driver.send_raw(body, content_type)
            figures.ack(reply.elapsed_ms)
            figures.faults += 1
            if reply.status >= 500:
                failures.append(f"{body[:40]!r} ({content_type}) -> {reply.status}")
        figures.faults += 1
        bot.settle()
        assert snapshot(bot) == before
    finally:
        report.close(figures)
    assert not failures, failures


def bot_output(bot: BotUnderTest, extra: list[str]) -> str:
    """Everything the bot said: each recorded Web API call's text and blocks, and replies."""
    said = [json.dumps(call.params, ensure_ascii=False) for call in bot.slack.calls]
    return "\n".join(said + extra)


@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_mrkdwn_injection_in_every_echoed_field_is_escaped(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open("mrkdwn injection in echoed fields", backend_of(database_url))
    replies: list[str] = []
    try:
        thread = Thread(bot.driver, "C0INJECT", f"Inject <!channel> <!subteam^S0EVIL> {LINK}")
        reply = thread.kickoff(figures)
        replies.append(reply.body)
        bot.settle()
        with bot.session() as session:
            feature = session.scalars(select(Feature)).one()
            thread_ts, slug = feature.thread_ts, feature.slug
        assert thread_ts is not None
        answers = [
            "10%",
            f"a refund and {INJECTION}",
            f"something else: {INJECTION}",
            f"CSAT {LINK} ≥ 4.2; <!channel> users ≥ 500",
            "2 s",
            "$0.01 per query",
            "cost",
            f"change error rate to 8% because {INJECTION}",
            f"change cost of an error to {INJECTION}",
        ]
        for text in answers:
            reply = thread.send_event(thread.event_body(text, thread_ts))
            figures.ack(reply.elapsed_ms)
            figures.faults += 1
            bot.settle()
        for command in (f"status {INJECTION}", f"token {INJECTION}", INJECTION, f"status {slug}"):
            reply = bot.driver.command("/align", command, channel_id="C0INJECT")
            figures.ack(reply.elapsed_ms)
            replies.append(reply.body)
        # (<@U…> in /kickoff names a signer on purpose, so it is left out here.)
        reply = bot.driver.command("/kickoff", f"Second {LINK} <!here>", channel_id="C0INJECT")
        replies.append(reply.body)
        figures.ack(reply.elapsed_ms)
        shared = bot.slack.add_file(
            "F0EVIL", f"{INJECTION}.jsonl", b"not json\n", channel="C0INJECT", thread_ts=thread_ts
        )
        bot.driver.message("C0INJECT", INJECTION, thread_ts=thread_ts, files=[shared])
        figures.faults += 1
        time.sleep(0.5)
        bot.settle()
        said = bot_output(bot, replies)
        leaks = [marker for marker in RAW_MARKERS if marker in said]
        figures.scenario += f" ({len(leaks)} of {len(RAW_MARKERS)} markers echoed raw)"
    finally:
        report.close(figures)
    assert "&lt;!channel&gt;" in said  # it was echoed, escaped
    assert not leaks, leaks


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_path_and_sql_injection_is_plain_text_or_refused(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open("path and SQL injection", backend_of(database_url))
    try:
        for name in (SQL, PATH, f"{SQL} {PATH}", "Robert'); DELETE FROM answers;--"):
            reply = bot.driver.command("/kickoff", name, channel_id="C0SQL")
            figures.ack(reply.elapsed_ms)
            figures.faults += 1
            assert reply.status == 200
            bot.settle()
        with bot.session() as session:
            names = set(session.scalars(select(Feature.name)))
            tables = set(inspect(session.get_bind()).get_table_names())
        assert {"features", "answers", "outbox", "eval_runs"} <= tables
        assert SQL in names  # stored as the plain text it is
        before = snapshot(bot)
        runs = [
            cli(database_url, "ingest", PATH, "--feature", SQL),
            cli(database_url, "ingest", "/etc/passwd", "--feature", PATH),
            cli(database_url, "ingest", "/etc", "--feature", "1 OR 1=1"),
        ]
        for run in runs:
            figures.requests += 1
            figures.faults += 1
            assert run.returncode != 0
            assert "Traceback" not in run.stderr and run.stderr.strip(), run.stderr
        for key in (quote(PATH, safe=""), quote(SQL, safe=""), "..%2F..%2Fetc%2Fpasswd"):
            status = api_upload(bot, key)
            figures.requests += 1
            figures.faults += 1
            assert 400 <= status < 500, (key, status)
        exported = cli(database_url, "export", PATH)  # the feature of that name, as text
        assert exported.returncode == 0 and json.dumps(PATH)[1:-1] in exported.stdout
        assert snapshot(bot) == before
    finally:
        report.close(figures)


def api_upload(bot: BotUnderTest, key: str) -> int:
    url = f"{bot.url}/api/v1/features/{key}/eval-runs?name={quote(PATH, safe='')}"
    headers = {"Authorization": "Bearer gl_nope", "Content-Type": "application/octet-stream"}
    request = urllib.request.Request(url, data=b"{}", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
