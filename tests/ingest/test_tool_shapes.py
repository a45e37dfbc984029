"""Shapes the real tools write that the first fixtures did not cover (tests/fixtures/evals/real/,
each made by its script in tests/fixtures/evals/make/). Expected values are read off the raw
files by hand and named here, so a reader that miscounts fails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.ingest import CaseRow, Format, IngestError, RunMeta, read_cases
from bot.services import evals, uploads
from bot.store.models import EvalCase, EvalRun, Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import start_feature
from tests.support.paths import EVAL_FIXTURES

REAL = EVAL_FIXTURES / "real"
PYTEST_RERUNS = REAL / "pytest-9.2.0-rerunfailures-16.7.junit.xml"
PYTEST_XDIST = REAL / "pytest-9.2.0-xdist-3.8.0-rerunfailures-16.7.junit.xml"


def read(path: Path, fmt: Format = Format.AUTO) -> tuple[list[CaseRow], RunMeta]:
    with path.open("rb") as stream:
        _, rows, meta = read_cases(stream, fmt, metric=None, name=path.name)
        return list(rows), meta


def test_pytest_reruns_and_teardown_errors_are_one_case_each() -> None:
    """pytest-rerunfailures writes every attempt as its own <testcase> (the earlier ones
    empty, so they look passed), and pytest writes a second <testcase> for a teardown error
    after a failed call. Each is still one test: its last attempt, or its failure."""
    rows, meta = read(PYTEST_RERUNS)
    by_id = {row.case_id.removeprefix("test_edge_answers::"): row for row in rows}
    assert len(rows) == 10, sorted(by_id)
    assert meta.skipped == 2  # test_known_gap (xfail) and test_skipped_inside
    assert by_id["test_flaky_then_passes"].passed is True
    assert by_id["test_always_wrong_after_retries"].passed is False
    wrong_then_teardown = by_id["test_wrong_and_teardown_error"]
    assert (wrong_then_teardown.passed, wrong_then_teardown.errored) == (False, False)
    assert (wrong_then_teardown.reason or "").startswith("AssertionError")
    assert by_id["test_right_but_teardown_error"].errored
    assert by_id["test_xpass_lenient"].passed is True
    assert by_id["test_xpass_strict"].passed is False
    assert not any("#" in case_id for case_id in by_id)
    answered = [row for row in rows if not row.errored]
    assert (len(answered), sum(row.passed is False for row in answered)) == (9, 5)


def test_pytest_non_ascii_parameters_read_as_written() -> None:
    """pytest escapes non-ASCII ids (`test_answer[\\u8fd4…]`); the question is the text."""
    rows, _ = read(PYTEST_RERUNS)
    questions = {row.question for row in rows if row.question}
    assert "返品できますか？" in questions
    assert "Combien de temps pour un remboursement ?" in questions
    assert "test_edge_answers::test_answer[返品できますか？]" in {row.case_id for row in rows}


def test_inspect_epochs_dict_scorer_and_f1() -> None:
    """Two epochs of four samples, one raising: each epoch is a case; a dict scorer gives one
    check per key; f1's 0.67 is not full credit, so every answered case is wrong by f1."""
    rows, meta = read(REAL / "inspect-0.3.285-epochs.eval")
    assert len(rows) == 8 and meta.label == "mockllm/model"
    assert sum(row.errored for row in rows) == 2
    assert {row.case_id for row in rows} >= {"7 (epoch 1)", "7 (epoch 2)", "outage (epoch 2)"}
    refund = next(row for row in rows if row.case_id == "refund (epoch 1)")
    assert refund.verdicts() == {
        "includes": True,
        "f1": False,
        "grounded_and_cites.grounded": True,
        "grounded_and_cites.cites": True,
    }
    assert refund.check("f1") is not None and refund.check("f1").score == 0.67  # type: ignore[union-attr]
    warranty = next(row for row in rows if row.case_id == "warranty (epoch 2)")
    assert warranty.question == "Wie lange gilt die Garantie? 保証期間は？"


