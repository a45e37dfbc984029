"""How wording is marked up: plain for the command line and Slack's `text` fallback, mrkdwn for
Block Kit. The domain words things once and a Style escapes, bolds and mentions, so it stays
free of Slack while Slack output escapes every user-typed string."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.mrkdwn import escape


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Style:
    esc: Callable[[str], str] = _same
    bold: Callable[[str], str] = _same
    mention: Callable[[str], str] = _same


PLAIN = Style()


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(user_id)


# Slack's mrkdwn: what the bot posts in `text` and in Block Kit sections.
MRKDWN = Style(esc=escape, bold=lambda text: f"*{text}*", mention=_mention)
