"""Storing one eval run: read the file as a stream, keep every case, compute the aggregates.

Everything happens in the caller's transaction, so a file that turns out to be bad half-way
(a missing field on line 90,000) leaves nothing behind once the caller rolls back.

What the numbers count: `n` is the cases that got an answer (errored cases are counted apart,
never as a pass or a fail); latency percentiles and cost per query are over those same answered
cases, using only the cases whose file gives a latency or a cost.

(Just over 300 lines: the stream, the aggregates and the one transaction belong together.)
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.stats import wilson_interval
from bot.ingest import CaseRow, Format, IngestError, read_cases
from bot.ingest.judging import Tally, failed_names, is_wrong, provisionally_wrong, wrong_means
from bot.ingest.model import ColumnMap
from bot.services.runs import record_numbers
from bot.store.models import EvalCase, EvalRun, Feature
from bot.store.states import RunSource

CHUNK_ROWS = 5000  # rows per INSERT batch: big enough to be fast, small enough to stay lean
CASE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "case_id",
    "passed",
    "errored",
    "latency_ms",
    "cost_usd",
    "label",
    "question",
    "reason",
    "failed_checks",
)
SOURCES = tuple(RunSource)
ID_CHARS, LABEL_CHARS, NAME_CHARS, METRIC_CHARS, IDEMPOTENCY_CHARS = 200, 200, 300, 100, 200


@dataclass(frozen=True)
class Upload:
    """One eval file on its way in, and how the person sending it wants it read."""

    stream: BinaryIO
    name: str
    source: str  # cli | api | slack_file
    fmt: Format | str = Format.AUTO
    metric: str | None = None
    label: str | None = None
    columns: ColumnMap | None = None  # --map / --threshold, for CSV and JSONL


class _Totals:
    """Running aggregates over the rows, kept small: a million latencies are 8 MB in array('d')."""

    def __init__(self) -> None:
        self.rows = 0
        self.answered = 0
        self.failed = 0
        self.errored = 0
        self.latencies = array("d")
        self.costs = array("d")
        self.tally = Tally()

    def add(self, row: CaseRow) -> None:
        self.rows += 1
        if row.errored:
            self.errored += 1
            return
        self.answered += 1
        self.tally.add(row)
        if row.latency_ms is not None and not math.isnan(row.latency_ms):
            self.latencies.append(row.latency_ms)
        if row.cost_usd is not None and not math.isnan(row.cost_usd):
            self.costs.append(row.cost_usd)


def _case_values(run_id: int, row: CaseRow) -> tuple[Any, ...]:
    """One eval_cases row, its values in the order of CASE_COLUMNS."""
    return (
        run_id,
        row.case_id[:ID_CHARS],
        None if row.errored else not provisionally_wrong(row),
        row.errored,
        row.latency_ms,
        row.cost_usd,
        row.label[:LABEL_CHARS] if row.label else None,
        row.question,
        row.reason,
        failed_names(row),
    )


class _CaseWriter:
    """Sends batches of cases straight to the driver's executemany, in the session's transaction.

    A million rows through SQLAlchemy's parameter handling (or worse, the ORM's bulk path, which
    splits a batch wherever a row's None columns change) took longer than SQLite's own work.
    Every value here is already a plain str, float, bool or None, which sqlite3 and psycopg
    both take as they are, so nothing is lost by skipping that layer.
    """

    def __init__(self, session: Session) -> None:
        self._connection: Connection = session.connection()
        table = cast(Table, EvalCase.__table__)
        compiled = insert(table).compile(
            dialect=self._connection.dialect, column_keys=list(CASE_COLUMNS)
        )
        self._sql = compiled.string
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        if order is not None and order != CASE_COLUMNS:
            raise RuntimeError(f"unexpected column order for eval_cases: {order}")
        self._named = order is None  # pyformat (psycopg) wants a mapping per row

    def write(self, batch: list[tuple[Any, ...]]) -> None:
        if not batch:
            return
        if self._named:
            self._connection.exec_driver_sql(
                self._sql, [dict(zip(CASE_COLUMNS, values, strict=True)) for values in batch]
            )
        else:
            self._connection.exec_driver_sql(self._sql, batch)


def store_run(
    session: Session,
    clock: Clock,
    feature: Feature,
    upload: Upload,
    *,
    content_key: str | None = None,
    idempotency: str | None = None,
) -> EvalRun:
    """Read `upload` and store it as a run of `feature`; raises IngestError on a bad file.

    The caller owns the transaction and must roll back on error (Deps.unit_of_work and
    cli_support.session both do).
    """
    if upload.source not in SOURCES:
        raise ValueError(f"unknown source {upload.source!r}")
    # read_cases checks the format name itself, with a message listing the choices.
    requested = cast(Format, upload.fmt or Format.AUTO)
    fmt, rows, meta = read_cases(
        upload.stream, requested, metric=upload.metric, name=upload.name, columns=upload.columns
    )
    run = EvalRun(
        feature_id=feature.id,
        label=None,
        source=upload.source,
        file_format=fmt.value,
        file_name=upload.name[:NAME_CHARS] or None,
        metric=upload.metric[:METRIC_CHARS] if upload.metric else None,
        created_at=clock.now(),
        n=0,
        n_failed=0,
        n_errored=0,
        content_key=content_key,
        idempotency_key=idempotency[:IDEMPOTENCY_CHARS] if idempotency else None,
    )
    session.add(run)
    session.flush()  # the run's id, for its cases; a duplicate key fails here, before any case
    totals = _Totals()
    writer = _CaseWriter(session)
    run_id = run.id
    batch: list[tuple[Any, ...]] = []
    first_label: str | None = None
    for row in rows:
        if row.label is not None and row.label != first_label:
            if first_label is not None:
                raise IngestError(_several_models(upload.name, first_label, row.label))
            first_label = row.label
        totals.add(row)
        batch.append(_case_values(run_id, row))
        if len(batch) >= CHUNK_ROWS:
            writer.write(batch)
            batch = []
    writer.write(batch)
    if totals.rows == 0:  # read_cases says so first; kept so an empty run can never be stored
        raise IngestError(f"{upload.name}: no test cases")
    # The choice as it is now, held until this run commits: a change made while the file was
    # read applies to this run, and one made from here on waits, then recounts it.
    version = lock_choice(session, feature)
    chosen = [upload.metric] if upload.metric else wrong_choice(feature)
    counted, applied = totals.tally.counted(chosen)
    totals.failed = totals.tally.failed(counted)
    if counted != totals.tally.provisional():
        store_verdicts(session, run_id, counted)
    run.checks_json = {
        **checks_record(totals.tally, counted, applied),
        "notes": [*meta.notes, *_skipped_note(meta.skipped)],
        "choice_version": version,
    }
    _set_aggregates(run, totals)
    label = (upload.label or "").strip() or meta.label
    run.label = label[:LABEL_CHARS] if label else None
    session.flush()
    return run


def _several_models(name: str, first: str, other: str) -> str:
    """A run is one model's results: a comparison of two (promptfoo's several providers) stored
    as one run would say a failure rate, p95 and cost true of neither, under no label."""
    return (
        f"{name}: results of more than one model or provider ({first[:60]!r} and "
        f"{other[:60]!r}); a run is one model's results, so send each one's on its own "
        "(promptfoo: `promptfoo eval --filter-providers NAME -o results.json`)"
    )


def store_verdicts(session: Session, run_id: int, counted: frozenset[str]) -> int:
    """Redo each stored case's verdict (passed = not a wrong answer) for `counted`, a page of
    cases at a time; returns the run's wrong answers. Cases without checks keep theirs."""
    failed, last_id = 0, 0
    connection = session.connection()
    while True:
        page = connection.execute(
            select(EvalCase.id, EvalCase.passed, EvalCase.failed_checks)
            .where(EvalCase.run_id == run_id, EvalCase.id > last_id, EvalCase.errored.is_(False))
            .order_by(EvalCase.id)
            .limit(CHUNK_ROWS)
        ).all()
        if not page:
            return failed
        changes = []
        for case_id, passed, checks in page:
            wrong = is_wrong(checks, passed, counted)
            failed += wrong
            if checks is not None and passed is wrong:
                changes.append({"case": case_id, "passed": not wrong})
        if changes:
            table = cast(Table, EvalCase.__table__)
            connection.execute(
                update(table).where(table.c.id == bindparam("case")),
                changes,
            )
        last_id = page[-1][0]