def test_inspect_log_without_scores_says_so() -> None:
    """`inspect eval --no-score` writes every sample with `"scores": {}`: not a missing field
    in a broken file, but a log that was never scored, and the message says how to score it."""
    with pytest.raises(IngestError) as caught:
        read(REAL / "inspect-0.3.285-no-score.json")
    message = caught.value.message
    assert message.startswith("inspect-0.3.285-no-score.json: sample 1 (id '7'): no scores")
    assert "--no-score" in message and "inspect score" in message


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("promptfoo.yaml", "promptfoo.yaml: promptfoo's YAML output, which we do not read"),
        ("promptfoo.xml", "promptfoo.xml: promptfoo's own XML output (not a JUnit report)"),
        ("promptfoo.html", "promptfoo.html: an HTML page (a report to look at,"),
    ],
)
def test_promptfoo_outputs_we_do_not_read_say_what_to_send(name: str, says: str) -> None:
    """These were refused as "not a promptfoo … file", "not a JUnit report (the root is
    <promptfoo>)" and "not valid XML at line 1, column 1": true, but no help to the person."""
    with pytest.raises(IngestError) as caught:
        read(REAL / name)
    message = caught.value.message
    assert message.startswith(says), message
    assert "-o results.json" in message


@pytest.mark.parametrize("ext", ["json", "jsonl", "junit.xml"])
def test_two_providers_in_one_file_are_refused_not_blended(bot: BotUnderTest, ext: str) -> None:
    """promptfoo compares providers in one eval. The file says support-bot-v2 got 4 of 6
    wrong and echo-baseline 6 of 6; stored as one run it read "10 of 12 failed (83%)", a
    number true of neither model, under no label, even with --label naming one of them."""
    start_feature(bot)
    name = f"promptfoo-2-providers.{ext}"
    for label in (None, "support-bot-v2"):
        with bot.session() as session, (REAL / name).open("rb") as stream:
            feature = session.scalars(select(Feature)).one()
            upload = evals.Upload(stream, name, "cli", label=label)
            with pytest.raises(IngestError) as caught:
                uploads.ingest(session, SystemClock(), feature, upload)
            session.rollback()
            assert session.scalar(select(func.count()).select_from(EvalRun)) == 0
            assert session.scalar(select(func.count()).select_from(EvalCase)) == 0
        message = caught.value.message
        assert message.startswith(f"{name}: results of more than one model or provider ("), message
        assert "support-bot-v2" in message and "echo-baseline" in message
        assert "--filter-providers" in message


def test_deepeval_metric_that_raised_judges_nothing() -> None:
    """DeepEval 4.3.1 writes a metric that raised as `"success": false` with no score, reason
    or error (its metricsScores count it under `errors`). It was read as a failed check, so a
    case whose judge timed out was a wrong answer: 4 of 8 where DeepEval's judges found 3."""
    rows, _ = read(REAL / "deepeval-4.3.1-custom.latest_test_run.json")
    assert len(rows) == 8
    outage = next(row for row in rows if row.case_id == "Is there an outage right now?")
    assert outage.verdicts() == {"Groundedness": True}  # Exact Answer raised: no verdict
    assert outage.reason == "Exact Answer judged nothing: it raised"
    wrong = [row.case_id for row in rows if any(not c.passed for c in row.checks)]
    assert len(wrong) == 3


def test_deepeval_3_leaves_the_raised_case_out() -> None:
    """DeepEval 3.5.9 drops that case from both files (pytest ran 8 tests): we read the 7."""
    for suffix in ("latest_test_run.json", "test_run.json"):
        rows, _ = read(REAL / f"deepeval-3.5.9-custom.{suffix}")
        assert len(rows) == 7
        assert "返品できますか？" in {row.case_id for row in rows}
        assert sum(row.passed is False for row in rows) == 3


def test_pytest_xdist_reruns_between_other_tests_are_still_one_case() -> None:
    """On two xdist workers a test's attempts have other tests' reports between them
    (`q12 q12 q14 q12-failed`). 24 tests, 4 always wrong: it was read as 32 cases, 4 failed."""
    rows, _ = read(PYTEST_XDIST)
    assert len(rows) == 24
    assert not any("#" in row.case_id for row in rows)
    failed = sorted(row.question or "" for row in rows if row.passed is False)
    assert failed == ["q00", "q06", "q12", "q18"]


def test_a_pytest_test_written_again_far_from_its_first_entry_is_refused() -> None:
    """Our own file, shaped as pytest writes: one test's second entry 1,200 cases after its
    first is too far to join (the first was already counted), so the file is refused."""
    cases = ['<testcase classname="t" name="test_a[x]" time="0.1" />']
    cases += [f'<testcase classname="t" name="test_b[{n}]" time="0.1" />' for n in range(1200)]
    cases.append(
        '<testcase classname="t" name="test_a[x]" time="0.1"><failure message="no"/></testcase>'
    )
    data = (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'
    ).encode()
    with pytest.raises(IngestError) as caught:
        _, rows, _ = read_cases(io.BytesIO(data), name="far.xml")
        list(rows)
    assert caught.value.message == (
        "far.xml: testcase 1202: test 'test_a[x]' is written again more than 1,000 cases "
        "after its first entry; too far apart to join as one test's reruns, so the file is "
        "refused rather than counting that test twice"
    )


