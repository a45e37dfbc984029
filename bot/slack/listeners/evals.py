"""Measure in Slack: `/align metric`, `/align token` and `/align wrong`. (Eval files dropped in a
kickoff thread are fetched and stored after the ack, by bot/jobs/file_drop.py.)"""

from __future__ import annotations

from bot.domain.mrkdwn import escape
from bot.domain.wording import format_number
from bot.errors import BadInput
from bot.jobs import rejudge
from bot.services import outbox, samples, tokens, wrong_answers
from bot.services.access import Need
from bot.slack.blocks import checks as checks_blocks
from bot.slack.verbs import AlignCall

METRIC_USAGE = (
    "Usage: `/align metric <feature> <name> <value>`, "
    "e.g. `/align metric support-answers CSAT 4.3`; `/align metric <feature> undo` takes back "
    "your last one."
)
TOKEN_USAGE = (
    "Usage: `/align token <feature>` for a new upload token, or `--revoke` to cancel them all."
)


def metric(call: AlignCall) -> None:
    """`/align metric F <name> <value>`: one reading of a success measure (CSAT, weekly users…),
    checked against the measure as agreed; `/align metric F undo` takes back your last one."""
    args = call.args
    if len(args) == 2 and args[1].lower() == "undo":
        feature = call.feature(args[0], Need.ACT)
        removed = samples.undo_last(call.session, feature, call.user)
        call.reply(
            f"Removed *{escape(removed.name)}* = {format_number(removed.value)} for "
            f"*{escape(feature.name)}*."
        )
        return
    if len(args) < 3:
        raise BadInput(METRIC_USAGE)
    key, name, typed = args[0], " ".join(args[1:-1]), args[-1]
    if len(name) > 80:
        raise BadInput("Please keep the measure's name under 80 characters.")
    feature = call.feature(key, Need.ACT)
    recorded = samples.record(
        call.session, call.deps.clock, feature, call.user, name, typed, METRIC_USAGE
    )
    call.reply(
        noted_text(recorded.name, recorded.value, feature.name, recorded.agreed, feature.slug)
    )


def noted_text(
    name: str, value: float, feature_name: str, agreed: list[str], slug: str = ""
) -> str:
    """The reply to a recorded sample; names the agreed measures when this one is not one."""
    text = f"Noted: *{escape(name)}* = {format_number(value)} for *{escape(feature_name)}*."
    if slug:
        text += f" A typo? `/align metric {escape(slug)} undo` takes it back."
    if agreed and name not in agreed:
        text += f" (agreed measures: {escape(', '.join(agreed))})"
    return text


def token(call: AlignCall) -> None:
    """`/align token F [--revoke]`: a new upload token, shown once; or revoke them all."""
    revoke = "--revoke" in call.args
    words = [word for word in call.args if word != "--revoke"]
    if not words:
        raise BadInput(TOKEN_USAGE)
    # Tokens let CI write runs: only the feature's PM, engineer or signers hand them out.
    feature = call.feature(" ".join(words), Need.STEER)
    clock = call.deps.clock
    if revoke:
        count = tokens.revoke_all(call.session, clock, feature)
        done = (
            f"Revoked {count} upload token{'s' if count != 1 else ''}"
            if count
            else "There were no live tokens"
        )
        call.reply(f"{done} for *{escape(feature.name)}*.")
        return
    secret = tokens.issue(call.session, clock, feature, call.user)
    call.reply(
        f"Upload token for *{escape(feature.name)}* (shown only this once, so keep it "
        f"somewhere safe):\n`{secret}`\nSend results with:\n"
        f'`curl -X POST -H "Authorization: Bearer $GROUNDLINE_TOKEN" --data-binary '
        f"@results.json <groundline-url>/api/v1/features/{feature.id}/eval-runs`"
    )


WRONG_USAGE = (
    "Usage: `/align wrong <feature> <check> [<check> …]` to choose which failed checks count "
    "as a wrong answer, or `/align wrong <feature> default`."
)


def wrong(call: AlignCall) -> None:
    """`/align wrong F <check>… | default`: what counts as a wrong answer for F."""
    if len(call.args) < 2:
        raise BadInput(WRONG_USAGE)
    session, clock, user = call.session, call.deps.clock, call.user
    # What counts as wrong changes every number judged: the feature's people decide.
    feature = call.feature(call.args[0], Need.STEER)
    line = escape(wrong_answers.choose(session, clock, feature, call.args[1:], user))
    rejudge.queue(session, call.deps, feature, user)
    asked = outbox.Asked.of(call.command, *checks_blocks.choice_told(feature.name))
    outbox.say(session, clock, feature, f"<@{user}> {line}. {RECOUNTING}.", asked=asked)
    call.reply(f"Done: you {line}. {RECOUNTING}; the new numbers follow in the kickoff thread.")


RECOUNTING = "The stored runs are being recounted"
