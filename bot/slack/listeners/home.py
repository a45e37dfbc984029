"""App Home: the features this person may see (services/access), their targets, who signed,
the latest numbers with their verdicts, and a report that failed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import AlreadyHandled, Deps
from bot.ids import Event
from bot.services import access, kickoff, outbox, reports, schedules
from bot.slack.blocks import status
from bot.unit_of_work import event_work


def register(app: App, deps: Deps) -> None:
    def publish_home(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        team_id = body.get("team_id") or ""
        try:
            # A membership lookup steps out of this transaction while Slack answers.
            with event_work(deps, f"event:{body.get('event_id')}") as session:
                # Only what this person may see: a private channel's features to its members.
                everything = kickoff.features_of(session, team_id)
                seen = access.visible(deps.directory, everything, str(event["user"]))
                features = seen.features
                failures = schedules.last_report_failures(session, (f.id for f in features))
                shown = features[: status.LISTED]
                latest = reports.latest_of(session, shown, deps.clock.now())
                undelivered = outbox.undelivered(session, (f.id for f in shown))
                view = status.home_view(features, failures, latest, seen.unchecked, undelivered)
        except AlreadyHandled:
            return
        client.views_publish(user_id=event["user"], view=view)

    def ack_event(ack: Ack) -> None:
        ack()

    app.event(Event.APP_HOME_OPENED.value)(ack=ack_event, lazy=[publish_home])
