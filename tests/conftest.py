"""Shared fixtures: a real database (SQLite per test, PostgreSQL per session), the Slack
stand-in, and the running bot over real HTTP."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from bot.clock import ManualClock
from bot.localslack.server import LocalSlack
from bot.store.db import make_engine, upgrade
from tests.support.bot import BotUnderTest, start_bot
from tests.support.postgres import PostgresServer

# A bot with a language model (`llm_bot`, and `openai`, its model's stand-in).
pytest_plugins = ["tests.support.llm"]

_database_numbers = itertools.count()
TEMPLATE = "groundline_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    server.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = make_engine(server.url(TEMPLATE))
    upgrade(engine)
    engine.dispose()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Every test that takes this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/groundline.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield server.url(name)
    server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(bot_token="xoxb-test-token", team_id="T0LOCAL") as standin:
        yield standin


@pytest.fixture
def bot(database_url: str, slack: LocalSlack) -> Iterator[BotUnderTest]:
    running = start_bot(database_url, slack)
    yield running
    running.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def clocked_bot(database_url: str, slack: LocalSlack, clock: ManualClock) -> Iterator[BotUnderTest]:
    """The bot on a clock the test moves by hand, with the scheduler off (tests run jobs)."""
    running = start_bot(database_url, slack, clock=clock, GROUNDLINE_SCHEDULER=False)
    yield running
    running.stop()
