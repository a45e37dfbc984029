"""The buttons under a run's checks change what counts as a wrong answer: pressed through the
signed HTTP app as people would (the right person, an outsider, an old list, two at once), the
stored runs recounted after the ack, on SQLite and PostgreSQL. Expected counts come straight
from the raw promptfoo file, not through bot.ingest."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.store.models import EvalRun
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, PM, run_cli
from tests.support.wrong_choice import (
    ENGINEER,
    OUTSIDER,
    REAL,
    choice,
    current,
    first_run,
    listings,
    press_together,
    told,
)


def raw_wrong(counted: set[str]) -> int:
    """Answered cases of promptfoo.json that failed a check named in `counted` (promptfoo
    names an assertion by its `metric`, else by its type)."""
    data = json.loads((REAL / "promptfoo.json").read_text())
    wrong = 0
    for result in data["results"]["results"]:
        if result.get("failureReason") == 2:  # an error: no answer to judge
            continue
        components = (result.get("gradingResult") or {}).get("componentResults") or []
        failed = {
            c["assertion"].get("metric") or c["assertion"]["type"]
            for c in components
            if not c["pass"]
        }
        wrong += bool(failed & counted)
    return wrong


DEFAULT = {"cites-source", "groundedness"}  # llm-rubric and icontains with those metric names


def labels(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        found += [e["text"]["text"] for e in elements if e.get("type") == "button"]
    return found


def n_failed(bot: BotUnderTest) -> list[int]:
    """Each stored run's wrong answers, as the report and the export read them."""
    with bot.session() as session:
        return list(session.scalars(select(EvalRun.n_failed).order_by(EvalRun.id)))


def press(bot: BotUnderTest, message: dict[str, Any], label: str, user: str = PM) -> None:
    reply = bot.driver.press(message, label=label, user=user)
    assert reply.status == 200, reply.body
    bot.settle()


def test_buttons_change_what_counts_and_the_runs_are_recounted(bot: BotUnderTest) -> None:
    thread, listing = first_run(bot)
    assert "`length` (other, 1 of 11 failed): does not count" in listing["text"]
    assert "`latency` (latency, 1 of 11 failed): judged by the latency budget" in listing["text"]
    # A toggle per check that may count; none for latency and cost; no "default" yet.
    assert sorted(labels(listing)) == [
        "Count length",
        "Don't count cites-source",
        "Don't count groundedness",
    ]
    assert n_failed(bot) == [raw_wrong(DEFAULT)] == [3]

    press(bot, listing, "Count length")
    shown = current(bot, listing)  # the pressed list now shows the new choice
    assert "`length` (other, 1 of 11 failed): counts as a wrong answer" in shown["text"]
    assert "Don't count length" in labels(shown) and "Back to the default" in labels(shown)
    lines = [m["text"] for m in bot.slack.bot_messages(CHANNEL, thread)]
    assert any(f"<@{PM}> now counts `length` as a wrong answer" in line for line in lines)
    assert n_failed(bot) == [raw_wrong(DEFAULT | {"length"})] == [4]
    assert any(
        "Recounted 1 stored run" in m["text"] for m in bot.slack.bot_messages(CHANNEL, thread)
    )
    assert choice(bot)[0] == ["cites-source", "groundedness", "length"]

    press(bot, shown, "Don't count groundedness", user=ENGINEER)
    assert n_failed(bot) == [raw_wrong({"cites-source", "length"})]
    assert choice(bot)[0] == ["cites-source", "length"]

    press(bot, current(bot, listing), "Back to the default")
    assert choice(bot)[0] is None
    assert n_failed(bot) == [raw_wrong(DEFAULT)]
    assert "Back to the default" not in labels(current(bot, listing))

    # The same checks again: one summary line, no second list.
    later = run_cli(bot, "ingest", str(REAL / "promptfoo.jsonl"), "--feature", "support-answers")
    assert later.returncode == 0, later.stderr
    bot.settle()
    assert len(listings(bot, thread)) == 1


def test_outsiders_and_old_lists_change_nothing(bot: BotUnderTest) -> None:
    _thread, listing = first_run(bot)
    before = choice(bot)

    press(bot, listing, "Count length", user=OUTSIDER)
    assert any("Only the feature's PM" in text for text in told(bot))
    assert choice(bot) == before
    assert labels(current(bot, listing)) == labels(listing)

    typed = bot.driver.command(
        "/align", "wrong support-answers cites-source", user_id=PM, channel_id=CHANNEL
    )
    assert "wrong = failed cites-source" in str(typed.json()["text"])
    bot.settle()
    assert choice(bot)[0] == ["cites-source"]
    assert n_failed(bot) == [raw_wrong({"cites-source"})]

    # The list still shows the default; its press is stale: nothing changes, the list and
    # the presser get the current choice.
    press(bot, listing, "Count length", user=ENGINEER)
    assert choice(bot)[0] == ["cites-source"]
    stale = [t for t in told(bot) if "Nothing changed" in t]
    assert stale and f"<@{PM}>" in stale[-1] and "wrong = failed cites-source" in stale[-1]
    refreshed = current(bot, listing)
    assert "`groundedness` (groundedness, 3 of 11 failed): does not count" in refreshed["text"]
    assert "Count groundedness" in labels(refreshed)

    press(bot, refreshed, "Count length", user=ENGINEER)  # now from the current list: it counts
    assert choice(bot)[0] == ["cites-source", "length"]
    assert n_failed(bot) == [raw_wrong({"cites-source", "length"})]


PAIRS = [
    ("Count length", "Don't count cites-source"),
    ("Don't count groundedness", "Count length"),
    ("Don't count cites-source", "Don't count groundedness"),
]


def test_two_presses_at_once_change_the_choice_once(bot: BotUnderTest) -> None:
    _thread, listing = first_run(bot)
    for trial, (first, second) in enumerate(PAIRS):
        shown = current(bot, listing)  # the default, drawn from the current version
        _, version = choice(bot)
        statuses = press_together(bot, shown, [(first, PM), (second, ENGINEER)])
        bot.settle()
        assert statuses == [200, 200], trial
        chosen, after = choice(bot)
        assert after == version + 1, f"trial {trial}: {after - version} changes"
        stale = [t for t in told(bot) if "Nothing changed" in t]
        assert len(stale) == trial + 1, stale
        assert n_failed(bot) == [raw_wrong(set(chosen or DEFAULT))]
        press(bot, current(bot, listing), "Back to the default")
        assert choice(bot)[0] is None
