"""The playground's stage: the stand-in Slack, the real bot wired to it, and the wait between
"a person did something" and "the bot is done answering"."""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from bot.config import Settings
from bot.errors import ConfigError
from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.playground.cast import CHANNELS, PEOPLE, TEAM_ID
from bot.runtime import Runtime
from bot.store.db import session_scope
from bot.store.models import Feature
from bot.store.queue import work_in_flight

BOT_TOKEN = "xoxb-playground"
# After the outbox drains, lazy listeners (App Home) may still be calling Slack; wait until the
# stand-in has been quiet this long.
QUIET_SECONDS = 0.12


@dataclass
class Stage:
    slack: LocalSlack
    runtime: Runtime
    driver: SlackDriver
    names: dict[str, str] = field(default_factory=dict)

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the bot has sent everything it queued and gone quiet. False on timeout."""
        deadline = time.monotonic() + timeout
        seen, quiet_since = len(self.slack.calls), time.monotonic()
        while time.monotonic() < deadline:
            busy = self.outbox_busy()
            count = len(self.slack.calls)
            if busy or count != seen:
                seen, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS:
                return True
            time.sleep(0.02)
        return False

    def outbox_busy(self) -> int:
        """Messages not yet handled and replies due now (a retry scheduled for later does not
        hold us up)."""
        self.runtime.deps.outbox_ready.set()
        self.runtime.deps.inbox_ready.set()
        now = self.runtime.deps.clock.now()
        with session_scope(self.runtime.deps.session_factory) as session:
            return work_in_flight(session, due_before=now)

    def kickoff_thread(self, channel: str) -> str | None:
        """The newest kickoff thread the bot started in the channel."""
        query = (
            select(Feature.thread_ts)
            .where(
                Feature.team_id == TEAM_ID,
                Feature.channel_id == channel,
                Feature.thread_ts.is_not(None),
            )
            .order_by(Feature.id.desc())
            .limit(1)
        )
        with session_scope(self.runtime.deps.session_factory) as session:
            return session.scalar(query)


def playground_settings(settings: Settings, database_url: str, api_url: str) -> Settings:
    """The operator's settings (language model and all) aimed at the stand-in."""
    return settings.model_copy(
        update={
            "SLACK_BOT_TOKEN": SecretStr(BOT_TOKEN),
            "SLACK_SIGNING_SECRET": SecretStr(secrets.token_hex(16)),
            "SLACK_APP_TOKEN": None,
            "SLACK_CLIENT_ID": None,
            "SLACK_CLIENT_SECRET": None,
            "SLACK_STATE_SECRET": None,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": checked_database_url(database_url),
            "HOST": "127.0.0.1",
            "PORT": 0,
        }
    )


def checked_database_url(url: str) -> str:
    """model_copy skips validation, so run the URL through the same check as the environment."""
    try:
        return Settings.model_validate({"DATABASE_URL": url}).DATABASE_URL
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError("--database", message) from None


@contextmanager
def open_stage(settings: Settings, database_url: str | None = None) -> Iterator[Stage]:
    """Start the stand-in and the bot; stop both and remove the temporary database after."""
    with tempfile.TemporaryDirectory(prefix="groundline-playground-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'playground.db'}"
        with LocalSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as slack:
            for user_id, name, _ in PEOPLE:
                slack.add_user(user_id, name, real_name=name.capitalize())
            for channel_id, channel_name in CHANNELS:
                slack.add_channel(channel_id, channel_name)
            bot_settings = playground_settings(settings, url, slack.api_url)
            runtime = Runtime(bot_settings, pace_seconds=0.0)
            try:
                runtime.start("127.0.0.1", 0)
                assert runtime.http is not None
                secret = bot_settings.SLACK_SIGNING_SECRET
                assert secret is not None
                driver = SlackDriver(
                    f"{runtime.http.url}/slack/events",
                    secret.get_secret_value(),
                    slack,
                    team_id=TEAM_ID,
                )
                names = {user_id: name for user_id, name, _ in PEOPLE}
                yield Stage(slack=slack, runtime=runtime, driver=driver, names=names)
            finally:
                runtime.stop()
