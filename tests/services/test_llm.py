"""The language model wrapper through the real `openai` client against LocalOpenAI, the
structured reader, and the number guard.
(Over 300 lines: each way a model's answer can go wrong, and the number guard's table.)
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai import OpenAI
from pydantic import BaseModel

from bot.config import Settings
from bot.llm import (
    BoundedModel,
    OpenAIModel,
    allowed_numbers,
    numbers_in,
    only_allowed_numbers,
    read_structured,
)
from bot.localopenai import LocalOpenAI

SECRET_KEY = "sk-local-test-key-do-not-log"
PROMPT = "Private prompt text about feature checkout-helper"


@pytest.fixture
def openai_standin() -> Iterator[LocalOpenAI]:
    with LocalOpenAI() as standin:
        yield standin


def model_for(standin: LocalOpenAI) -> OpenAIModel:
    settings = Settings(
        OPENAI_API_KEY=SECRET_KEY,  # type: ignore[arg-type]
        OPENAI_BASE_URL=standin.base_url,
        OPENAI_MODEL="gpt-local",
    )
    model = OpenAIModel.from_settings(settings)
    assert model is not None
    return model


class Reading(BaseModel):
    metric: str
    target: float


# --- the stand-in itself -------------------------------------------------------------------


def test_standin_answers_like_openai_through_the_real_client(openai_standin: LocalOpenAI) -> None:
    openai_standin.reply_with('{"a": 1}')
    client = OpenAI(api_key="sk-x", base_url=openai_standin.base_url, max_retries=0)
    completion = client.chat.completions.create(
        model="gpt-local", messages=[{"role": "user", "content": "hello there"}]
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-local"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == '{"a": 1}'
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens == 2
    assert openai_standin.requests[0]["messages"][0]["content"] == "hello there"


def test_standin_refuses_requests_without_a_key(openai_standin: LocalOpenAI) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", openai_standin.port, timeout=5)
    body = json.dumps({"model": "m", "messages": []})
    connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    assert response.status == 401
    assert set(payload["error"]) == {"message", "type", "param", "code"}
    assert openai_standin.requests == []


def test_queued_replies_come_before_the_responder_then_the_default(
    openai_standin: LocalOpenAI,
) -> None:
    client = OpenAI(api_key="sk-x", base_url=openai_standin.base_url, max_retries=0)
    openai_standin.default_reply = '{"default": true}'
    openai_standin.reply_with('{"queued": 1}', times=2)

    def ask() -> str | None:
        completion = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "q"}]
        )
        return completion.choices[0].message.content

    assert ask() == '{"queued": 1}'
    assert ask() == '{"queued": 1}'
    openai_standin.responder = lambda request: json.dumps({"echo": request["model"]})
    assert ask() == '{"echo": "m"}'
    openai_standin.responder = None
    assert ask() == '{"default": true}'


def test_stop_does_not_wait_for_a_delayed_answer() -> None:
    standin = LocalOpenAI().start()
    standin.delay(25)
    model = model_for(standin)
    started = time.monotonic()
    caller = threading.Thread(target=model.complete_json, args=("s", "u", 8.0), daemon=True)
    caller.start()
    while not standin.requests and time.monotonic() - started < 5:
        time.sleep(0.01)
    standin.stop()
    assert time.monotonic() - started < 3
    caller.join(timeout=5)
    assert not caller.is_alive()


# --- OpenAIModel -----------------------------------------------------------------------------


def test_from_settings_is_none_without_a_key() -> None:
    assert OpenAIModel.from_settings(Settings(OPENAI_API_KEY=None)) is None


def test_success_sends_json_mode_at_temperature_zero(openai_standin: LocalOpenAI) -> None:
    openai_standin.reply_with('{"metric": "accuracy", "target": 0.9}')
    answer = model_for(openai_standin).complete_json("system words", "user words", 2.0)
    assert answer == '{"metric": "accuracy", "target": 0.9}'
    sent = openai_standin.requests[0]
    assert sent["model"] == "gpt-local"
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["temperature"] == 0
    assert sent["messages"] == [
        {"role": "system", "content": "system words"},
        {"role": "user", "content": "user words"},
    ]


def test_timeout_gives_none_quickly_without_retrying(
    openai_standin: LocalOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    openai_standin.delay(3)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.llm"):
        assert model_for(openai_standin).complete_json("s", PROMPT, 0.5) is None
    assert time.monotonic() - started < 1.5
    assert len(openai_standin.requests) == 1
    assert "Timeout" in caplog.text
    assert SECRET_KEY not in caplog.text and PROMPT not in caplog.text


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_http_errors_give_none_without_retrying(
    openai_standin: LocalOpenAI, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    openai_standin.fail(status)
    with caplog.at_level(logging.WARNING, logger="bot.llm"):
        assert model_for(openai_standin).complete_json("s", PROMPT, 2.0) is None
    assert len(openai_standin.requests) == 1
    assert f"HTTP {status}" in caplog.text
    assert SECRET_KEY not in caplog.text and PROMPT not in caplog.text


def test_connection_refused_gives_none() -> None:
    standin = LocalOpenAI().start()
    model = model_for(standin)
    standin.stop()
    assert model.complete_json("s", "u", 1.0) is None


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '"text"', '{"cut": '])
def test_content_that_is_not_a_json_object_gives_none(
    openai_standin: LocalOpenAI, content: str
) -> None:
    openai_standin.reply_with(content)
    assert model_for(openai_standin).complete_json("s", "u", 2.0) is None


def test_read_structured_validates_into_the_schema(openai_standin: LocalOpenAI) -> None:
    openai_standin.reply_with('{"metric": "accuracy", "target": 0.9}')
    model = model_for(openai_standin)
    assert read_structured(model, "s", "u", Reading, 2.0) == Reading(metric="accuracy", target=0.9)


@pytest.mark.parametrize(
    "content", ['{"metric": "accuracy"}', '{"metric": "a", "target": "high"}', "{}"]
)
def test_read_structured_is_none_when_the_answer_does_not_fit(
    openai_standin: LocalOpenAI, content: str
) -> None:
    openai_standin.reply_with(content)
    assert read_structured(model_for(openai_standin), "s", "u", Reading, 2.0) is None


def test_read_structured_is_none_when_the_call_fails(openai_standin: LocalOpenAI) -> None:
    openai_standin.fail(500)
    assert read_structured(model_for(openai_standin), "s", "u", Reading, 2.0) is None


# --- the number guard ------------------------------------------------------------------------

FACTS = {"27%", "412", "10%", "3 in 10", "23–31%", "$0.01", "2,000", "1.5 s"}

GUARD_CASES: list[tuple[str, bool]] = [
    ("27% of answers were wrong.", True),
    ("We checked 412 answers.", True),
    ("About 3 in 10 answers failed.", True),
    ("The true rate is likely 23–31%.", True),
    ("The true rate is likely 23-31%.", True),
    ("between 23% and 31%", True),
    ("Each call costs $0.01.", True),
    ("We ran 2,000 checks.", True),
    ("We ran 2000 checks.", True),
    ("Answers take 1.5 seconds.", True),
    ("27 percent of answers.", True),
    ("three in ten answers", True),
    ("No numbers at all here.", True),
    ("one of the checks failed", True),
    ("27.0% of answers", True),
    ("28% of answers were wrong.", False),
    ("27 answers were wrong.", False),
    ("0.27 of answers", False),
    ("We checked 413 answers.", False),
    ("We ran 2k checks.", False),
    ("Each call costs 0.01.", False),
    ("Each call costs $0.1.", False),
    ("A -27% change.", False),
    ("About 4 in 10 answers failed.", False),
    ("23 answers", False),
    ("31%", True),
    ("27% of 412, so roughly 111.", False),
    ("Answers take 2 seconds.", False),
    ("twenty-seven percent", False),
    ("a hundred answers", False),
    ("½ of the answers", False),
    ("٢٧% of answers", False),
    ("2,00 checks", False),
]


@pytest.mark.parametrize(("text", "expected"), GUARD_CASES)
def test_only_allowed_numbers(text: str, expected: bool) -> None:
    assert only_allowed_numbers(text, FACTS) is expected


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("27% of 412", ["27%", "412"]),
        ("2,000 and 1,234.50", ["2000", "1234.5"]),
        ("0.50 vs 2.0 vs .5 vs 007", ["0.5", "2", "0.5", "7"]),
        ("23–31%", ["23%", "31%"]),
        ("$5–10", ["$5", "$10"]),
        ("a -3% drop, a +3% rise, (−4%)", ["-3%", "+3%", "-4%"]),
        ("gpt-4o on 2024-05-01", ["4", "2024", "5", "1"]),
        ("1.5 s, 10ms, 2k, 1.5M, 3x", ["1.5", "10", "2k", "1.5M", "3x"]),
        ("27 %", ["27%"]),
        ("three in ten, twenty-three", ["3", "10", "23"]),
        ("1,5", ["1", "5"]),
    ],
)
def test_numbers_in(text: str, numbers: list[str]) -> None:
    assert numbers_in(text) == numbers


def test_allowed_numbers_reads_inside_formatted_facts() -> None:
    assert allowed_numbers(FACTS) == {
        "27%",
        "412",
        "10%",
        "3",
        "10",
        "23%",
        "31%",
        "$0.01",
        "2000",
        "1.5",
    }


fact_numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(lambda n: f"{n:,}"),
    st.integers(min_value=0, max_value=100).map(lambda n: f"{n}%"),
    st.decimals(min_value=0, max_value=1000, places=2).map(lambda d: f"${d}"),
    st.decimals(min_value=0, max_value=100, places=1).map(lambda d: f"{d}%"),
)
filler = st.sampled_from(["and", "then", "of the answers;", "we saw", "roughly", "about"])


@settings(max_examples=200, deadline=None)
@given(facts=st.lists(fact_numbers, min_size=1, max_size=6), data=st.data())
def test_text_of_allowed_numbers_passes_and_any_other_number_fails(
    facts: list[str], data: st.DataObject
) -> None:
    chosen = data.draw(st.lists(st.sampled_from(facts), min_size=1, max_size=8))
    words = [f"{number} {data.draw(filler)}" for number in chosen]
    text = " ".join(words)
    assert only_allowed_numbers(text, set(facts))

    intruder = data.draw(fact_numbers)
    if numbers_in(intruder)[0] in allowed_numbers(facts):
        return
    position = data.draw(st.integers(min_value=0, max_value=len(words)))
    with_intruder = [*words[:position], f"{intruder} {data.draw(filler)}", *words[position:]]
    assert not only_allowed_numbers(" ".join(with_intruder), set(facts))


def test_a_busy_model_answers_none_at_once_instead_of_queueing(
    openai_standin: LocalOpenAI,
) -> None:
    openai_standin.delay(2.0)
    bounded = BoundedModel(model_for(openai_standin), slots=1)
    first: list[str | None] = []
    slow = threading.Thread(target=lambda: first.append(bounded.complete_json("s", "u", 5.0)))
    slow.start()
    deadline = time.monotonic() + 5
    while not openai_standin.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bounded.complete_json("s", "u", 5.0) is None  # the only slot is taken
    assert len(openai_standin.requests) == 1  # and the second call never reached the model
    slow.join(timeout=10)
    assert first and first[0] is not None
    assert bounded.complete_json("s", "u", 5.0) is not None  # the slot is free again
