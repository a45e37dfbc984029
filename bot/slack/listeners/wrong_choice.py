"""The buttons under a run's checks: count a check as a wrong answer, stop counting it, or go
back to the default (services/wrong_answers.py decides; blocks/checks.py draws)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.deps import Deps
from bot.ids import Action
from bot.jobs import rejudge
from bot.services import outbox, wrong_answers
from bot.services.access import Need
from bot.services.outbox import ReplyTarget
from bot.services.wrong_answers import Stale
from bot.slack.blocks import checks as checks_blocks
from bot.slack.blocks.checks import STALE_VALUE
from bot.slack.lookup import clicked_feature
from bot.slack.middleware import work_of
from bot.slack.wire import WrongChoiceValue

FEATURE_GONE = "That feature no longer exists."


def register(app: App, deps: Deps) -> None:
    @app.action(Action.WRONG_CHOICE.value)
    def pressed(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        press = WrongChoiceValue.decode(action.get("value"), STALE_VALUE)
        user_id = str(body["user"]["id"])
        message_ts = (body.get("container") or {}).get("message_ts")
        work = work_of(context)
        session = work.session
        # What counts as wrong changes every number judged: the feature's people decide.
        feature = clicked_feature(session, deps, body, str(press.feature), FEATURE_GONE, Need.STEER)
        run = wrong_answers.run_of(session, feature, press.run)
        outcome = wrong_answers.toggle(
            session, deps.clock, feature, run, press.check, press.count, press.version, user_id
        )
        # The pressed list shows the choice as it now is, whoever changed it.
        text, blocks = checks_blocks.choice_message(outcome.listing)
        if message_ts:
            outbox.update(
                session,
                deps.clock,
                team_id=feature.team_id,
                channel_id=feature.channel_id,
                ts=str(message_ts),
                text=text,
                blocks=blocks,
            )
        if isinstance(outcome, Stale):
            target = ReplyTarget.from_body(body)
            if target is not None:
                outbox.ephemeral(session, deps.clock, target, checks_blocks.stale_line(outcome))
            return
        rejudge.queue(session, deps, feature, user_id)
        line = checks_blocks.changed_line(user_id, feature.name, outcome)
        asked = outbox.Asked.of(body, *checks_blocks.choice_told(feature.name))
        outbox.say(session, deps.clock, feature, line, asked=asked)
