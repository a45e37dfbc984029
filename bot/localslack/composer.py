"""What Slack's message composer makes of what a person types, so the stand-in sends what Slack
sends (https://api.slack.com/docs/formatting: "A user types: Hello & <world> / Encoded message:
Hello &amp; &lt;world&gt;"):

- `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;` in the `text` of message events and of slash
  commands;
- `@ana` (a member of the workspace) becomes a mention, `@here`/`@channel`/`@everyone` a
  broadcast, `#general` (a known channel) a channel link, and a typed URL a link. In a slash
  command with "Escape channels, users, and links" on, mentions and channels carry the name:
  `<@U0PM|ana>`, `<#C0FEAT|general>`;
- markup written out in full (`<@U0PM>`, `<!here>`, `<https://x|label>`) stands for a mention,
  ping or link picked in the composer and is sent as that markup; any other `<` is escaped;
- the message's rich_text block keeps the raw characters, with user, channel, broadcast and
  link elements where the markup is.

Modal inputs (plain_text_input) are sent as typed: the driver does not call this for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.localslack.workspace import Workspace

_PICKED = re.compile(
    r"<(?:@[UW][A-Z0-9]+(?:\|[^<>|]*)?"
    r"|#[CG][A-Z0-9]+(?:\|[^<>|]*)?"
    r"|!(?:here|channel|everyone)(?:\|[^<>|]*)?"
    r"|!subteam\^[A-Z0-9]+(?:\|[^<>|]*)?"
    r"|(?:https?|mailto):[^<>|\s]+(?:\|[^<>|]*)?)>"
)
_TYPED = re.compile(
    r"(?<![\w@#])@(?P<user>[a-z0-9][a-z0-9._-]*)"
    r"|(?<![\w#&])#(?P<channel>[a-z0-9][a-z0-9_-]*)"
    r"|(?P<url>https?://[^\s<>]+[^\s<>.,;:!?)\]'\"])"
)


@dataclass(frozen=True)
class Piece:
    kind: str  # text | user | channel | broadcast | usergroup | link
    text: str  # what shows (the raw characters for text)
    target: str = ""  # the id, the URL or the broadcast word


def pieces(typed: str, workspace: Workspace) -> list[Piece]:
    """The typed text split into plain text and what the composer turns into markup."""
    found: list[Piece] = []
    last = 0
    for match in _PICKED.finditer(typed):
        found += _typed_pieces(typed[last : match.start()], workspace)
        found.append(_picked(match.group(0)[1:-1]))
        last = match.end()
    return found + _typed_pieces(typed[last:], workspace)


def wire_pieces(wire: str) -> list[Piece]:
    """Pieces of text already in Slack's encoding (a recorded message event's `text`)."""
    found: list[Piece] = []
    last = 0
    for match in re.finditer(r"<([^<>]*)>", wire):
        if match.start() > last:
            found.append(Piece("text", _unescape(wire[last : match.start()])))
        found.append(_picked(_unescape(match.group(1))))
        last = match.end()
    if last < len(wire):
        found.append(Piece("text", _unescape(wire[last:])))
    return found


def _unescape(text: str) -> str:
    return re.sub(r"&(lt|gt|amp);", lambda m: {"lt": "<", "gt": ">", "amp": "&"}[m[1]], text)


def _picked(inner: str) -> Piece:
    head, _, label = inner.partition("|")
    if head.startswith("@"):
        return Piece("user", label or head[1:], head[1:])
    if head.startswith("#"):
        return Piece("channel", label or head[1:], head[1:])
    if head.startswith("!subteam^"):
        return Piece("usergroup", label, head.removeprefix("!subteam^"))
    if head.startswith("!"):
        return Piece("broadcast", head[1:], head[1:])
    return Piece("link", label or head, head)


def _typed_pieces(typed: str, workspace: Workspace) -> list[Piece]:
    found: list[Piece] = []
    last = 0
    for match in _TYPED.finditer(typed):
        piece = _recognised(match, workspace)
        if piece is None:
            continue
        if match.start() > last:
            found.append(Piece("text", typed[last : match.start()]))
        found.append(piece)
        last = match.end()
    if last < len(typed):
        found.append(Piece("text", typed[last:]))
    return found


def _recognised(match: re.Match[str], workspace: Workspace) -> Piece | None:
    if match.group("url"):
        return Piece("link", match.group("url"), match.group("url"))
    with workspace.lock:
        if name := match.group("user"):
            if name in ("here", "channel", "everyone"):
                return Piece("broadcast", name, name)
            user = next((u for u, r in workspace.users.items() if r.get("name") == name), None)
            return Piece("user", name, user) if user else None
        name = match.group("channel")
        channel = next((c.id for c in workspace.channels.values() if c.name == name), None)
        return Piece("channel", name, channel) if channel else None


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wire_text(found: list[Piece], *, command: bool) -> str:
    """The `text` field Slack sends for these pieces."""
    out: list[str] = []
    for piece in found:
        if piece.kind == "text":
            out.append(escape(piece.text))
        elif piece.kind == "user":
            out.append(f"<@{piece.target}|{piece.text}>" if command else f"<@{piece.target}>")
        elif piece.kind == "channel":
            out.append(f"<#{piece.target}|{piece.text}>")
        elif piece.kind == "broadcast":
            out.append(f"<!{piece.target}>")
        elif piece.kind == "usergroup":
            out.append(f"<!subteam^{piece.target}|{piece.text}>" if piece.text else "")
        else:
            label = "" if piece.text == piece.target else f"|{escape(piece.text)}"
            out.append(f"<{escape(piece.target)}{label}>")
    return "".join(out)


def rich_text(found: list[Piece], block_id: str) -> list[dict[str, Any]]:
    """The rich_text block of a message: raw characters, markup as elements."""
    elements: list[dict[str, Any]] = []
    for piece in found:
        if piece.kind == "text":
            elements.append({"type": "text", "text": piece.text})
        elif piece.kind == "user":
            elements.append({"type": "user", "user_id": piece.target})
        elif piece.kind == "channel":
            elements.append({"type": "channel", "channel_id": piece.target})
        elif piece.kind == "broadcast":
            elements.append({"type": "broadcast", "range": piece.target})
        elif piece.kind == "usergroup":
            elements.append({"type": "usergroup", "usergroup_id": piece.target})
        else:
            link = {"type": "link", "url": piece.target}
            elements.append(link | ({"text": piece.text} if piece.text != piece.target else {}))
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": block_id, "elements": [section]}]
