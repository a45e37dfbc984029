"""Replies addressed to a colleague rather than to the bot: "@raj did security look at this
yet?" answers nothing; "@ana 3% is tight but ok. fallback: …" (an opening mention, no question)
is still read; a line asking a colleague something inside a longer message is set aside and the
rest is read. Pure."""

from __future__ import annotations

from bot.domain.parsing.tokens import words
from bot.domain.said import Markup, Said


def to_colleague(said: Said, text: str, bot_user: str | None) -> bool:
    """Opens by naming someone other than the bot, or asks a question of someone named."""
    if said.starts_with_mention_of(exclude=bot_user) is not None:
        return True
    others = [s for s in said.spans if s.kind is Markup.USER and s.target != bot_user]
    return bool(others) and text.rstrip().endswith("?")


def without_asides(said: Said, text: str, bot_user: str | None) -> str:
    """A message to a colleague with answers in it: "@ana 3% is tight but ok. fallback: …" is
    read (an opening mention with no question in it), and in a longer message a line asking a
    colleague something ("@raj can you check the vendor's latency?") is blanked; the rest is
    read. The text comes back unchanged when every line is such a question."""
    others = [s for s in said.spans if s.kind is Markup.USER and s.target != bot_user]
    chars = list(text)
    start = 0
    lines = text.split("\n")
    for line in lines:
        end = start + len(line)
        asks = line.rstrip().endswith("?") and any(start <= s.start < end for s in others)
        if asks and len(lines) > 1:
            chars[start:end] = " " * len(line)
        start = end + 1
    kept = "".join(chars)
    return kept if words(kept) else text
