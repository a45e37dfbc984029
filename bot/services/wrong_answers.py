"""The team's choice of which checks count as a wrong answer, stored with the feature.

The choice is by check name; who may change it is services/access.py's "steer" (the
listeners ask it). It applies to every later run (command line, API, file drop) and
to the runs whose cases are still stored, which a job re-judges (`rejudge_version`) so that a
press or a command answers at once however many cases there are. Runs keep what counted for
them (eval_runs.checks_json), for reports and the export.

Every change bumps `features.wrong_choice_version` in one conditional UPDATE. A button shows
the version it was drawn from; a press on an older one, or the second of two presses made at
once on the same version, changes nothing and is answered with the choice as it now is.
(Just over 300 lines: the choice, its presses and the re-judging of stored runs are one rule.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.stats import wilson_interval
from bot.errors import BadInput, NotFound
from bot.ingest.judging import NEVER_WRONG, counted_checks, wrong_means
from bot.ingest.model import CheckKind
from bot.services.evals import store_verdicts, wrong_choice
from bot.store.models import EvalCase, EvalRun, Feature

DEFAULT_WORDS = frozenset({"default", "reset", "auto"})


@dataclass(frozen=True)
class CheckRow:
    """One check of a run, as the thread lists it."""

    name: str
    kind: CheckKind
    n: int
    n_failed: int
    counted: bool

    @property
    def budgeted(self) -> bool:
        """Latency and cost checks: their budgets judge them, never the error rate."""
        return self.kind in NEVER_WRONG


@dataclass(frozen=True)
class Listing:
    """A run's checks and which count as a wrong answer under the feature's current choice."""

    feature_id: int
    slug: str
    run_id: int
    version: int  # the feature's wrong_choice_version this listing shows
    checks: list[CheckRow]
    means: str  # "wrong = failed groundedness or correctness"
    chosen: bool  # the team's choice applies to this run (else the default by kind)


@dataclass(frozen=True)
class Changed:
    """The choice changed: `check` now counts (`count`) or no longer does; `check` None: back
    to the default. `listing` shows the new choice."""

    listing: Listing
    check: str | None
    count: bool


@dataclass(frozen=True)
class Stale:
    """The press was drawn from an older choice (or says what already is): nothing changed.
    `listing` is the current choice; `by` who made it, when the team chose. `already`: the
    choice is already what the press asked for (`check`, `count`), as after a double click."""

    listing: Listing
    by: str | None
    already: bool = False
    check: str | None = None
    count: bool = False


def found_checks(session: Session, feature: Feature) -> dict[str, CheckKind]:
    """Every check the feature's runs carried, newest run first, with its kind."""
    kinds: dict[str, CheckKind] = {}
    runs = session.scalars(
        select(EvalRun).where(EvalRun.feature_id == feature.id).order_by(EvalRun.id.desc())
    )
    for run in runs:
        kinds.update({name: kind for name, kind in run_kinds(run).items() if name not in kinds})
    return kinds


def run_kinds(run: EvalRun) -> dict[str, CheckKind]:
    checks = (run.checks_json or {}).get("checks") or []
    return {str(c["name"]): CheckKind(str(c["kind"])) for c in checks}


def listing(feature: Feature, run: EvalRun) -> Listing:
    """`run`'s checks under the feature's choice as it is now (its stored record may still be
    waiting for the re-judging job)."""
    if run.metric:  # judged by one named check on purpose (--metric): the choice is not used
        counted, chosen = frozenset({run.metric}), True
    else:
        counted, chosen = counted_checks(run_kinds(run), wrong_choice(feature))
    rows = [
        CheckRow(
            name=str(c["name"]),
            kind=CheckKind(str(c["kind"])),
            n=int(c.get("n") or 0),
            n_failed=int(c.get("n_failed") or 0),
            counted=str(c["name"]) in counted,
        )
        for c in (run.checks_json or {}).get("checks") or []
    ]
    return Listing(
        feature_id=feature.id,
        slug=feature.slug,
        run_id=run.id,
        version=feature.wrong_choice_version,
        checks=rows,
        means=wrong_means(run_kinds(run), counted, chosen),
        chosen=chosen,
    )


def run_of(session: Session, feature: Feature, run_id: int) -> EvalRun:
    run = session.get(EvalRun, run_id)
    if run is None or run.feature_id != feature.id:
        raise NotFound("That run is no longer stored, so its checks can't be chosen from here.")
    return run


def choose(session: Session, clock: Clock, feature: Feature, words: list[str], user_id: str) -> str:
    """`/align wrong F <check>… | default`: store the choice, whatever it was before; returns
    what changed, as plain text ("changed what counts as a wrong answer: …"). The caller
    queues the job that re-judges the stored runs."""
    kinds = found_checks(session, feature)
    if not kinds:
        raise BadInput(
            "No run of this feature has named checks yet, so there is nothing to choose from."
        )
    names = [word.strip(",") for word in words if word.strip(",")]
    if not names:
        raise BadInput(f"Name the checks that count, or `default`. Found: {_listing(kinds)}.")
    if len(names) == 1 and names[0].lower() in DEFAULT_WORDS:
        checks = None
    else:
        unknown = [name for name in names if name not in kinds]
        if unknown:
            raise BadInput(f"No check called `{unknown[0][:60]}`. Found: {_listing(kinds)}.")
        timed = [name for name in names if kinds[name] in NEVER_WRONG]
        if timed:
            raise BadInput(
                f"`{timed[0]}` is a {kinds[timed[0]].value} check: the {kinds[timed[0]].value} "
                "budget judges it, so it cannot count as a wrong answer."
            )
        checks = names
    _store(session, clock, feature, checks, user_id, seen=None)
    counted, chosen = counted_checks(kinds, checks)
    return f"changed what counts as a wrong answer: {wrong_means(kinds, counted, chosen)}"


