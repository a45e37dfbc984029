"""A hypothesis fuzz of every payload parser and of the HTTP endpoint: each input gets a clear
answer (a value, a follow-up, a 4xx) and nothing is stored."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.domain import checklist, parsing
from bot.domain.parsing import Parsed, Unclear
from bot.ingest.detect import read_cases
from bot.ingest.model import IngestError
from bot.localslack.driver import FORM, JSON
from bot.store.models import Answer, Feature
from tests.support.bot import BotUnderTest
from tests.support.figures import FULL, scaled

EXAMPLES = scaled(60, 400)
PARSERS = [
    parsing.parse_error_rate,
    parsing.parse_error_impact,
    parsing.parse_fallback,
    parsing.parse_success_metrics,
    parsing.parse_latency_ms,
    parsing.parse_cost_per_query_usd,
    parsing.parse_tradeoff,
]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not FULL)
answers_text = st.text(max_size=300) | st.sampled_from(["", " ", "0", "1e999", "nan", "-5%"])


@FUZZ
@given(answers_text)
def test_every_answer_parser_gives_a_value_or_a_follow_up(text: str) -> None:
    for parser in PARSERS:
        result = parser(text)
        assert isinstance(result, Parsed) or (isinstance(result, Unclear) and result.reply)
    for step in checklist.Step:
        result = checklist.parse_answer(step, text)
        assert isinstance(result, Parsed) or (isinstance(result, Unclear) and result.reply)
    edit = parsing.parse_edit_request(text, checklist.names())
    assert edit is None or (isinstance(edit, tuple) and len(edit) == 2)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["upload", "x.csv", "x.jsonl", "x.json"]))
def test_read_cases_reads_or_refuses_arbitrary_bytes(data: bytes, name: str) -> None:
    try:
        _, rows, _ = read_cases(io.BytesIO(data), name=name)
        list(rows)
    except IngestError as refused:
        assert str(refused).strip()


@settings(
    max_examples=scaled(40, 300),
    deadline=None,
    derandomize=not FULL,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=st.binary(max_size=600), content_type=st.sampled_from([JSON, FORM, "text/plain"]))
def test_signed_arbitrary_bodies_never_500_and_store_nothing(
    bot: BotUnderTest, body: bytes, content_type: str
) -> None:
    reply = bot.driver.send_raw(body, content_type)
    assert reply.status < 500, (body, reply.status, reply.body[:200])
    with bot.session() as session:
        for model in (Feature, Answer):
            assert session.scalar(select(func.count()).select_from(model)) == 0
