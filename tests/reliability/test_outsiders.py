"""Someone outside a feature's channel tries every way in, through signed HTTP: each /align verb
on the feature, its kickoff's buttons and thread, and App Home. Counted: how many were refused
(nothing stored, a reply that says so) and how many leaked the feature or changed anything."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.store.models import Answer, FeatureToken, MetricSample, Report, SignOff, TargetVersion
from tests.support.bot import BotUnderTest
from tests.support.figures import Report as Figures
from tests.support.figures import backends
from tests.support.kickoff import CHANNEL, ENG, PM, latest_summary, say, to_summary
from tests.support.reliability import backend_of

OUTSIDER = "U0OUTSIDER"
SECRET_WORDS = "Support answers"


def stored(bot: BotUnderTest) -> tuple[int, ...]:
    with bot.session() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Answer, FeatureToken, MetricSample, Report, SignOff, TargetVersion)
        )


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
@pytest.mark.parametrize("database_url", backends("postgresql"), indirect=True)
def test_an_outsider_is_refused_everything(
    bot: BotUnderTest, database_url: str, report: Figures, private: bool
) -> None:
    where = "private" if private else "public"
    figures = report.open(f"outsider tries every verb ({where} channel)", backend_of(database_url))
    try:
        bot.slack.add_channel(CHANNEL, "team", private=private, members=[PM, ENG])
        thread_ts = to_summary(bot)
        summary = latest_summary(bot, thread_ts)
        before = stored(bot)
        verbs = [
            "status support-answers",
            "report support-answers",
            "metric support-answers CSAT 5",
            "token support-answers",
            "token support-answers --revoke",
            "schedule support-answers off",
            "listen support-answers on",
            "wrong support-answers default",
        ]
        refused, tries = 0, 0
        for verb in verbs:
            reply = bot.driver.command("/align", verb, user_id=OUTSIDER, channel_id="C0ELSE")
            figures.ack(reply.elapsed_ms)
            text = str(reply.json().get("text", ""))
            if not private and verb.startswith("status"):
                assert SECRET_WORDS in text  # a public channel's feature is for all to see
                continue
            tries += 1
            figures.faults += 1
            refused += ("No feature called" if private else "Only ") in text
        listed = bot.driver.command("/align", "status", user_id=OUTSIDER, channel_id="C0ELSE")
        figures.ack(listed.elapsed_ms)
        for label in ("Sign off as PM", "Sign off as engineer", "Edit error rate"):
            pressed = bot.driver.press(summary, label=label, user=OUTSIDER)
            figures.ack(pressed.elapsed_ms)
        say(bot, thread_ts, "change error rate to 50%", user=OUTSIDER)
        bot.driver.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home"})
        bot.slack.wait_for("views.publish", count=1)
        bot.settle()
        changed = stored(bot) != before
        opened = bot.slack.calls_to("views.open")
        tries += 4
        figures.faults += 4
        refused += 4 if not changed and not opened else 0  # 3 presses and a typed edit
        home = json.dumps(bot.slack.home_view(OUTSIDER))
        seen = SECRET_WORDS in home or SECRET_WORDS in str(listed.json().get("text"))
        leaks = int(changed) + int(private and seen)
        figures.lost, figures.refused = leaks, refused
        figures.scenario += f" ({leaks} leaked)"
    finally:
        report.close(figures)
    assert leaks == 0 and refused == tries
