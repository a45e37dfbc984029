"""The list of a run's checks in its thread, with a button per check to count it as a wrong
answer or not, and what a press answers.

Buttons rather than a checkboxes element: checkboxes take at most 10 options
(https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element) and each change
sends the whole selection as that person's client shows it, so two people changing it at once
would undo each other. A button says one thing ("count `x`") and the version of the choice it
was drawn from, so a press on an older list, or the second of two at once, changes nothing.
A button's label holds at most 75 characters and its value 2,000
(https://docs.slack.dev/reference/block-kit/block-elements/button-element); a message at most
50 blocks (https://docs.slack.dev/reference/block-kit/blocks), hence MAX_BUTTONS.
"""

from __future__ import annotations

from bot.domain.mrkdwn import escape
from bot.ids import Action
from bot.services.wrong_answers import Changed, CheckRow, Listing, Stale
from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.wire import WrongChoiceValue

MAX_BUTTONS = 40
MAX_NAME = 200  # longer check names are chosen with `/align wrong` (nobody reads such a button)
STALE_VALUE = "That button is out of date; the thread's latest list of checks has current ones."


def choice_message(listing: Listing) -> tuple[str, list[Block]]:
    """The thread message: text (notifications, clients without blocks) and blocks."""
    head = f"Checks in this file, and what counts as a wrong answer ({escape(listing.means)}):"
    rows = [_row_text(check) for check in listing.checks]
    how = (
        f"Press a button to change it, or type `/align wrong {escape(listing.slug)} <check> …` "
        f"(or `default`). It applies to this run, the stored ones and every later one. The "
        "feature's PM, its engineer, a signer of its targets or whoever started the kickoff "
        "can change it."
    )
    text = "\n".join([head, *(f"• {row}" for row in rows), how])
    blocks: list[Block] = [section(head)]
    for index, (check, row) in enumerate(zip(listing.checks, rows, strict=True)):
        block = section(f"• {row}")
        if index < MAX_BUTTONS and not check.budgeted and len(check.name) <= MAX_NAME:
            block["accessory"] = _toggle(listing, check)
        blocks.append(block)
    blocks = blocks[: MAX_BUTTONS + 1]
    if len(listing.checks) > MAX_BUTTONS:
        more = len(listing.checks) - MAX_BUTTONS
        blocks.append(context(f"…and {more} more checks: choose those with `/align wrong`."))
    blocks.append(context(how))
    if listing.chosen:
        value = WrongChoiceValue(
            feature=listing.feature_id, run=listing.run_id, version=listing.version, count=True
        )
        default = button("Back to the default", Action.WRONG_CHOICE.value, value.encode())
        blocks.append(actions(default))
    return text, blocks


def _row_text(check: CheckRow) -> str:
    failed = f"{check.n_failed:,} of {check.n:,} failed"
    if check.budgeted:
        role = f"judged by the {check.kind.value} budget, never a wrong answer"
    else:
        role = "counts as a wrong answer" if check.counted else "does not count"
    return f"`{escape(check.name)}` ({check.kind.value}, {failed}): {role}"


def _toggle(listing: Listing, check: CheckRow) -> Block:
    count = not check.counted
    value = WrongChoiceValue(
        feature=listing.feature_id,
        run=listing.run_id,
        version=listing.version,
        check=check.name,
        count=count,
    )
    label = f"Count {check.name}" if count else f"Don't count {check.name}"
    return button(label, Action.WRONG_CHOICE.value, value.encode())


def changed_line(user_id: str, feature_name: str, change: Changed) -> str:
    """Said in the thread when a press changed the choice."""
    means = escape(change.listing.means)
    what = f"*{escape(feature_name)}*"
    if change.check is None:
        did = f"put what counts as a wrong answer for {what} back to the default: {means}"
    elif change.count:
        did = f"now counts `{escape(change.check)}` as a wrong answer for {what}: {means}"
    else:
        did = f"stopped counting `{escape(change.check)}` as a wrong answer for {what}: {means}"
    return f"<@{user_id}> {did}. The stored runs are being recounted."


def stale_line(stale: Stale) -> str:
    """Said privately to someone whose press came from an older list (or changed nothing)."""
    if stale.already:  # a double click, or two people asking for the same at once
        run, means = stale.listing.run_id, escape(stale.listing.means)
        if stale.check is None:
            now = f"run {run} is judged by the default choice"
        elif stale.count:
            now = f"`{escape(stale.check)}` counts as a wrong answer for run {run}"
        else:
            now = f"`{escape(stale.check)}` no longer counts as a wrong answer for run {run}"
        by = f", as <@{stale.by}> chose" if stale.by and stale.by.isalnum() else ""
        return f"Already so: {now}{by} ({means}). Nothing else changed."
    who = f" (last changed by <@{stale.by}>)" if stale.by and stale.by.isalnum() else ""
    return (
        f"Nothing changed: that list was not the current choice{who}. For run "
        f"{stale.listing.run_id} it is now {escape(stale.listing.means)}. The list shows the "
        "current choice; press again if you still want to change it."
    )


def choice_told(name: str) -> tuple[str, str]:
    """(what, kept) for outbox.Asked: the note of a changed wrong-answer choice, to whoever
    changed it, if Slack refuses it for good."""
    return (
        f"the note in *{escape(name)}*'s kickoff thread that you changed what counts as a "
        "wrong answer",
        "Your choice is stored all the same, and the stored runs are being recounted.",
    )
