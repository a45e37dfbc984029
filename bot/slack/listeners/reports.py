"""`/align report F` (post the report now) and the report's decision buttons A/B/C."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape
from bot.domain.report import Option
from bot.domain.report_text import OPTION_NAMES
from bot.errors import BadInput, NotFound
from bot.ids import Action
from bot.jobs.reports import queue_report
from bot.services import kickoff, outbox
from bot.services import reports as report_service
from bot.slack.blocks import modals, section

REPORT_USAGE = "Usage: `/align report <feature>`, e.g. `/align report support-answers`."


def report_command(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """Post the feature's report now, through the same job the schedule uses."""
    if not args:
        raise BadInput(REPORT_USAGE)
    key = " ".join(args)
    with deps.unit_of_work() as session:
        feature = kickoff.get_feature(session, command["team_id"], key)
        if feature is None:
            raise NotFound(
                f"No feature called `{escape(key[:80])}` here. `/align status` lists them."
            )
        feature_id, name = feature.id, feature.name
    # One report per request: a repeated delivery of the same command finds its period taken.
    request = str(command.get("trigger_id") or uuid.uuid4().hex)
    period = f"manual:{hashlib.sha256(request.encode()).hexdigest()[:32]}"
    report_id = queue_report(deps, feature_id, period)
    if report_id is None:
        ack(
            response_type="ephemeral",
            text=f"The report for *{escape(name)}* is already on its way.",
        )
        return
    ack(response_type="ephemeral", text=f"Posting the report for *{escape(name)}* in its channel.")


def _parse(value: str) -> tuple[str, int, Option, Step | None]:
    parts = value.split(":")
    if len(parts) < 3 or not parts[1].isdigit():
        raise BadInput("That button is out of date; run `/align report` for a fresh report.")
    try:
        option = Option(parts[2])
        step = Step(parts[3]) if len(parts) > 3 and parts[3] else None
    except ValueError:
        raise BadInput(
            "That button is out of date; run `/align report` for a fresh report."
        ) from None
    return parts[0], int(parts[1]), option, step


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(f"^{Action.DECISION.value}(:|$)"))
    def decide(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        feature_key, report_id, option, step = _parse(str(action.get("value") or ""))
        user_id = body["user"]["id"]
        team_id = (body.get("team") or {}).get("id") or body["user"].get("team_id") or ""
        message_ts = (body.get("container") or {}).get("message_ts")
        view = None
        with deps.unit_of_work() as session:
            feature = kickoff.get_feature(session, team_id, feature_key)
            if feature is None:
                raise NotFound("That feature no longer exists.")
            _, created = report_service.record_decision(
                session, deps.clock, feature, report_id, option.value, user_id
            )
            if option is Option.REVISIT_TARGET:
                # The kickoff's own change flow: a new version that needs both sign-offs.
                agreed = kickoff.current_version(feature).status == "agreed"
                view = modals.edit_answer(feature.id, step or Step.ERROR_RATE, need_reason=agreed)
            elif created:
                line = (
                    f"<@{user_id}> chose {option.value}) {OPTION_NAMES[option].lower()} for "
                    f"*{escape(feature.name)}*. Noted with the date; the next reports will show "
                    "the numbers before and after."
                )
                outbox.post(
                    session,
                    deps.clock,
                    team_id=feature.team_id,
                    channel_id=feature.channel_id,
                    text=line,
                    blocks=[section(line)],
                    thread_ts=message_ts,
                    feature_id=feature.id,
                )
        if view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=view)
