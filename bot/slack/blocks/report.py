"""The report as Block Kit: the same words as the text report, the trade-off table as Slack's
`table` block, and decision buttons when a target is missed. Every user-typed string goes
through escape() (via SLACK_STYLE)."""

from __future__ import annotations

from bot.domain import report_text as words
from bot.domain import tradeoff_text as tables
from bot.domain.checklist import Step
from bot.domain.mrkdwn import clip, escape
from bot.domain.options import OPTION_NAMES, Option
from bot.domain.report import ReportModel
from bot.domain.style import MRKDWN, Style
from bot.ids import Action
from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.wire import DecisionValue, NoteValue
from bot.store.models import Feature

TRADEOFF_ROWS = 15  # the table's latest labels; more would not fit a message
# Slack's table block (https://docs.slack.dev/reference/block-kit/blocks/table-block): rows of
# raw_text cells, at most 100 rows of at most 20 cells, and one table per message (a second is
# refused with `only_one_table_allowed`). Beyond that the table goes as text in a code block.
TABLE_MAX_ROWS, TABLE_MAX_CELLS = 100, 20
SLACK_STYLE = MRKDWN
# raw_text is not mrkdwn, so nothing in it is parsed; angle brackets are still swapped so no
# mention syntax a user typed into a label ever leaves the bot.
RAW_STYLE = Style(esc=lambda text: text.replace("<", "‹").replace(">", "›"))


def decision_value(
    feature_id: int, report_id: int, option: Option, step: Step | None = None
) -> str:
    """What a decision button carries: feature, report, option (and for C the step to reopen)."""
    return DecisionValue(feature=feature_id, report=report_id, option=option, step=step).encode()


def _buttons(model: ReportModel) -> Block | None:
    report_id, plan = model.inputs.report_id, model.options
    if report_id is None or plan is None:
        return None
    feature_id = model.inputs.feature_id
    step = plan.revisit_step
    return actions(
        *[
            button(
                line.button,
                f"{Action.DECISION.value}:{line.option.value}",
                decision_value(
                    feature_id,
                    report_id,
                    line.option,
                    step if line.option is Option.REVISIT_TARGET else None,
                ),
            )
            for line in plan.lines
        ],
        block_id=f"report_decision:{report_id}",
    )


def table_block(cells: list[list[str]]) -> Block | None:
    """A `table` block of plain cells (header row first), or None when it does not fit."""
    if not cells or len(cells) > TABLE_MAX_ROWS or any(len(r) > TABLE_MAX_CELLS for r in cells):
        return None
    numeric = {1, 2}  # run and cases read best right-aligned
    settings = [{"is_wrapped": True}] + [
        {"align": "right"} if i in numeric else {"align": "left"} for i in range(1, len(cells[0]))
    ]
    rows = [[{"type": "raw_text", "text": cell or " "} for cell in row] for row in cells]
    return {"type": "table", "column_settings": settings, "rows": rows}


def report_blocks(model: ReportModel) -> list[Block]:
    style = SLACK_STYLE
    blocks = [
        section(f"*{words.title(model, style)}*"),
        context(words.based_on(model, style)),
    ]
    if not model.targets_agreed:
        blocks.append(context(words.NOT_AGREED))
    joy = words.celebration(model, style)
    if joy:
        blocks.append(section(joy))
    blocks.append(section("\n".join(f"• {line}" for line in words.body_lines(model, style))))
    options = tables.option_lines(model, style)
    if options:
        blocks.append({"type": "divider"})
        blocks.append(section("\n".join(options)))
        rows = model.tradeoff[:TRADEOFF_ROWS]
        if rows:
            table = table_block(tables.tradeoff_cells(rows, RAW_STYLE))
            if table is not None:
                blocks += [context(tables.TABLE_TITLE), table]
            else:
                text_table = tables.tradeoff_table(rows, style)
                blocks.append(section(f"{tables.TABLE_TITLE}\n```{text_table}```"))
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
        f"{MRKDWN.mention(user_id)} chose {option.value}) {OPTION_NAMES[option].lower()} for "
        f"*{escape(feature.name)}*. Noted with the date; the next reports will show the numbers "
        "before and after."
    )
    value = NoteValue(feature=feature.id, decision=decision_id).encode()
    note = button("Add a note", Action.DECISION_NOTE.value, value)
    return line, [section(line), actions(note)]


def decision_note_post(user_id: str, option: Option, note: str) -> tuple[str, list[Block]]:
    """A decision's note in the report's thread, every line quoted (and escaped)."""
    quoted = "\n".join(f">{escape(part)}" for part in note.strip().splitlines())
    name = OPTION_NAMES[option].lower()
    line = f"{MRKDWN.mention(user_id)}'s note on {option.value}) {name}:\n{quoted}"
    return line, [section(line)]