def lock_choice(session: Session, feature: Feature) -> int:
    """Lock the feature's row for this transaction and re-read its wrong-answer choice (what
    another transaction committed since `feature` was loaded); returns the choice's version."""
    session.flush()
    session.execute(select(Feature.id).where(Feature.id == feature.id).with_for_update())
    session.refresh(feature, ["wrong_checks_json", "wrong_choice_version"])
    return feature.wrong_choice_version


def wrong_choice(feature: Feature) -> list[str] | None:
    """The checks the team chose to count as wrong answers; None: the default by kind."""
    chosen = (feature.wrong_checks_json or {}).get("checks")
    return [str(name) for name in chosen] if isinstance(chosen, list) else None


def checks_record(tally: Tally, counted: frozenset[str], chosen: bool) -> dict[str, Any]:
    """What a run keeps of its checks (eval_runs.checks_json, exported as is)."""
    return {
        "checks": [
            {
                "name": name,
                "kind": kind.value,
                "n": tally.judged[name],
                "n_failed": tally.failed_by[name],
                "counted": name in counted,
            }
            for name, kind in tally.kinds.items()
        ],
        "chosen": chosen,
        "wrong_means": wrong_means(tally.kinds, counted, chosen),
    }


def _skipped_note(skipped: int) -> list[str]:
    if not skipped:
        return []
    cases = "case" if skipped == 1 else "cases"
    return [f"{skipped} {cases} skipped or without a score, left out"]