def _by_description(name: str) -> dict[str, CaseRow]:
    rows, _ = read(REAL / name)
    return {row.case_id: row for row in rows}


def test_promptfoo_test_threshold_and_assert_set_verdicts_are_promptfoos() -> None:
    """promptfoo passed "threshold lets one miss pass" (score 0.50 ≥ its threshold 0.5) and
    the assert-set (its own threshold 0.5), and writes an assert-set's parts twice: nested in
    the set and again flattened after it. The failed parts were read as failed correctness and
    groundedness checks, so both passing tests were wrong answers (3 of 6 where it is 1)."""
    rows = _by_description("promptfoo-assertions.json")
    threshold = rows["threshold lets one miss pass"]
    assert threshold.passed is True and threshold.verdicts() == {"groundedness": True}
    assert threshold.check("groundedness").score == 0.5  # type: ignore[union-attr]
    assert rows["assert-set"].verdicts() == {"assert-set": True}
    assert rows["not-icontains"].verdicts() == {"groundedness": False}
    assert rows["javascript throws"].verdicts() == {"javascript": False}  # kind other
    assert rows["no assertions at all"].checks == []


def test_promptfoo_csv_metric_below_one_on_a_passed_test_passes() -> None:
    rows = _by_description("promptfoo-assertions.csv")
    assert rows["threshold lets one miss pass"].verdicts() == {"groundedness": True}
    assert rows["not-icontains"].verdicts() == {"groundedness": False}


@pytest.mark.parametrize("suffix", ["eval", "json"])
def test_a_cancelled_inspect_log_is_refused(suffix: str) -> None:
    """Interrupted with Ctrl-C, Inspect writes status "cancelled", the samples that finished,
    and the ones in flight as CancelledError. It was stored as a run, the interrupted samples
    as cases with no answer: numbers of part of a run, and errors nobody's model made."""
    path = REAL / f"inspect-0.3.285-cancelled.{suffix}"
    with pytest.raises(IngestError) as caught:
        read(path)
    message = caught.value.message
    assert message.startswith(f"{path.name}: Inspect's log says the eval was cancelled after ")
    assert " of 20 samples" in message and "inspect eval-retry" in message


def test_jest_todo_is_not_a_passing_answer() -> None:
    """jest-junit writes `test.todo("loyalty points")` as an empty <testcase> (a pass, to a
    reader) and leaves it out of its suite's `tests` count (6 cases, tests="5"). It was stored
    as a fifth passing case: 1 of 5 wrong where Jest ran 4 and 1 failed. Retries: one entry."""
    rows, meta = read(REAL / "jest-30.5.2-jest-junit-17.0.0-todo-retry.junit.xml")
    ids = {row.case_id for row in rows}
    assert len(rows) == 4 and sum(row.passed is False for row in rows) == 1
    assert meta.skipped == 2  # the skipped test and the todo
    assert "support answers answers 返品できますか？" in ids
    # "answers Combien ?" also passed in "0" s, so nothing tells it from the todo: the last
    # empty case is left out (here the todo), and a note says the ids may not be right.
    assert "support answers loyalty points" not in ids
    assert meta.notes == [
        "suite 'support answers': 1 test.todo left out of 2 empty zero-time cases, which "
        "jest-junit writes alike (the last ones); the counts are right, those cases' ids may "
        "not be"
    ]


def test_pytest_collection_error_is_no_run() -> None:
    """A module that cannot be imported stops pytest before any test runs; its report holds
    one <error message="collection failure">. It was stored as a run, "every case errored
    (1 of 1)", alerting the channel about answers no model was asked for."""
    with pytest.raises(IngestError) as caught:
        read(REAL / "pytest-9.2.0-collection-error.junit.xml")
    assert caught.value.message == (
        "pytest-9.2.0-collection-error.junit.xml: pytest could not collect "
        "'test_broken_import' (ImportError while importing test module), so no test ran; "
        "fix the suite and send the report of a run"
    )


def test_pytest_collection_error_beside_tests_that_ran_is_left_out() -> None:
    rows, meta = read(REAL / "pytest-9.2.0-continue-on-collection-errors.junit.xml")
    assert [(row.case_id, row.passed) for row in rows] == [
        ("test_fine::test_refund_window", True),
        ("test_fine::test_warranty", False),
    ]
    assert meta.notes == [
        "pytest could not collect 'test_broken_import' (ImportError while importing test "
        "module): its tests did not run and are not counted"
    ]
