"""How an eval file travels to the upload API, as CI pipelines really send it. Found by the
adversarial pass: a body in chunks without a Content-Length (`curl -T -` from a pipe, `requests`
with a generator) was read as empty ("no test cases (the file is empty)"); a multipart form
(`curl -F file=@results.json`) was called "not a promptfoo … file" though it held one; a gzipped
body was "not a text file"."""

from __future__ import annotations

import gzip
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.localslack.server import LocalSlack
from bot.store.models import EvalRun
from tests.support.bot import BotUnderTest, start_bot
from tests.support.evals import issue_token, start_feature, upload
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


def test_a_multipart_form_or_a_compressed_body_is_refused_saying_how_to_send_it(
    bot: BotUnderTest,
) -> None:
    start_feature(bot)
    token = issue_token(bot, "support-answers")
    body = (EVAL_FIXTURES / "real" / "promptfoo.json").read_bytes()
    boundary = "----x7MA4YWxkTrZu0gW"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="results.json"\r\nContent-Type: application/json\r\n\r\n'
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    sent = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    refused = upload(bot, "support-answers", form, token, headers=sent)
    assert refused.status == 415, refused.body
    assert "curl -F" in refused.body["message"] and "--data-binary" in refused.body["message"]

    packed = upload(
        bot, "support-answers", gzip.compress(body), token, headers={"Content-Encoding": "gzip"}
    )
    assert packed.status == 415, packed.body
    assert "gzip" in packed.body["message"] and "uncompressed" in packed.body["message"]
    with bot.session() as session:
        assert session.scalar(select(func.count()).select_from(EvalRun)) == 0
    # The same file as the body, as documented, is stored.
    assert upload(bot, "support-answers", body, token).status == 201
