"""A button that opens a form (the summary's Edit buttons) when Slack will not open it: rate
limited, the trigger expired, or Slack failing. Found by the adversarial pass: the bot retried
views.open for up to 8 s (a trigger_id lives three seconds, https://api.slack.com/docs/triggers,
so no retry could succeed, and the press's answer was long past Slack's 3 s), then told the
person "something went wrong on our side … Part of it may have been stored", which was untrue:
the press stores nothing. Now views.open is tried once and the person is told why."""

from __future__ import annotations

import pytest

from bot.store.models import TargetVersion
from tests.support.bot import BotUnderTest
from tests.support.kickoff import PM, latest_summary, to_summary, told, versions


@pytest.mark.parametrize(
    ("status", "error", "why"),
    [
        (429, None, "busy"),
        (200, "expired_trigger_id", "too long"),
        (503, None, "did not answer"),
    ],
)
def test_a_form_slack_will_not_open_is_tried_once_and_said_plainly(
    bot: BotUnderTest, status: int, error: str | None, why: str
) -> None:
    thread_ts = to_summary(bot)
    before = [(v.version, v.status, dict(v.values_json)) for v in versions(bot)]
    opened = len(bot.slack.calls_to("views.open"))
    bot.slack.fail("views.open", status=status, error=error, retry_after=2, times=1)
    reply = bot.driver.press(latest_summary(bot, thread_ts), label="Edit error rate", user=PM)
    assert reply.status == 200
    assert len(bot.slack.calls_to("views.open")) == opened + 1  # once: a trigger lives 3 s
    said = told(bot, PM)
    assert "Slack" in said and why in said and "Nothing was changed" in said, said
    assert "went wrong on our side" not in said
    after = [(v.version, v.status, dict(v.values_json)) for v in versions(bot)]
    assert after == before

    # Once Slack answers again, the same button opens the form.
    bot.driver.press(latest_summary(bot, thread_ts), label="Edit error rate", user=PM)
    assert bot.slack.calls_to("views.open")[-1].ok
    assert isinstance(versions(bot)[-1], TargetVersion)
