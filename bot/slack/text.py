"""Slack's text format, read once at the boundary: every listener that takes what a person typed
turns it into a `Said` here, and nothing past this module sees `&amp;` or `<@U…>`.

What Slack sends (https://api.slack.com/docs/formatting, "How to escape characters" and
"Control sequences": "All text in Slack uses the same system of escaping"): in a message
event's `text` and a slash command's `text`, a typed `&`, `<` and `>` arrive as `&amp;`, `&lt;`
and `&gt;` (python-slack-sdk#95: "When I send `1 & 3` on slack, this library receive
`1 &amp; 3`"; slack-ruby-bot#237 the same for `&`). Everything between a raw `<` and `>` is
markup: `<@U123>` (`<@U123|ana>` in slash commands with "Escape channels, users, and links"
on, as our manifest sets `should_escape: true`), `<#C123|general>`, `<!here>`,
`<!subteam^S123|@team>`, `<https://…|label>`. A modal's plain_text_input value is the text as
typed, with no entities (Block Kit's plain-text input element reference describes no escaping),
so view submissions are not read through here.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain.said import Markup, Said, Span

_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|(.*))?$")
_CHANNEL = re.compile(r"^#([CG][A-Z0-9]+)(?:\|(.*))?$")
_SPECIAL = re.compile(r"^!([a-z]+)(?:\^([^|]*))?(?:\|(.*))?$")
_LINK = re.compile(r"^([a-z][a-z0-9+.-]*:[^|]+)(?:\|(.*))?$", re.IGNORECASE)
_BROADCASTS = {"here", "channel", "everyone"}


def decode(text: str) -> str:
    """`&amp;`, `&lt;`, `&gt;` back to the characters typed (one pass, so `&amp;lt;` is `&lt;`)."""
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


def read(wire: object) -> Said:
    """A message's or command's `text` as Slack sent it, read into readable text plus spans."""
    text = wire if isinstance(wire, str) else ""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    last = 0
    for match in _MARKUP.finditer(text):
        plain = decode(text[last : match.start()])
        parts.append(plain)
        length += len(plain)
        last = match.end()
        shown, kind, target = _markup(match.group(1))
        parts.append(shown)
        if kind is not None:
            spans.append(Span(kind, length, length + len(shown), target))
        length += len(shown)
    parts.append(decode(text[last:]))
    return Said("".join(parts), tuple(spans))


def _markup(inner: str) -> tuple[str, Markup | None, str]:
    """What one `<…>` shows, and what it is."""
    if user := _USER.match(inner):
        label = decode(user.group(2) or "")
        return f"@{label or user.group(1)}", Markup.USER, user.group(1)
    if channel := _CHANNEL.match(inner):
        label = decode(channel.group(2) or "")
        return f"#{label or channel.group(1)}", Markup.CHANNEL, channel.group(1)
    if special := _SPECIAL.match(inner):
        word, target, label = special.group(1), special.group(2), decode(special.group(3) or "")
        if word in _BROADCASTS:
            return f"@{word}", Markup.BROADCAST, word
        if word == "subteam" and target:
            return label or f"@{target}", Markup.USERGROUP, target
        return label, None, ""  # <!date^…|fallback> and the like: the fallback text
    if link := _LINK.match(inner):
        url, label = decode(link.group(1)), decode(link.group(2) or "")
        return label or url, Markup.LINK, url
    return decode(f"<{inner}>"), None, ""  # not markup Slack makes: keep it as text


def bot_user_of(body: dict[str, Any]) -> str | None:
    """The bot's own user id, from an Events API body's authorizations."""
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            user = authorization.get("user_id")
            return str(user) if user else None
    return None
