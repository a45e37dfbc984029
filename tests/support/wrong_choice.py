"""The buttons under a run's checks (what counts as a wrong answer): a first run of the real
promptfoo file, the listing with its buttons, presses released together, and what was chosen
and told."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import CHANNEL, run_cli, start_feature
from tests.support.paths import EVAL_FIXTURES

REAL = EVAL_FIXTURES / "real"


ENGINEER = "U0ENG"


OUTSIDER = "U0OTHER"


LISTING = "Checks in this file"


def listings(bot: BotUnderTest, thread_ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.bot_messages(CHANNEL, thread_ts)
        if str(m.get("text", "")).startswith(LISTING)
    ]


def first_listing(bot: BotUnderTest, thread_ts: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        bot.settle()
        found = listings(bot, thread_ts)
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the thread never listed the run's checks")


def current(bot: BotUnderTest, message: dict[str, Any]) -> dict[str, Any]:
    stored = bot.slack.message(CHANNEL, str(message["ts"]))
    assert stored is not None
    return stored


def told(bot: BotUnderTest) -> list[str]:
    """What people were told privately (response_url answers and ephemeral posts)."""
    replies = bot.slack.calls_to("response_url") + bot.slack.calls_to("chat.postEphemeral")
    return [str(c.params.get("text", "")) for c in replies]


def choice(bot: BotUnderTest) -> tuple[list[str] | None, int]:
    with bot.session() as session:
        feature = session.scalars(select(Feature)).one()
        chosen = (feature.wrong_checks_json or {}).get("checks")
        return chosen, feature.wrong_choice_version


def first_run(bot: BotUnderTest) -> tuple[str, dict[str, Any]]:
    feature = start_feature(bot)
    assert feature.thread_ts is not None
    with bot.session() as session:
        session.get_one(Feature, feature.id).engineer_user_id = ENGINEER
    cli = run_cli(bot, "ingest", str(REAL / "promptfoo.json"), "--feature", "support-answers")
    assert cli.returncode == 0, cli.stderr
    return feature.thread_ts, first_listing(bot, feature.thread_ts)


def press_together(
    bot: BotUnderTest, shown: dict[str, Any], presses: list[tuple[str, str]]
) -> list[int]:
    """Each (label, user) pressed on the same list in its own thread, released together."""
    barrier = threading.Barrier(len(presses))
    statuses: list[int] = []

    def click(label: str, user: str) -> None:
        barrier.wait()
        statuses.append(bot.driver.press(shown, label=label, user=user).status)

    pressers = [threading.Thread(target=click, args=press) for press in presses]
    for presser in pressers:
        presser.start()
    for presser in pressers:
        presser.join(timeout=30)
    return statuses
