"""mrkdwn safety: whatever a user typed is escaped before the bot repeats it."""

from __future__ import annotations

import re


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    `<!channel>`, `<@U123>` and `<!subteam^S1>` all start with `<`, so after this no user text
    can ping anyone or fake a link through the bot.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten for Slack's field limits, marking the cut. Never cuts an entity (`&lt;`) or a
    piece of markup (`<@U1>`, `<url|label>`) in half: half an entity is a raw `&`, half a
    mention a raw `<`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    ampersand = cut.rfind("&")
    if ampersand != -1 and ";" not in cut[ampersand:]:
        cut = cut[:ampersand]
    opening = cut.rfind("<")
    if opening != -1 and ">" not in cut[opening:]:
        cut = cut[:opening]
    return cut + "…"


_CHANNEL = re.compile(r"<#[CGD][A-Z0-9]+(?:\|([^>]*))?>")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<[^|>]+\|([^>]*)>")
_EMPHASIS = re.compile(r"[*`]")


def plain(text: str) -> str:
    """Our mrkdwn sentence as plain text, for the places Slack shows no markup (a form's error
    under a field): channel links become their name, mentions "them", links their label."""
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "the channel", text)
    text = _MENTION.sub("them", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _EMPHASIS.sub("", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def thread_link(channel_id: str, ts: str) -> str:
    """The web link to a message (Slack's permalink form: the ts without its dot); Slack opens
    it in the app for anyone who may see the channel."""
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
