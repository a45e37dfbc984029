"""The language model's reading of a kickoff answer our parser could not read, after the ack.

It is shown back for a yes/no and stored only once someone confirms it
(bot/services/kickoff/answers.py); when the model has no reading (or takes too long), our own
follow-up question is posted instead.
"""

from __future__ import annotations

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape
from bot.domain.parsing import Parsed
from bot.domain.targets import Targets
from bot.services import outbox
from bot.services.kickoff import answers
from bot.services.reading import propose
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import section
from bot.store.models import Feature


def interpret(deps: Deps, feature_id: int, step: Step, text: str, clarify: str) -> None:
    """Background: the language model's reading, shown back for a yes/no; else our follow-up."""
    assert deps.llm is not None
    reading = propose(deps.llm, step, checklist.QUESTIONS[step].text, text)
    with deps.unit_of_work() as session:
        feature = session.get(Feature, feature_id)
        if feature is None or feature.stage != step.value:
            return  # someone answered meanwhile
        if reading is None:
            safe = escape(clarify)  # our parser quotes the person's words back
            outbox.say(session, deps.clock, feature, safe, [section(safe)])
            return
        answers.hold_reading(feature, step, reading, clarify)
        parsed = checklist.parse_answer(step, reading)
        assert isinstance(parsed, Parsed)
        described = checklist.describe(checklist.apply(Targets(), step, parsed.value), step)
        reading_blocks = kickoff_blocks.reading(feature.id, text, described)
        outbox.say(session, deps.clock, feature, *reading_blocks)
