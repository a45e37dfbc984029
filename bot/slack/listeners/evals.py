"""Measure in Slack: `/align metric` and `/align token`. (Eval files dropped in a kickoff
thread are fetched and stored after the ack, by bot/jobs/file_drop.py.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.domain.wording import format_number
from bot.errors import BadInput
from bot.jobs import rejudge
from bot.services import outbox, samples, tokens, wrong_answers
from bot.services.access import Need
from bot.slack.listeners.lookup import commanded_feature

METRIC_USAGE = (
    "Usage: `/align metric <feature> <name> <value>`, "
    "e.g. `/align metric support-answers CSAT 4.3`; `/align metric <feature> undo` takes back "
    "your last one."
)
TOKEN_USAGE = (
    "Usage: `/align token <feature>` for a new upload token, or `--revoke` to cancel them all."
)


def metric(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """`/align metric F <name> <value>`: one reading of a success measure (CSAT, weekly users…),
    checked against the measure as agreed; `/align metric F undo` takes back your last one."""
    if len(args) == 2 and args[1].lower() == "undo":
        with deps.unit_of_work() as session:
            feature = commanded_feature(session, deps, command, args[0], Need.ACT)
            removed = samples.undo_last(session, feature, command["user_id"])
            text = (
                f"Removed *{escape(removed.name)}* = {format_number(removed.value)} for "
                f"*{escape(feature.name)}*."
            )
        ack(response_type="ephemeral", text=text)
        return
    if len(args) < 3:
        raise BadInput(METRIC_USAGE)
    key, name, typed = args[0], " ".join(args[1:-1]), args[-1]
    if len(name) > 80:
        raise BadInput("Please keep the measure's name under 80 characters.")
    with deps.unit_of_work() as session:
        feature = commanded_feature(session, deps, command, key, Need.ACT)
        recorded = samples.record(
            session, deps.clock, feature, command["user_id"], name, typed, METRIC_USAGE
        )
        feature_name, slug = feature.name, feature.slug
    ack(
        response_type="ephemeral",
        text=noted_text(recorded.name, recorded.value, feature_name, recorded.agreed, slug),
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


def token(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """`/align token F [--revoke]`: a new upload token, shown once; or revoke them all."""
    revoke = "--revoke" in args
    words = [word for word in args if word != "--revoke"]
    if not words:
        raise BadInput(TOKEN_USAGE)
    with deps.unit_of_work() as session:
        # Tokens let CI write runs: only the feature's PM, engineer or signers hand them out.
        feature = commanded_feature(session, deps, command, " ".join(words), Need.STEER)
        if revoke:
            count = tokens.revoke_all(session, deps.clock, feature)
        else:
            secret = tokens.issue(session, deps.clock, feature, command["user_id"])
        feature_id, feature_name = feature.id, feature.name
    if revoke:
        done = (
            f"Revoked {count} upload token{'s' if count != 1 else ''}"
            if count
            else "There were no live tokens"
        )
        ack(response_type="ephemeral", text=f"{done} for *{escape(feature_name)}*.")
        return
    ack(
        response_type="ephemeral",
        text=(
            f"Upload token for *{escape(feature_name)}* (shown only this once, so keep it "
            f"somewhere safe):\n`{secret}`\nSend results with:\n"
            f'`curl -X POST -H "Authorization: Bearer $GROUNDLINE_TOKEN" --data-binary '
            f"@results.json <groundline-url>/api/v1/features/{feature_id}/eval-runs`"
        ),
    )


WRONG_USAGE = (
    "Usage: `/align wrong <feature> <check> [<check> …]` to choose which failed checks count "
    "as a wrong answer, or `/align wrong <feature> default`."
)


def wrong(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """`/align wrong F <check>… | default`: what counts as a wrong answer for F."""
    if len(args) < 2:
        raise BadInput(WRONG_USAGE)
    with deps.unit_of_work() as session:
        # What counts as wrong changes every number judged: the feature's people decide.
        feature = commanded_feature(session, deps, command, args[0], Need.STEER)
        user = command["user_id"]
        line = escape(wrong_answers.choose(session, deps.clock, feature, args[1:], user))
        rejudge.queue(session, deps, feature, user)
        outbox.say(session, deps.clock, feature, f"<@{user}> {line}. {RECOUNTING}.")
    ack(
        response_type="ephemeral",
        text=f"Done: you {line}. {RECOUNTING}; the new numbers follow in the kickoff thread.",
    )


RECOUNTING = "The stored runs are being recounted"
