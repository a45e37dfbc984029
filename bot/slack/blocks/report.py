"""The report as Block Kit: the same words as the text report, with decision buttons when a
target is missed. Every user-typed string goes through escape() (via SLACK_STYLE)."""

from __future__ import annotations

import re

from bot.domain import report_text as words
from bot.domain.mrkdwn import clip, escape
from bot.domain.report import Option, ReportModel
from bot.domain.report_text import Style
from bot.ids import Action
from bot.slack.blocks import Block, actions, button, context, section
from bot.store.models import Feature

TRADEOFF_ROWS = 15  # the table's latest labels; more would not fit a message
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(user_id)


SLACK_STYLE = Style(esc=escape, bold=lambda text: f"*{text}*", mention=_mention)


def decision_value(feature_id: int, report_id: int, option: Option, step: str = "") -> str:
    """What a decision button carries: feature, report, option (and for C the step to reopen)."""
    return f"{feature_id}:{report_id}:{option.value}" + (f":{step}" if step else "")


def _buttons(model: ReportModel) -> Block | None:
    report_id = model.inputs.report_id
    if report_id is None or not model.missed:
        return None
    feature_id = model.inputs.feature_id
    step = model.revisit_step.value if model.revisit_step else ""
    labels = {
        Option.STRONGER_MODEL: "A) Stronger model",
        Option.RETRIEVAL: "B) Filter or fallback",
        Option.REVISIT_TARGET: "C) Revisit the target",
    }
    return actions(
        *[
            button(
                label,
                f"{Action.DECISION.value}:{option.value}",
                decision_value(feature_id, report_id, option, step if option.value == "C" else ""),
            )
            for option, label in labels.items()
        ],
        block_id=f"report_decision:{report_id}",
    )


def report_blocks(model: ReportModel) -> list[Block]:
    style = SLACK_STYLE
    blocks = [
        section(f"*{words.title(model, style)}*"),
        context(words.based_on(model, style)),
    ]
    if not model.targets_agreed:
        blocks.append(context("No targets are agreed yet, so these numbers stand on their own."))
    joy = words.celebration(model, style)
    if joy:
        blocks.append(section(joy))
    blocks.append(section("\n".join(f"• {line}" for line in words.body_lines(model, style))))
    options = words.option_lines(model, style)
    if options:
        blocks.append({"type": "divider"})
        blocks.append(section("\n".join(options)))
        rows = model.tradeoff[-TRADEOFF_ROWS:]
        if rows:
            table = words.tradeoff_table(rows, style)
            blocks.append(section(f"{words.TABLE_TITLE}\n```{table}```"))
        buttons = _buttons(model)
        if buttons is not None:
            blocks.append(buttons)
    if model.decisions:
        lines = [f"• {words.impact_line(impact, style)}" for impact in model.decisions]
        blocks.append(section("*Decisions and what followed*\n" + "\n".join(lines)))
    blocks.append(
        context(
            f"Every number comes from stored runs; `groundline export {model.inputs.feature_id}` "
            "shows them all."
        )
    )
    return blocks


def report_message(model: ReportModel) -> tuple[str, list[Block]]:
    """(text fallback, blocks) for chat.postMessage."""
    return clip(words.render_text(model, SLACK_STYLE), 3900), report_blocks(model)


def decision_confirmation(
    feature: Feature, option: Option, user_id: str, decision_id: int
) -> tuple[str, list[Block]]:
    """The thread's record of a decision, with the button for its note."""
    line = (
        f"{_mention(user_id)} chose {option.value}) {words.OPTION_NAMES[option].lower()} for "
        f"*{escape(feature.name)}*. Noted with the date; the next reports will show the numbers "
        "before and after."
    )
    note = button("Add a note", Action.DECISION_NOTE.value, f"{feature.id}:{decision_id}")
    return line, [section(line), actions(note)]


def decision_note_post(user_id: str, option: Option, note: str) -> tuple[str, list[Block]]:
    """A decision's note in the report's thread, every line quoted (and escaped)."""
    quoted = "\n".join(f">{escape(part)}" for part in note.strip().splitlines())
    name = words.OPTION_NAMES[option].lower()
    line = f"{_mention(user_id)}'s note on {option.value}) {name}:\n{quoted}"
    return line, [section(line)]