def toggle(
    session: Session,
    clock: Clock,
    feature: Feature,
    run: EvalRun,
    check: str | None,
    count: bool,
    seen: int,
    user_id: str,
) -> Changed | Stale:
    """A button under a run's checks: count `check` as a wrong answer or stop counting it
    (`check` None: back to the default), if the choice is still the one the button showed."""
    if seen != feature.wrong_choice_version:
        return _stale(session, feature, run, check, count)
    before = listing(feature, run)
    if check is None:
        checks = None
    else:
        row = next((c for c in before.checks if c.name == check), None)
        if row is None or row.budgeted:
            raise BadInput(f"`{check[:60]}` can't count as a wrong answer in this run.")
        counted = {c.name for c in before.checks if c.counted}
        wanted = counted | {check} if count else counted - {check}
        if not wanted:
            raise BadInput(
                f"`{check[:60]}` is the only check that counts, and something has to: press "
                "*Count* on another check first, then this one."
            )
        if wanted == counted:  # already so (a second look at the same list): say it as it is
            return _stale(session, feature, run, check, count)
        # Names chosen for other runs' checks (promptfoo's JUnit names them by assertion type,
        # its JSON by metric) stay chosen: a press changes this run's checks only.
        others = set(wrong_choice(feature) or ()) - {c.name for c in before.checks}
        checks = sorted(others | wanted)
    if not _store(session, clock, feature, checks, user_id, seen=seen):
        return _stale(session, feature, run, check, count)  # another press got there first
    return Changed(listing(feature, run), check, count)


def _stale(
    session: Session, feature: Feature, run: EvalRun, check: str | None, count: bool
) -> Stale:
    session.refresh(feature, ["wrong_checks_json", "wrong_choice_version"])
    by = (feature.wrong_checks_json or {}).get("by")
    now = listing(feature, run)
    if check is None:
        already = not now.chosen
    else:
        row = next((c for c in now.checks if c.name == check), None)
        already = row is not None and row.counted == count
    return Stale(now, str(by) if by else None, already, check, count)


def _store(
    session: Session,
    clock: Clock,
    feature: Feature,
    checks: list[str] | None,
    user_id: str,
    seen: int | None,
) -> bool:
    """Store the choice and bump its version, only if it is still at `seen` (None: any).
    One UPDATE: of two at once, the database lets exactly one through."""
    # The default is kept as checks None, with who chose it (a stale press names them).
    chosen = sorted(set(checks)) if checks is not None else None
    value = {"checks": chosen, "by": user_id, "at": clock.now().isoformat()}
    statement = update(Feature).where(Feature.id == feature.id)
    if seen is not None:
        statement = statement.where(Feature.wrong_choice_version == seen)
    result = session.execute(
        statement.values(
            wrong_checks_json=value, wrong_choice_version=Feature.wrong_choice_version + 1
        ).execution_options(synchronize_session=False)
    )
    session.refresh(feature, ["wrong_checks_json", "wrong_choice_version"])
    return int(getattr(result, "rowcount", 0) or 0) == 1


@dataclass(frozen=True)
class Rejudged:
    runs: int
    latest: EvalRun | None  # the newest run re-judged


def rejudge_version(session: Session, feature_id: int, version: int) -> Rejudged | None:
    """The re-judging job: recount the feature's stored runs under the choice of `version`.
    None when the choice has moved on since (that version's own job does the work) or the
    feature is gone. The version is checked again under a row lock before the commit, so a
    change made meanwhile is never overwritten with an older choice's numbers."""
    feature = session.get(Feature, feature_id)
    if feature is None or feature.wrong_choice_version != version:
        return None
    done = rejudge(session, feature)
    locked = session.scalar(
        select(Feature.wrong_choice_version).where(Feature.id == feature_id).with_for_update()
    )
    if locked != version:
        raise Superseded()
    return done


class Superseded(BadInput):
    """The choice changed while its runs were recounted: roll back; the newer job redoes it."""

    def __init__(self) -> None:
        super().__init__("superseded by a newer choice")


def rejudge(session: Session, feature: Feature) -> Rejudged:
    """Recount each run's wrong answers under the feature's choice, from its stored cases.
    Runs whose cases were deleted by retention keep their numbers."""
    chosen = wrong_choice(feature)
    redone, latest = 0, None
    runs = session.scalars(
        select(EvalRun).where(EvalRun.feature_id == feature.id).order_by(EvalRun.id)
    )
    for run in runs:
        if run.metric:  # judged by one named check on purpose (--metric): leave it so
            continue
        kinds = run_kinds(run)
        if not kinds:
            continue
        counted, applied = counted_checks(kinds, chosen)
        if session.scalar(select(EvalCase.id).where(EvalCase.run_id == run.id).limit(1)) is None:
            continue  # its cases are gone (retention): its numbers stay as they were
        failed = store_verdicts(session, run.id, counted)
        run.n_failed = failed
        run.failure_rate = failed / run.n if run.n else None
        if run.n:
            run.ci_low, run.ci_high = wilson_interval(failed, run.n)
        record = dict(run.checks_json or {})
        record["checks"] = [{**c, "counted": c["name"] in counted} for c in record["checks"]]
        record["chosen"] = applied
        record["choice_version"] = feature.wrong_choice_version
        record["wrong_means"] = wrong_means(kinds, counted, applied)
        run.checks_json = record
        redone, latest = redone + 1, run
    return Rejudged(redone, latest)


def _listing(kinds: dict[str, CheckKind]) -> str:
    return ", ".join(f"`{name}` ({kind.value})" for name, kind in list(kinds.items())[:20])
