"""Uploads sent without a Content-Length, in chunks (`curl -T -` from a pipe, `requests` with a
generator, Go's http client with a streamed body): found by the adversarial pass, where the
API read nothing and answered "no test cases (the file is empty)"."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.localslack.server import LocalSlack
from bot.store.models import EvalRun
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import issue_token, start_feature
from tests.support.paths import EVAL_FIXTURES


def chunked_upload(bot: BotUnderTest, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    parts = urlsplit(bot.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.putrequest("POST", "/api/v1/features/support-answers/eval-runs")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for start in range(0, len(body), 4096):
            chunk = body[start : start + 4096]
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_upload_is_read_to_its_end(bot: BotUnderTest) -> None:
    start_feature(bot)
    token = issue_token(bot, "support-answers")
    body = (EVAL_FIXTURES / "real" / "promptfoo.json").read_bytes()
    assert len(body) > 4096  # several chunks
    status, run = chunked_upload(bot, token, body)
    assert status == 201, run
    assert run["n"] == 11 and run["format"] == "promptfoo"


def test_a_chunked_upload_over_the_limit_is_refused_and_stores_nothing(
    database_url: str, slack: LocalSlack
) -> None:
    body = (EVAL_FIXTURES / "real" / "promptfoo.json").read_bytes()
    bot = start_bot(database_url, slack, GROUNDLINE_MAX_UPLOAD_BYTES=len(body) - 1)
    try:
        start_feature(bot)
        token = issue_token(bot, "support-answers")
        status, refused = chunked_upload(bot, token, body)
        assert status == 413, refused
        assert f"{len(body) - 1:,} bytes" in refused["message"]
        with bot.session() as session:
            assert session.scalar(select(func.count()).select_from(EvalRun)) == 0
    finally:
        bot.stop()
