"""Block Kit, as pure functions returning lists of blocks. Callers escape user text first."""

from __future__ import annotations

from typing import Any

from bot.domain.mrkdwn import clip

Block = dict[str, Any]


TEXT_LIMIT = 3000  # characters in one text object (Slack's Block Kit reference)


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, TEXT_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, TEXT_LIMIT)}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def button(label: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


HELP_LINES = [
    ("/kickoff <feature name> [@pm] [@engineer]", "start the pre-build checklist in a thread"),
    ("/align status [feature]", "stage, agreed targets and latest numbers"),
    ("/align report <feature>", "post the report for a feature now"),
    ("/align metric <feature> <name> <value>", "record a success measure, e.g. `csat 4.3`"),
    ("/align wrong <feature> <check> …", "choose which failed checks count as a wrong answer"),
    ("/align reframe <text>", "turn a vague claim into the agreed numbers"),
    (
        "/align schedule <feature> <when>",
        "`weekly mon 09:00`, `daily 10:00` or `off`, a time zone after it if wanted",
    ),
    ("/align token <feature> [--revoke]", "an upload token for CI (shown once)"),
    ("/align listen <feature> on|off", "reply in the channel when someone makes a vague claim"),
    ("/align help", "this list"),
]


def help_blocks() -> list[Block]:
    lines = "\n".join(f"`{usage}` — {what}" for usage, what in HELP_LINES)
    return [
        section(
            "*Groundline* helps a PM and an engineer agree on the numbers before building "
            "an AI feature, then reports the measured numbers against them."
        ),
        section(lines),
    ]


def help_text() -> str:
    return "Groundline commands:\n" + "\n".join(f"{usage} — {what}" for usage, what in HELP_LINES)
