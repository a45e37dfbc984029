"""mrkdwn safety: whatever a user typed is escaped before the bot repeats it."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    `<!channel>`, `<@U123>` and `<!subteam^S1>` all start with `<`, so after this no user text
    can ping anyone or fake a link through the bot.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten for Slack's field limits, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
