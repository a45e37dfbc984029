"""No user text reaches mrkdwn unescaped: hostile strings in every stored text field, every
surface rendered from them (thread posts and channel alerts through the real outbox, reports,
reframe and listening replies, status, App Home, replies to commands and clicks), and each
rendered text and block checked.

Hostile: `<!channel>`, `<!here>`, `<@U…>`, `<https://x|y>`, `&`, newlines, Slack's own emphasis
characters, and 3,001 characters at a time (longer than a section's 3,000, so every clip is
tried on text that escapes to entities).
(Over 300 lines: one renderer call for every surface, in one list, so none is left out.)
"""

from __future__ import annotations

import io
import json
import re
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import ManualClock
from bot.config import Settings
from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape
from bot.domain.options import Option
from bot.domain.reframe import Claim, Dimension
from bot.domain.reframe_wording import answer
from bot.domain.runs import RunFacts
from bot.domain.targets import Role, Targets
from bot.errors import UserFacingError
from bot.jobs import run_posts
from bot.services import access, evals, kickoff
from bot.services import reframe as reframe_service
from bot.services import reports as report_service
from bot.services.kickoff import outcomes
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import reframe as reframe_blocks
from bot.slack.blocks import report as report_blocks
from bot.slack.blocks import status
from bot.slack.kickoff_replies import say
from bot.slack.listeners import evals as evals_listener
from bot.slack.listeners import schedule as schedule_listener
from bot.store.db import make_engine, make_session_factory, upgrade
from bot.store.models import (
    Decision,
    EvalRun,
    Feature,
    MetricSample,
    OutboxMessage,
    Report,
    SignOff,
    TargetVersion,
)
from tests.support.rows import feature_row

PARTS = ["<!channel>", "<!here>", "<@U0EVIL>", "<https://x.example|y>", "&", "\n", "<", ">"]
PARTS += ["*", "_", "~", "`", " "]
MARKERS = ["<!channel", "<!here", "<@U0EVIL", "<https://x.example"]
LONE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
DOUBLE_ESCAPED = re.compile(r"&amp;(?:amp|lt|gt);")
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,:-%$", max_size=6)
PIECES = st.lists(st.one_of(st.sampled_from(PARTS), WORDS), min_size=1, max_size=10)
LONG = st.sampled_from(PARTS[:5]).map(lambda part: (part * 3001)[:3001])
HOSTILE = st.one_of(PIECES.map("".join), LONG).filter(lambda text: text.strip() != "")
PM, ENG, OUTSIDER = "U0PM", "U0ENG", "U0OUTSIDER"


# --- the check ------------------------------------------------------------------------------
def assert_mrkdwn_safe(where: str, text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{where}: raw {marker!r} in {text[:300]!r}"
    lone = LONE_AMPERSAND.search(text)
    assert lone is None, f"{where}: unescaped & in …{text[max(0, lone.start() - 40) :][:80]!r}"
    twice = DOUBLE_ESCAPED.search(text)
    assert twice is None, f"{where}: escaped twice in …{text[max(0, twice.start() - 40) :][:80]!r}"


def assert_blocks_safe(where: str, node: Any) -> None:
    """mrkdwn text objects must be escaped; plain_text ones must not be (Slack shows them as
    they are, so an entity there would show as `&lt;`)."""
    if isinstance(node, list):
        for item in node:
            assert_blocks_safe(where, item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
        assert_mrkdwn_safe(where, node["text"])
        assert len(node["text"]) <= 3000, f"{where}: a text object over 3,000 characters"
    if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
        assert "&lt;" not in node["text"] and "&amp;" not in node["text"], where
    for value in node.values():
        assert_blocks_safe(where, value)


@dataclass
class Rendered:
    where: str
    text: str
    blocks: Any = None


def check_all(rendered: list[Rendered]) -> None:
    assert rendered
    for item in rendered:
        assert_mrkdwn_safe(item.where, item.text)
        assert_blocks_safe(item.where, item.blocks)


# --- hostile state --------------------------------------------------------------------------
@dataclass(frozen=True)
class Hostile:
    name: str
    impact: str
    fallback: str
    metric: str
    unit: str
    reason: str
    note: str
    label: str
    case_id: str
    question: str
    case_reason: str
    asked: str
    said: str


HOSTILE_FIELDS = st.builds(Hostile, *(HOSTILE for _ in range(len(Hostile.__dataclass_fields__))))


class Everyone:
    """The directory says everyone is in every (public) channel: we check wording, not access."""

    def is_private(self, team_id: str, channel_id: str) -> bool:
        return False

    def is_member(self, team_id: str, channel_id: str, user_id: str) -> bool:
        return user_id != OUTSIDER


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Deps, ManualClock]]:
    engine = make_engine(database_url)
    upgrade(engine)
    clock = ManualClock()
    deps = Deps(
        settings=Settings(_env_file=None, DATABASE_URL=database_url),  # type: ignore[call-arg]
        session_factory=make_session_factory(engine),
        clock=clock,
    )
    yield deps, clock
    engine.dispose()


