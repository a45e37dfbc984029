"""Sign what you saw, and changes after agreement, tried as the issue found them, many times over
through signed HTTP. Each trial is one kickoff at its summary (10%), where:

1. a colleague edits the draft to 50% and Slack refuses to update the summary, so it still shows
   10% with working buttons; the PM presses it (must sign nothing);
2. both sign the current summary (50% agreed);
3. a non-signer proposes 60% "because I say so" (refused), the PM proposes 8% "because ."
   (refused: empty reason), then 8% with a reason (proposed);
4. the engineer edits the open change to 9% and Slack again refuses the update; the PM presses
   the summary that showed 8% (must sign nothing); the colleague presses Withdraw (refused: not
   the proposer);
5. both sign the current summary: 9% agreed, recorded as the engineer's change with their reason.

Counted: requests, Slack refusals injected (faults), the five refusals each trial must meet
(refused), and any trial where something was signed that the signer did not see, a refusal let
through, or the end state is not 9% by the engineer (lost).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.models import Feature, SignOff, TargetVersion
from tests.support.agreement import ENG, PM, feature_in_review
from tests.support.bot import BotUnderTest
from tests.support.figures import Report, backends, scaled
from tests.support.reliability import backend_of

OTHER = "U0COLLEAGUE"
TRIALS = scaled(2, 20)
REFUSALS_PER_TRIAL = 5


class Trial:
    def __init__(self, bot: BotUnderTest, figures: Any, summary: dict[str, Any]) -> None:
        self.bot, self.figures = bot, figures
        self.channel, self.thread_ts = str(summary["channel"]), str(summary["thread_ts"])
        self.problems: list[str] = []

    def say(self, text: str, user: str) -> None:
        sent = self.bot.driver.message(self.channel, text, user=user, thread_ts=self.thread_ts)
        self.figures.ack(sent.elapsed_ms)
        self.bot.settle()

    def press(self, message: dict[str, Any], label: str, user: str) -> None:
        pressed = self.bot.driver.press(message, label=label, user=user)
        self.figures.ack(pressed.elapsed_ms)
        self.bot.settle()

    def summary(self) -> dict[str, Any]:
        """The newest message in the thread with sign-off buttons, as Slack holds it now."""
        for message in reversed(self.bot.slack.bot_messages(self.channel, self.thread_ts)):
            if "signoff_pm" in json.dumps(message.get("blocks")):
                return message
        raise AssertionError("no summary with sign-off buttons")

    def refuse_updates(self) -> None:
        self.bot.slack.fail("chat.update", status=200, error="cant_update_message")
        self.figures.faults += 1

    def versions(self) -> list[tuple[int, str, float | None, str | None, int]]:
        with self.bot.session() as session:
            feature = session.scalars(
                select(Feature).where(Feature.channel_id == self.channel)
            ).one()
            rows = session.scalars(
                select(TargetVersion)
                .where(TargetVersion.feature_id == feature.id)
                .order_by(TargetVersion.version)
            )
            return [
                (
                    v.version,
                    str(v.status),
                    v.values_json.get("max_error_rate"),
                    v.changed_by,
                    len(
                        session.scalars(
                            select(SignOff.id).where(SignOff.target_version_id == v.id)
                        ).all()
                    ),
                )
                for v in rows
            ]

    def expect(self, what: str, ok: bool) -> None:
        """A refusal the trial must meet: counted when met, a problem when let through."""
        if ok:
            self.figures.refused += 1
        else:
            self.problems.append(what)

    def run(self) -> None:
        first = self.summary()  # shows 10%
        self.refuse_updates()
        self.say("change error rate to 50%", OTHER)
        self.press(first, "Sign off as PM", PM)  # Slack still shows the 10% buttons
        self.expect("an old summary signed", self.versions() == [(1, "draft", 0.5, None, 0)])

        self.press(self.summary(), "Sign off as PM", PM)
        self.press(self.summary(), "Sign off as engineer", ENG)
        if self.versions() != [(1, "agreed", 0.5, None, 2)]:
            self.problems.append(f"50% not agreed: {self.versions()}")

        self.say("change error rate to 60% because I say so", OTHER)
        self.expect("a non-signer proposed", len(self.versions()) == 1)
        self.say("change error rate to 8% because .", PM)
        self.expect("an empty reason passed", len(self.versions()) == 1)
        self.say("change error rate to 8% because support tickets doubled", PM)
        proposal = self.summary()  # shows 8%, signs version 2

        self.refuse_updates()
        self.say("change error rate to 9% because 8% is too tight for launch", ENG)
        self.press(proposal, "Sign off as PM", PM)  # Slack still shows the 8% buttons
        self.expect(
            "a replaced proposal signed",
            [v[4] for v in self.versions()] == [2, 0, 0],
        )
        self.press(self.summary(), "Withdraw this change", OTHER)
        self.expect("a non-proposer withdrew", self.versions()[-1][1] == "draft")

        self.press(self.summary(), "Sign off as PM", PM)
        self.press(self.summary(), "Sign off as engineer", ENG)
        end = self.versions()
        wanted = [(1, "superseded", 0.5, None, 2), (2, "replaced", 0.08, PM, 0)]
        wanted.append((3, "agreed", 0.09, ENG, 2))
        if end != wanted:
            self.problems.append(f"end state {end}")


@pytest.mark.parametrize("database_url", backends("sqlite"), indirect=True)
def test_what_was_signed_is_what_was_shown(
    bot: BotUnderTest, database_url: str, report: Report
) -> None:
    figures = report.open(
        "stale summaries, non-signers, empty reasons, others' withdrawals", backend_of(database_url)
    )
    failed: list[tuple[int, list[str]]] = []
    try:
        for index in range(TRIALS):
            summary = feature_in_review(database_url, bot.slack, index)
            trial = Trial(bot, figures, summary)
            trial.run()
            if trial.problems:
                failed.append((index, trial.problems))
        figures.lost = len(failed)
    finally:
        report.close(figures)
    assert failed == [] and figures.refused == TRIALS * REFUSALS_PER_TRIAL, failed
