"""The team's choice of which checks count as a wrong answer, stored with the feature.

The choice is by check name. It applies to every later run (command line, API, file drop) and
re-judges the runs whose cases are still stored, so the run the thread just showed changes
with it. Runs keep what counted for them (eval_runs.checks_json), for reports and the export.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.stats import wilson_interval
from bot.errors import BadInput, Forbidden
from bot.ingest.judging import NEVER_WRONG, default_counted, wrong_means
from bot.ingest.model import CheckKind
from bot.services.evals import store_verdicts
from bot.store.models import EvalCase, EvalRun, Feature

DEFAULT_WORDS = frozenset({"default", "reset", "auto"})


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


def choose(session: Session, clock: Clock, feature: Feature, words: list[str], user_id: str) -> str:
    """Store the choice (`words` are check names, or "default") and re-judge the stored runs;
    returns what changed, as plain text ("changed what counts as a wrong answer: …")."""
    if user_id not in {feature.pm_user_id, feature.engineer_user_id, feature.created_by}:
        raise Forbidden(
            "Only the feature's PM, its engineer or whoever started the kickoff can change "
            "what counts as a wrong answer."
        )
    kinds = found_checks(session, feature)
    if not kinds:
        raise BadInput(
            "No run of this feature has named checks yet, so there is nothing to choose from."
        )
    names = [word.strip(",") for word in words if word.strip(",")]
    if not names:
        raise BadInput(f"Name the checks that count, or `default`. Found: {_listing(kinds)}.")
    if len(names) == 1 and names[0].lower() in DEFAULT_WORDS:
        feature.wrong_checks_json = None
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
        feature.wrong_checks_json = {
            "checks": sorted(set(names)),
            "by": user_id,
            "at": clock.now().isoformat(),
        }
    rejudged = rejudge(session, feature)
    chosen = (feature.wrong_checks_json or {}).get("checks")
    means = wrong_means(kinds, chosen or default_counted(kinds), chosen is not None)
    runs = f"{rejudged} stored run{'s' if rejudged != 1 else ''} re-judged"
    return f"changed what counts as a wrong answer: {means}. {runs}."


def rejudge(session: Session, feature: Feature) -> int:
    """Recount each run's wrong answers under the feature's choice, from its stored cases.
    Runs whose cases were deleted by retention keep their numbers. Returns the runs redone."""
    chosen = (feature.wrong_checks_json or {}).get("checks")
    redone = 0
    for run in session.scalars(select(EvalRun).where(EvalRun.feature_id == feature.id)):
        if run.metric:  # judged by one named check on purpose (--metric): leave it so
            continue
        kinds = run_kinds(run)
        if not kinds:
            continue
        picked = frozenset(chosen or ()) & kinds.keys()
        counted = picked or default_counted(kinds)
        if session.scalar(select(EvalCase.id).where(EvalCase.run_id == run.id).limit(1)) is None:
            continue  # its cases are gone (retention): its numbers stay as they were
        failed = store_verdicts(session, run.id, counted)
        run.n_failed = failed
        run.failure_rate = failed / run.n if run.n else None
        if run.n:
            run.ci_low, run.ci_high = wilson_interval(failed, run.n)
        record = dict(run.checks_json or {})
        record["checks"] = [{**c, "counted": c["name"] in counted} for c in record["checks"]]
        record["chosen"] = bool(picked)
        record["wrong_means"] = wrong_means(kinds, counted, bool(picked))
        run.checks_json = record
        redone += 1
    return redone


def _listing(kinds: dict[str, CheckKind]) -> str:
    return ", ".join(f"`{name}` ({kind.value})" for name, kind in list(kinds.items())[:20])
