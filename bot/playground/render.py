"""Block Kit and mrkdwn as plain terminal text, so a transcript reads like the Slack screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Block = Mapping[str, Any]
# <@U123>, <@U123|name>, <#C123|name>, <!channel>, <!subteam^S1|@team>, <https://x|label>
_ANGLE = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
# The few emoji the bot uses; any other :name: stays as typed.
EMOJI = {
    "handshake": "🤝",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "warning": "⚠️",
    "x": "❌",
    "tada": "🎉",
    "hourglass_flowing_sand": "⏳",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
}
DIVIDER = "─" * 24


def display_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """mrkdwn as a person would read it: mentions, links and common emoji resolved, entities
    unescaped. `names` maps user and channel ids to names.

    Formatting marks (*bold*, _italic_, `code`) stay, they read fine in a terminal. Mentions are
    resolved before unescaping, so a user's escaped `&lt;!channel&gt;` shows as typed text."""
    known = names or {}

    def resolve(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (label or known.get(target, target))
        if sigil == "#":
            return "#" + (label or known.get(target, target.lower()))
        if sigil == "!":
            shown = label or target.split("^")[0]
            return shown if shown.startswith("@") else "@" + shown
        if ":" not in target:  # not a link: show it as written (`change <what> to …`)
            return match.group(0)
        return f"{label} ({target})" if label and label != target else target

    resolved = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), _ANGLE.sub(resolve, text))
    return resolved.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_message(
    text: str | None,
    blocks: Iterable[Block] | None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """The lines of a message: its blocks when it has any, else its text."""
    lines = render_blocks(blocks or [], names)
    if not lines and text:
        lines = display_text(text, names).splitlines()
    return lines or ["(empty message)"]


def render_blocks(blocks: Iterable[Block], names: Mapping[str, str] | None = None) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        renderer = _RENDERERS.get(str(block.get("type", "")), _unknown)
        lines.extend(renderer(block, names or {}))
    return lines


def view_title(view: Block) -> str:
    return _plain(view.get("title"))


def render_view(view: Block, names: Mapping[str, str] | None = None) -> list[str]:
    """A modal or Home tab's body: its blocks, then its submit and close buttons."""
    lines = render_blocks(view.get("blocks") or [], names)
    submit, close = _plain(view.get("submit")), _plain(view.get("close"))
    buttons = [f"[ {label} ]" for label in (submit, close) if label]
    if buttons:
        lines.append("  ".join(buttons))
    return lines


def button_labels(blocks: Iterable[Block]) -> list[str]:
    """Labels of every button in the blocks (actions blocks and section accessories)."""
    labels: list[str] = []
    for block in blocks:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            elements.append(accessory)
        labels.extend(_plain(e.get("text")) for e in elements if e.get("type") == "button")
    return labels


# --- one renderer per block type ------------------------------------------------------------
Renderer = Callable[[Block, Mapping[str, str]], list[str]]


def _text_object(value: Any, names: Mapping[str, str]) -> str:
    if not isinstance(value, Mapping):
        return ""
    text = str(value.get("text", ""))
    return display_text(text, names) if value.get("type") == "mrkdwn" else text


def _plain(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, Mapping) else ""


def _section(block: Block, names: Mapping[str, str]) -> list[str]:
    lines = _text_object(block.get("text"), names).splitlines()
    for field in block.get("fields") or []:
        lines.extend(_text_object(field, names).splitlines())
    accessory = block.get("accessory")
    if isinstance(accessory, Mapping):
        lines.append(_element(accessory, names))
    return lines


def _context(block: Block, names: Mapping[str, str]) -> list[str]:
    parts = []
    for element in block.get("elements") or []:
        if element.get("type") == "image":
            parts.append(f"[{element.get('alt_text', 'image')}]")
        else:
            parts.append(_text_object(element, names))
    return "  ".join(part for part in parts if part).splitlines()


def _header(block: Block, names: Mapping[str, str]) -> list[str]:
    title = _plain(block.get("text"))
    return [title, "═" * max(len(title), 3)]


def _divider(block: Block, names: Mapping[str, str]) -> list[str]:
    return [DIVIDER]


def _actions(block: Block, names: Mapping[str, str]) -> list[str]:
    return ["  ".join(_element(e, names) for e in block.get("elements") or [])]


def _element(element: Block, names: Mapping[str, str]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[ {_plain(element.get('text'))} ]"
    if kind == "overflow":
        return "[ … ]"
    placeholder = _plain(element.get("placeholder")) or str(kind).replace("_", " ")
    return f"[ {placeholder} ▾ ]"


def _input(block: Block, names: Mapping[str, str]) -> list[str]:
    label = _plain(block.get("label"))
    element = block.get("element")
    initial = element.get("initial_value") if isinstance(element, Mapping) else None
    optional = " (optional)" if block.get("optional") else ""
    return [f"{label}{optional}: {initial or '____'}"]


def _image(block: Block, names: Mapping[str, str]) -> list[str]:
    return [f"[image: {block.get('alt_text') or _plain(block.get('title')) or 'picture'}]"]


def _markdown(block: Block, names: Mapping[str, str]) -> list[str]:
    return display_text(str(block.get("text", "")), names).splitlines()


def _rich_text(block: Block, names: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for element in block.get("elements") or []:
        kind = element.get("type")
        if kind == "rich_text_list":
            for item in element.get("elements") or []:
                lines.append("• " + _rich_inline(item.get("elements") or [], names))
        else:
            text = _rich_inline(element.get("elements") or [], names)
            prefix = "> " if kind == "rich_text_quote" else ""
            lines.extend(prefix + line for line in text.splitlines())
    return lines


def _rich_inline(elements: Iterable[Block], names: Mapping[str, str]) -> str:
    parts: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text", "")))
        elif kind == "user":
            user = str(element.get("user_id", ""))
            parts.append("@" + names.get(user, user))
        elif kind == "link":
            parts.append(str(element.get("text") or element.get("url", "")))
        elif kind == "emoji":
            name = str(element.get("name", ""))
            parts.append(EMOJI.get(name, f":{name}:"))
        elif kind == "channel":
            channel = str(element.get("channel_id", ""))
            parts.append("#" + names.get(channel, channel.lower()))
    return "".join(parts)


def _table(block: Block, names: Mapping[str, str]) -> list[str]:
    """Slack's table block as fixed-width columns (raw_text cells; rich_text as its text)."""
    rows = [
        [
            str(cell.get("text", ""))
            if cell.get("type") == "raw_text"
            else " ".join(_rich_text(cell, names))
            for cell in row
        ]
        for row in block.get("rows") or []
    ]
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows)
    return [line.rstrip() for line in lines]


def _unknown(block: Block, names: Mapping[str, str]) -> list[str]:
    return [f"[{block.get('type', 'unknown')} block]"]


_RENDERERS: dict[str, Renderer] = {
    "table": _table,
    "section": _section,
    "context": _context,
    "header": _header,
    "divider": _divider,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "markdown": _markdown,
    "rich_text": _rich_text,
}
