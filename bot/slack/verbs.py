"""One `/align <verb>` as its handler gets it: the command, the words after the verb, the ack
and the request's unit of work (bot/slack/middleware.py), which the app commits once the
handler has returned. The verb table is wired in bot/slack/listeners/__init__.py, so no
listener module imports another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltResponse
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import access
from bot.services.access import Need
from bot.store.models import Feature
from bot.unit_of_work import RequestWork


@dataclass(frozen=True)
class AlignCall:
    deps: Deps
    command: dict[str, Any]
    args: list[str]  # the words after the verb
    ack: Ack
    work: RequestWork

    @property
    def session(self) -> Session:
        return self.work.session

    @property
    def user(self) -> str:
        return str(self.command["user_id"])

    @property
    def team(self) -> str:
        return str(self.command["team_id"])

    def feature(self, key: str, need: Need) -> Feature:
        """The feature the command names, if the person who typed it may `need` it."""
        return access.find(self.session, self.deps.directory, self.team, key, self.user, need)

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Answer only the person who typed it."""
        if blocks is None:
            self.ack(response_type="ephemeral", text=text)
        else:
            self.ack(response_type="ephemeral", text=text, blocks=blocks)

    def reply_encoded(self, body: str) -> None:
        """Answer only the person who typed it with a reply already encoded as Slack's JSON
        (an answer that never changes, encoded once)."""
        self.ack.response = BoltResponse(status=200, body=body)


Handler = Callable[[AlignCall], None]
