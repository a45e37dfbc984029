"""The wrong-answer choice on a real database (SQLite and PostgreSQL): each change is a new
version; a recount is for one version and an older one does nothing; a press that would leave
nothing counted is refused; the list's buttons carry what they change, within Slack's limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from bot.clock import ManualClock
from bot.errors import BadInput
from bot.ingest.model import CheckKind
from bot.services import wrong_answers
from bot.services.evals import Upload, store_run
from bot.services.wrong_answers import Changed, CheckRow, Listing, Stale
from bot.slack.blocks.checks import MAX_BUTTONS, choice_message
from bot.slack.wire import WrongChoiceValue
from bot.store.db import make_engine, make_session_factory, session_scope, upgrade
from bot.store.models import EvalRun, Feature
from tests.support.paths import EVAL_FIXTURES

PM = "U0PM"
CLOCK = ManualClock()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as opened:
        yield opened
    engine.dispose()


def feature_with_run(session: Session) -> tuple[Feature, EvalRun]:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    feature = Feature(
        team_id="T0", name="Support answers", slug="support-answers", channel_id="C0",
        created_by=PM, created_at=now, stage="agreed", last_activity_at=now, pm_user_id=PM,
    )  # fmt: skip
    session.add(feature)
    session.flush()
    path = EVAL_FIXTURES / "real" / "promptfoo.json"
    with path.open("rb") as stream:
        run = store_run(session, CLOCK, feature, Upload(stream, path.name, "cli"))
    return feature, run


def test_an_older_versions_recount_does_nothing(session: Session) -> None:
    feature, run = feature_with_run(session)
    wrong_answers.choose(session, CLOCK, feature, ["length"], PM)
    older = feature.wrong_choice_version
    wrong_answers.choose(session, CLOCK, feature, ["cites-source"], PM)
    assert feature.wrong_choice_version == older + 1

    assert wrong_answers.rejudge_version(session, feature.id, older) is None
    assert run.n_failed == 3  # still the default's count: nothing was recounted

    done = wrong_answers.rejudge_version(session, feature.id, feature.wrong_choice_version)
    assert done is not None and done.runs == 1 and done.latest is run
    assert run.n_failed == 2 and run.checks_json["wrong_means"] == "wrong = failed cites-source"


def test_a_press_answers_from_the_version_it_was_drawn_from(session: Session) -> None:
    feature, run = feature_with_run(session)
    seen = feature.wrong_choice_version
    changed = wrong_answers.toggle(session, CLOCK, feature, run, "length", True, seen, PM)
    assert isinstance(changed, Changed)
    assert {c.name for c in changed.listing.checks if c.counted} == {
        "cites-source",
        "groundedness",
        "length",
    }
    again = wrong_answers.toggle(session, CLOCK, feature, run, "groundedness", False, seen, PM)
    assert isinstance(again, Stale) and again.by == PM
    assert again.listing.version == seen + 1 and "length" in again.listing.means

    now = feature.wrong_choice_version
    with pytest.raises(BadInput, match="can't count"):
        wrong_answers.toggle(session, CLOCK, feature, run, "latency", True, now, PM)
    for name in ("groundedness", "length"):
        step = wrong_answers.toggle(session, CLOCK, feature, run, name, False, now, PM)
        assert isinstance(step, Changed)
        now = feature.wrong_choice_version
    with pytest.raises(BadInput, match="only check that counts"):
        wrong_answers.toggle(session, CLOCK, feature, run, "cites-source", False, now, PM)


def test_the_list_stays_within_slacks_limits() -> None:
    rows = [CheckRow(f"check-{i}", CheckKind.OTHER, 10, 1, i == 0) for i in range(55)]
    rows.insert(1, CheckRow("x" * 300, CheckKind.CORRECTNESS, 10, 0, False))  # typed by name
    rows.insert(2, CheckRow("p95 <fast> & cheap", CheckKind.LATENCY, 10, 0, False))  # no button
    listing = Listing(1, "f", 2, 3, rows, "wrong = failed check-0", chosen=True)
    text, blocks = choice_message(listing)
    assert len(blocks) <= 50
    buttons = [b["accessory"] for b in blocks if "accessory" in b]
    assert len(buttons) == MAX_BUTTONS - 2 and "xxx" not in str(buttons)
    assert all(len(b["text"]["text"]) <= 75 and len(b["value"]) <= 2000 for b in buttons)
    pressed = WrongChoiceValue.decode(buttons[0]["value"])
    assert (pressed.feature, pressed.run, pressed.version, pressed.check, pressed.count) == (
        1,
        2,
        3,
        "check-0",
        False,
    )
    assert "…and 17 more checks" in str(blocks)
    assert "&lt;fast&gt; &amp; cheap" in text and "<fast>" not in text
    assert blocks[-1]["elements"][0]["text"]["text"] == "Back to the default"
    extra = '{"feature":1,"run":2,"version":3,"check":null,"count":true,"x":0}'
    for forged in ("", "{}", '{"feature": 1}', "not json", extra, '{"feature":0,"run":2}'):
        with pytest.raises(BadInput):
            WrongChoiceValue.decode(forged)


def test_a_press_keeps_what_was_chosen_for_other_runs_checks(session: Session) -> None:
    """promptfoo's JSON names checks by metric, its JUnit by assertion type: a press on the
    JUnit run's list changes that run's names and keeps the JSON's."""
    feature, _json_run = feature_with_run(session)
    wrong_answers.choose(session, CLOCK, feature, ["cites-source"], PM)
    path = EVAL_FIXTURES / "real" / "promptfoo.junit.xml"
    with path.open("rb") as stream:
        junit = store_run(session, CLOCK, feature, Upload(stream, path.name, "cli"))
    listed = wrong_answers.listing(feature, junit)
    assert not listed.chosen and listed.means == "wrong = failed correctness"  # no name matches
    version = feature.wrong_choice_version
    pressed = wrong_answers.toggle(session, CLOCK, feature, junit, "icontains", False, version, PM)
    assert isinstance(pressed, Changed) and pressed.listing.means == "wrong = failed llm-rubric"
    assert feature.wrong_checks_json is not None
    assert feature.wrong_checks_json["checks"] == ["cites-source", "llm-rubric"]
