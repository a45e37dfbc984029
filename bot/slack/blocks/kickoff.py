"""Block Kit for the kickoff thread: the opening message, questions, summary and sign-off."""

from __future__ import annotations

from bot.domain import checklist
from bot.domain.agreement import VersionStatus, fingerprint
from bot.domain.checklist import Question, Step
from bot.domain.measure_text import checking_size_line
from bot.domain.mrkdwn import escape
from bot.domain.targets import Role, Targets
from bot.ids import Action
from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.wire import ChoiceValue, EditValue, ReadingValue, SignOffValue, WithdrawValue
from bot.store.models import Feature, TargetVersion


def opening(feature: Feature) -> tuple[str, list[Block]]:
    name = escape(feature.name)
    roles = [(feature.pm_user_id, "PM"), (feature.engineer_user_id, "engineer")]
    starter = f"<@{feature.created_by}>"
    others = []
    for user, role in roles:
        if user == feature.created_by:
            starter = f"<@{user}> ({role})"  # "@ana (PM) started a kickoff with @raj (engineer)"
        elif user:
            others.append(f"<@{user}> ({role})")
    if others:
        who = "with " + " and ".join(others)
    elif any(user for user, _ in roles):
        who = "and will find the other signer here"
    else:
        who = "for the PM and the engineer"
    text = (
        f"*Kickoff: {name}*\n{starter} started a kickoff {who}. Before we build, let's agree on "
        "four things: how often it may be wrong, what it does when unsure, how we measure "
        "success, and where the cost/speed line is. Answer in this thread, in your own words and "
        "as many at once as you like; a PM and an engineer sign off at the end."
    )
    return f"Kickoff: {name}", [section(text)]


def question(q: Question, feature_id: int, lead: str = "") -> tuple[str, list[Block]]:
    """A checklist question (`lead` first, already mrkdwn). Its block id names the item it asks
    about (`ask:<step>`), which tests count."""
    body = f"{lead}*{q.title}*\n{q.text}"
    blocks: list[Block] = [{**section(body), "block_id": f"ask:{q.step.value}"}]
    if q.choices:
        blocks.append(
            actions(
                *(
                    button(
                        choice.label,
                        f"{_choice_action(q.step)}:{choice.value}",
                        ChoiceValue(feature=feature_id, choice=choice.value).encode(),
                    )
                    for choice in q.choices
                ),
                block_id=f"q:{q.step.value}",
            )
        )
    return f"{q.title}: {q.text}", blocks


def line(text: str, asks: Step | None = None) -> tuple[str, list[Block]]:
    """One short message (already mrkdwn); `asks` marks a follow-up question about an item."""
    block = section(text)
    if asks is not None:
        block["block_id"] = f"ask:{asks.value}"
    return text, [block]


def agreed_note(
    feature: Feature, version: TargetVersion, targets: Targets
) -> tuple[str, list[Block]]:
    """The short line in the thread when the targets are agreed (the summary above becomes the
    record), with how many test cases it takes to check them."""
    signers = " and ".join(
        f"<@{s.user_id}> ({'PM' if s.role == Role.PM.value else 'engineer'})"
        for s in version.signoffs
    )
    text = (
        f":handshake: *{escape(feature.name)}*: targets agreed (version {version.version}), "
        f"signed by {signers}. The summary above is the record."
    )
    blocks = [section(text)]
    size = checking_size_line(targets)
    if size is not None:
        blocks.append(context(size))
    return text, blocks


def _choice_action(step: Step) -> str:
    return (Action.FALLBACK_CHOICE if step is Step.FALLBACK else Action.TRADEOFF_CHOICE).value


def bullets(targets: Targets) -> list[str]:
    """One line per answer, user text escaped."""
    return [
        f"• *{checklist.ITEMS[step].label.capitalize()}*: "
        + escape(checklist.describe(targets, step))
        for step in checklist.ORDER
    ]


def summary(feature: Feature, version: TargetVersion, targets: Targets) -> tuple[str, list[Block]]:
    lines = bullets(targets)
    title = f"*{escape(feature.name)}: the targets, version {version.version}*"
    if version.reason:
        title += f"\nChanged by <@{version.changed_by}>: _{escape(version.reason)}_"
    signed = {s.role: s.user_id for s in version.signoffs}
    status_line = (
        "To change an answer, press its Edit button or reply in this thread, e.g. "
        "`change error rate to 8%`. When it reads right, sign off below."
    )
    blocks: list[Block] = [
        section(title + "\n" + "\n".join(lines)),
        context(status_line),
        edit_buttons(feature),
        signoff_buttons(feature, version, targets),
    ]
    if signed:
        blocks.append(context(signoff_line(version)))
    return f"{escape(feature.name)}: targets version {version.version}, awaiting sign-off", blocks


def signoff_buttons(feature: Feature, version: TargetVersion, targets: Targets) -> Block:
    """Sign-off buttons that carry what they sign: this version and a fingerprint of the
    values shown above them. A proposal also offers its withdrawal."""
    signed = {s.role for s in version.signoffs}
    value = SignOffValue(
        feature=feature.id, version=version.version, fingerprint=fingerprint(targets)
    )
    elements = [
        button(
            "Sign off as PM" + (" ✓" if Role.PM.value in signed else ""),
            Action.SIGN_PM.value,
            value.encode(),
            style="primary",
        ),
        button(
            "Sign off as engineer" + (" ✓" if Role.ENGINEER.value in signed else ""),
            Action.SIGN_ENGINEER.value,
            value.encode(),
            style="primary",
        ),
    ]
    if version.status == VersionStatus.DRAFT and version.version > 1 and version.changed_by:
        withdrawal = WithdrawValue(feature=feature.id, version=version.version)
        elements.append(
            button("Withdraw this change", Action.WITHDRAW_CHANGE.value, withdrawal.encode())
        )
    return actions(*elements, block_id="signoff")