def targets_json(h: Hostile) -> dict[str, Any]:
    return {
        "max_error_rate": 0.1,
        "error_impact": h.impact,
        "fallback": {"kind": "other", "detail": h.fallback},
        "success_metrics": [
            {"name": h.metric[:80], "target": 4.2, "direction": "at_least", "unit": h.unit}
        ],
        "max_latency_p95_ms": 2000.0,
        "max_cost_per_query_usd": 0.01,
        "tradeoff_priority": "latency_gives",
    }


def hostile_feature(session: Session, clock: ManualClock, h: Hostile) -> Feature:
    """An agreed version 1 and a proposed version 2, every text field hostile."""
    now = clock.now()
    feature = feature_row(
        now,
        team_id=f"T{uuid.uuid4().hex[:10].upper()}",
        name=h.name[:80],
        slug=f"f-{uuid.uuid4().hex[:12]}",
        thread_ts="1700000000.000100",
        listening=True,
    )
    agreed = TargetVersion(
        version=1, status="agreed", values_json=targets_json(h), created_at=now, agreed_at=now
    )
    agreed.signoffs = [
        SignOff(user_id=PM, role="pm", at=now),
        SignOff(user_id=ENG, role="engineer", at=now),
    ]
    proposed = TargetVersion(
        version=2,
        status="draft",
        values_json=targets_json(h) | {"max_error_rate": 0.08},
        created_at=now,
        changed_by=PM,
        reason=h.reason,
    )
    feature.target_versions = [agreed, proposed]
    session.add(feature)
    session.flush()
    return feature


def add_run(session: Session, clock: ManualClock, feature: Feature, h: Hostile) -> EvalRun:
    rows = [
        {
            "id": f"{h.case_id[:150]}-{i}",
            "passed": i >= 6,
            "latency_ms": 3000,
            "cost_usd": 0.02,
            "question": h.question,
            "reason": h.case_reason,
        }
        for i in range(10)
    ]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    upload = evals.Upload(io.BytesIO(data), "run.jsonl", "cli", label=h.label[:200])
    return evals.store_run(session, clock, feature, upload)