def _set_aggregates(run: EvalRun, totals: _Totals) -> None:
    run.n, run.n_failed, run.n_errored = totals.answered, totals.failed, totals.errored
    if totals.answered:
        run.failure_rate = totals.failed / totals.answered
        run.ci_low, run.ci_high = wilson_interval(totals.failed, totals.answered)
    record_numbers(run, totals.latencies, totals.costs)


def previous_run(session: Session, run: EvalRun) -> EvalRun | None:
    """The feature's run stored just before this one, if any."""
    return session.scalar(
        select(EvalRun)
        .where(EvalRun.feature_id == run.feature_id, EvalRun.id < run.id)
        .order_by(EvalRun.id.desc())
        .limit(1)
    )


SOURCE_NAMES = {"cli": "the command line", "api": "the API", "slack_file": "a file in the thread"}


def duplicate_line(feature: Feature, run: EvalRun) -> str:
    """Said when an upload is one the feature has already: which run it is, nothing stored."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M UTC")
    source = SOURCE_NAMES.get(run.source, run.source)
    return (
        f"already stored: the same results are run {run.id} for '{feature.slug}' "
        f"(from {source}, {when}); nothing new was stored"
    )


def summary_line(feature: Feature, run: EvalRun) -> str:
    """One plain line for the command line: what was stored and its headline numbers."""
    parts = [f"stored run {run.id} for '{feature.slug}' ({run.file_format}, {run.n} cases"]
    if run.n_errored:
        parts.append(f", {run.n_errored} errored")
    parts.append(")")
    if run.failure_rate is not None and run.ci_low is not None and run.ci_high is not None:
        parts.append(
            f": failure rate {run.failure_rate:.1%} "
            f"(95% CI {run.ci_low:.1%}–{run.ci_high:.1%}, {run.n_failed} of {run.n} failed)"
        )
    elif run.n_errored:
        parts.append(": every case errored, so there is no answer to judge")
    means = (run.checks_json or {}).get("wrong_means")
    if means and run.n:
        parts.append(f"; {means}")
    return "".join(parts)