def stale_reply(feature: Feature, version: TargetVersion, targets: Targets) -> str:
    """To whoever pressed an out-of-date summary: nothing signed, and the numbers now."""
    lines = "\n".join(bullets(targets))
    return (
        f"Nothing was signed: that summary of *{escape(feature.name)}* showed numbers that have "
        f"changed since. Version {version.version} now reads:\n{lines}\n"
        "If these are right, sign the newest summary in the kickoff thread."
    )


RETIRED = "Out of date: these numbers have changed since. Sign the newest summary in this thread."


def retired(text: str, blocks: list[Block] | None) -> tuple[str, list[Block]]:
    """An old summary with its buttons taken away, so nothing can be signed from it."""
    kept = [block for block in blocks or [] if block.get("type") != "actions"]
    return text, [*kept, context(RETIRED)]


def edit_buttons(feature: Feature) -> Block:
    return actions(
        *(
            button(
                f"Edit {checklist.ITEMS[step].label}",
                f"{Action.EDIT_ANSWER.value}:{step.value}",
                EditValue(feature=feature.id, step=step).encode(),
            )
            for step in checklist.ORDER
        ),
        block_id="edit",
    )


def signoff_line(version: TargetVersion) -> str:
    parts = [
        f"{'PM' if s.role == Role.PM.value else 'Engineer'}: <@{s.user_id}>"
        for s in version.signoffs
    ]
    return "Signed: " + ", ".join(parts)


def agreed(
    feature: Feature, version: TargetVersion, targets: Targets, *, in_thread: bool = False
) -> tuple[str, list[Block]]:
    lines = bullets(targets)
    text = (
        f":handshake: *{escape(feature.name)}: targets agreed (version {version.version})*\n"
        + "\n".join(lines)
    )
    fallback = f"{escape(feature.name)}: targets agreed"
    blocks = [section(text), context(signoff_line(version))]
    if in_thread:  # the summary, retired: no sign-off buttons, but answers can still change
        blocks.append(edit_buttons(feature))
        return fallback, blocks  # (the note under it says how many cases check them)
    size = checking_size_line(targets)  # how many test cases it takes to check these numbers
    if size is not None:
        blocks.append(context(size))
    return fallback, blocks


def change_announcement(
    feature: Feature,
    version: TargetVersion,
    step: Step,
    targets: Targets,
    revises: TargetVersion | None = None,
) -> str:
    earlier = f" (revising version {revises.version})" if revises is not None else ""
    return (
        f"<@{version.changed_by}> proposes changing the agreed *{checklist.ITEMS[step].label}* "
        f"of *{escape(feature.name)}* to {escape(checklist.describe(targets, step))}{earlier}, "
        f"because: _{escape(version.reason or '')}_. Version {version.version} needs both "
        "sign-offs again in the kickoff thread; until then the agreed version stays in force."
    )


def withdrawn_summary(
    feature: Feature, withdrawn: TargetVersion, agreed_targets: Targets
) -> tuple[str, list[Block]]:
    """A withdrawn proposal's summary: what stays in force, and no buttons."""
    lines = "\n".join(bullets(agreed_targets))
    text = (
        f"*{escape(feature.name)}: version {withdrawn.version} was withdrawn*; the agreed "
        f"targets stay:\n{lines}"
    )
    return f"{escape(feature.name)}: proposal withdrawn", [section(text)]


def withdrawal(feature: Feature, agreed: TargetVersion, withdrawn: TargetVersion, by: str) -> str:
    return (
        f"<@{by}> withdrew the proposed change to *{escape(feature.name)}* (version "
        f"{withdrawn.version}). The agreed version {agreed.version} stays in force."
    )


def nudge(feature: Feature, waiting_on: list[str], second: bool) -> str:
    who = " ".join(f"<@{user}>" for user in waiting_on) or "everyone here"
    step = feature.stage
    if step == checklist.REVIEW:
        what = "the sign-offs"
    else:
        what = f"an answer to *{checklist.ITEMS[Step(step)].question.title}*"
    if second:
        return (
            f"Last reminder from me, {who}: the kickoff of *{escape(feature.name)}* still needs "
            f"{what}. I won't nudge again."
        )
    return f"Friendly nudge, {who}: the kickoff of *{escape(feature.name)}* is waiting on {what}."


def reading(
    feature_id: int, answer: str, described: str, key: str | None = None
) -> tuple[str, list[Block]]:
    """A language model's reading, for a human to confirm before anything is stored."""
    quoted = escape(answer if len(answer) <= 200 else answer[:199] + "…")
    text = (
        f"I read “{quoted}” as: *{escape(described)}*. Is that right? "
        "(You can also reply yes or no.)"
    )
    pressed = ReadingValue(feature=feature_id, reading=key).encode()
    return text, [
        section(text),
        actions(
            button("Yes, that's right", Action.CONFIRM_READING.value, pressed, "primary"),
            button("No", Action.REJECT_READING.value, pressed),
            block_id="reading",
        ),
    ]