# --- every surface --------------------------------------------------------------------------
def render_everything(deps: Deps, clock: ManualClock, h: Hostile) -> list[Rendered]:
    out: list[Rendered] = []
    with deps.unit_of_work() as session:
        feature = hostile_feature(session, clock, h)
        first_row = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
        agreed, proposed = feature.target_versions
        targets = kickoff.targets_of(agreed)

        # The kickoff thread: opening, questions, summary, readings, nudges, announcements.
        out.append(Rendered("opening", *kickoff_blocks.opening(feature)))
        out.append(Rendered("summary", *kickoff_blocks.summary(feature, proposed, targets)))
        out.append(Rendered("agreed", *kickoff_blocks.agreed(feature, agreed, targets)))
        announcement = kickoff_blocks.change_announcement(
            feature, proposed, Step.ERROR_RATE, targets
        )
        out.append(Rendered("change announcement", announcement))
        for second in (False, True):
            out.append(Rendered("nudge", kickoff_blocks.nudge(feature, [PM, ENG], second)))
        out.append(Rendered("reading", *kickoff_blocks.reading(feature.id, h.said, h.impact)))
        for step in checklist.ORDER:
            question = checklist.ITEMS[step].question
            out.append(Rendered(f"question {step}", *kickoff_blocks.question(question, feature.id)))
        edit = outcomes.Change(Step.ERROR_IMPACT, before=h.impact, after=h.said)
        every_step = tuple(checklist.ORDER)
        for outcome in (
            outcomes.Clarify(feature, h.said),
            outcomes.Noted(
                feature, targets, every_step, ask=checklist.ITEMS[Step.FALLBACK].question
            ),
            outcomes.Noted(feature, targets, every_step, complete=True),
            outcomes.Noted(
                feature,
                targets,
                (),
                (edit,),
                (outcomes.Dispute(Step.ERROR_IMPACT, ((PM, h.said), (ENG, h.impact))),),
                (h.said,),
                (h.said,),
                still_open=checklist.ITEMS[Step.FALLBACK].question,
            ),
            outcomes.Explained(feature, h.said, Step.LATENCY),
            outcomes.Changed(feature, targets, (edit,), complete=True),
            outcomes.Proposed(feature, targets, proposed, Step.ERROR_IMPACT),
            outcomes.Proposed(feature, targets, proposed, Step.ERROR_IMPACT, revises=agreed),
            outcomes.Signed(feature, targets, proposed, Role.PM),
            outcomes.Withdrawn(feature, targets, agreed, proposed, PM),
            outcomes.Agreed(feature, targets, proposed),
        ):
            say(session, deps, outcome)
        stale = kickoff_blocks.stale_reply(feature, proposed, targets)
        out.append(Rendered("stale press", stale))
        out.append(Rendered("retired", *kickoff_blocks.retired(escape(h.said), [])))  # our own text

        # A run in: the thread's numbers and the channel alert.
        run = add_run(session, clock, feature, h)
        run_posts.after_ingest(session, clock, feature, run)

        # The report: labels, failing cases, success measures, a decision with a note.
        report = Report(
            feature_id=feature.id,
            idempotency_key=f"{feature.id}:hostile",
            period="hostile",
            status="posted",
            attempts=1,
            created_at=clock.now(),
            channel_id=feature.channel_id,
            ts="1700000001.000100",
        )
        session.add(report)
        session.flush()
        session.add(
            Decision(
                feature_id=feature.id,
                report_id=report.id,
                option="A",
                by=ENG,
                at=clock.now(),
                note=h.note,
            )
        )
        session.add(
            MetricSample(
                feature_id=feature.id, name=h.metric[:80], value=4.0, at=clock.now(), by=PM
            )
        )
        session.flush()
        clock.advance(timedelta(hours=2))
        model = report_service.build(session, feature, clock.now(), report.id)
        out.append(Rendered("report", *report_blocks.report_message(model)))
        text, blocks = report_blocks.decision_confirmation(feature, Option.RETRIEVAL, ENG, 1)
        out.append(Rendered("decision confirmation", text, blocks))
        out.append(
            Rendered(
                "decision note", *report_blocks.decision_note_post(ENG, Option.RETRIEVAL, h.note)
            )
        )

        # Status and App Home, with the latest numbers.
        latest = report_service.latest_of(session, [feature], clock.now())
        failures = {feature.id: h.said}
        out.append(Rendered("status text", status.status_text([feature], failures)))
        out.append(Rendered("status", "", status.status_blocks([feature], failures, latest)))
        out.append(Rendered("home", "", status.home_view([feature], failures, latest)))

        # Reframe and listening replies, for every kind of claim, and the kickoff pointer.
        for dimension in Dimension:
            composed = reframe_service.compose(session, feature, Claim(dimension, h.said))
            text = reframe_service.word(None, composed)
            for listening in (False, True):
                blocks = reframe_blocks.reply_blocks(
                    text,
                    feature_id=feature.id,
                    asks_for_target=False,
                    asked_by=PM,
                    asked_text=h.asked,
                    listening=listening,
                )
                out.append(Rendered(f"reframe {dimension}", text, blocks))
        out.append(Rendered("kickoff pointer", reframe_blocks.kickoff_pointer(feature)))
        for turn_on in (True, False):
            out.append(
                Rendered("listening", reframe_blocks.listening_announcement(feature, PM, turn_on))
            )

        # Replies to commands: the schedule, a metric noted, a refusal that names the feature.
        out.append(Rendered("schedule", schedule_listener.describe(feature, clock.now())))
        noted = evals_listener.noted_text(h.metric[:80], 4.5, feature.name, [h.unit[:80]])
        out.append(Rendered("metric noted", noted))
        for need in (access.Need.ACT, access.Need.STEER):
            try:
                access.require(
                    Everyone(), feature, OUTSIDER if need is access.Need.ACT else "U0X", need, ""
                )
            except UserFacingError as refusal:
                out.append(Rendered(f"refusal {need}", refusal.message))

        # Everything queued for Slack, text (the notification) and blocks.
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > (first_row or 0))
        ).all()
        assert len(rows) >= 9
        out += [Rendered(f"outbox {row.kind}", row.text, row.blocks_json) for row in rows]
        session.rollback()
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(h=HOSTILE_FIELDS)
def test_no_user_text_reaches_mrkdwn_unescaped(world: tuple[Deps, ManualClock], h: Hostile) -> None:
    deps, clock = world
    check_all(render_everything(deps, clock, h))


def test_the_known_leak_is_closed() -> None:
    """The cost of an error went raw into reframe replies when no model worded them."""
    targets = Targets(max_error_rate=0.1, error_impact="<!channel> a lost deal & more")
    run = RunFacts(id=1, created_at=ManualClock().now(), n=10, n_failed=4)
    text = answer("Search", Claim(Dimension.ACCURACY, "wrong"), targets, run).text
    assert "&lt;!channel&gt; a lost deal &amp; more" in text
    assert_mrkdwn_safe("reframe", text)
