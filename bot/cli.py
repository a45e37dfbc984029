"""The `groundline` command line. (Over 300 lines on purpose: every subcommand's arguments in one
parser, so `--help` and CONTRACT.md can be checked against one place.)"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot import logs
from bot.config import Settings, load_settings
from bot.errors import ConfigError, UserFacingError

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.store.models import Report

log = logging.getLogger("groundline")


def report_fate(deps: Deps, report_id: int, wait_seconds: float = 10.0) -> Report | None:
    """The report's row once delivery has settled it (posted or refused), or as it stands
    after `wait_seconds` (a running bot's worker may have claimed it meanwhile)."""
    from bot.store.models import Report
    from bot.store.states import ReportStatus

    deadline = time.monotonic() + wait_seconds
    while True:
        with deps.session_factory() as session:
            report = session.get(Report, report_id)
            if report is None or report.status != ReportStatus.PENDING:
                return report
            if time.monotonic() > deadline:
                return report
        time.sleep(0.1)


def said_fate(report_id: int, report: Report) -> int:
    """One line on stderr: posted (0), refused by Slack for good (1, with the fix), or not
    taken yet (0: it stays queued for the running bot)."""
    from bot.domain.mrkdwn import plain
    from bot.slack.blocks.undelivered import reason
    from bot.store.states import ReportStatus

    if report.status == ReportStatus.POSTED:
        print(f"posted report {report_id}", file=sys.stderr)
        return 0
    if report.status == ReportStatus.FAILED:
        error = str(report.last_error or "unknown_error")
        print(
            f"groundline: Slack refused report {report_id} in channel {report.channel_id} "
            f"({error}): {plain(reason(error))}. Run this again once that is fixed.",
            file=sys.stderr,
        )
        return 1
    print(
        f"groundline: report {report_id} is queued; Slack has not taken it yet, and "
        "`groundline serve` keeps trying",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings.LOG_LEVEL, settings.secret_values())
        command: Callable[[Settings, argparse.Namespace], int] = args.run
        return command(settings, args)
    except ConfigError as exc:
        print(f"groundline: configuration: {exc}", file=sys.stderr)
        return 2
    except UserFacingError as exc:
        print(f"groundline: {exc.message}", file=sys.stderr)
        return 1
    except ChildFailed as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groundline",
        description="Agree on the numbers before building an AI feature; report them after.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the bot (Socket Mode with SLACK_APP_TOKEN)")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="only the background work (serve starts one itself; see docs/deploy.md)"
    )
    worker.set_defaults(run=_worker)

    playground = commands.add_parser("playground", help="the real bot against a local Slack")
    playground.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite)")
    playground.set_defaults(run=_playground)

    run = commands.add_parser("run", help="serve if Slack tokens are set, else the playground")
    run.set_defaults(run=_run)

    export = commands.add_parser("export", help="print a feature's whole record as JSON")
    export.add_argument("feature", help="the feature's id or slug")
    export.add_argument("--team", help="workspace id, when several workspaces are installed")
    export.set_defaults(run=_export)

    ingest = commands.add_parser("ingest", help="store one eval run from a results file")
    ingest.add_argument(
        "file",
        help="promptfoo, Inspect, DeepEval, JUnit XML, JSONL or CSV (see docs/ingest.md)",
    )
    ingest.add_argument("--feature", required=True, help="the feature's id or slug")
    ingest.add_argument("--label", help="name this run (default: the model label in the file)")
    ingest.add_argument(
        "--format",
        default="auto",
        choices=["auto", "promptfoo", "inspect", "deepeval", "junit", "jsonl", "csv"],
    )
    ingest.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="read a CSV/JSONL column as one of ours (id, passed, error, latency_ms, latency_s, "
        "cost_usd, label, question, reason); score=COLUMN names a score column",
    )
    ingest.add_argument(
        "--threshold", help="a score at or above this passes (score columns; default 0.5)"
    )
    ingest.add_argument("--metric", help="judge pass/fail by this one named check")
    ingest.add_argument("--team", help="workspace id, when several workspaces are installed")
    ingest.set_defaults(run=_ingest)

    workspace = commands.add_parser("workspace", help="workspace maintenance")
    workspace_commands = workspace.add_subparsers(dest="workspace_command", required=True)
    purge = workspace_commands.add_parser("purge", help="delete all of a workspace's data")
    purge.add_argument("team", help="the workspace (team) id, e.g. T0123ABCD")
    purge.set_defaults(run=_purge)

    report = commands.add_parser("report", help="print a feature's report; --post to Slack")
    report.add_argument("feature", help="the feature's id or slug")
    report.add_argument("--post", action="store_true", help="post it in the feature's channel")
    report.add_argument("--period", help="post once per period (default: a new manual one)")
    report.add_argument("--team", help="workspace id, when several workspaces are installed")
    report.set_defaults(run=_report)

    check = commands.add_parser(
        "check", help="CI gate: judge the latest run against the agreed targets (exit 0/1/3)"
    )
    check.add_argument("feature", help="the feature's id or slug")
    check.add_argument("--label", help="judge the latest run with this label")
    check.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    check.add_argument(
        "--strict", action="store_true", help="a target with no data fails the gate too"
    )
    check.add_argument("--team", help="workspace id, when several workspaces are installed")
    check.set_defaults(run=_check)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=_db_upgrade)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if settings.SLACK_APP_TOKEN is None:
        settings.require_http_mode()
    _require_database(settings)
    if settings.SLACK_APP_TOKEN is None:
        return _serve_http(settings)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.runtime import Runtime
    from bot.worker_process import stop_on_signals

    runtime = Runtime(settings)
    try:
        runtime.start()
    except ConfigError:
        runtime.stop()
        raise
    stop = stop_on_signals()
    socket_handler = SocketModeHandler(runtime.app, settings.SLACK_APP_TOKEN.get_secret_value())
    socket_handler.connect()
    log.info("connected to Slack over Socket Mode")
    stop.wait()
    log.info("shutting down")
    socket_handler.close()
    runtime.stop()
    return 0


def _serve_http(settings: Settings) -> int:
    """Over HTTP, acks and background work run in separate processes: web processes forked
    from one supervisor, and one worker (bot/web_processes.py)."""
    from bot.asgi import bind
    from bot.runtime import Role, Runtime
    from bot.web_processes import Supervisor

    # Migrations run in a short-lived process of their own, so no long-lived one keeps
    # Alembic in memory (about 11 MB each).
    _migrate_in_child()
    listening = bind(settings.HOST, settings.PORT)  # a port in use: one line, before the rest
    count = settings.GROUNDLINE_WEB_PROCESSES
    try:
        runtime = Runtime(settings, role=Role.WEB, migrate=False, web_processes=count)
    except BaseException:
        listening.close()
        raise
    return Supervisor(settings, runtime, listening, count).run()


def _require_database(settings: Settings) -> None:
    from bot.store.db import make_engine, require_database

    engine = make_engine(settings.DATABASE_URL)
    try:
        require_database(engine)
    finally:
        engine.dispose()


class ChildFailed(Exception):
    """A child process failed and has said why on stderr, in its own one line."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _migrate_in_child() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], stdout=subprocess.DEVNULL)
    if done.returncode != 0:
        raise ChildFailed(done.returncode)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.worker_process import run_worker, stop_on_signals

    _require_database(settings)
    return run_worker(settings, stop_on_signals())


def _playground(settings: Settings, args: argparse.Namespace) -> int:
    from bot.playground import run_playground

    exit_code: int = run_playground(settings, database_url=args.database)
    return exit_code


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.SLACK_BOT_TOKEN or settings.oauth_enabled:
        return _serve(settings, args)
    print(
        "No Slack tokens configured, so starting the local playground. To connect to a real "
        "workspace, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README.md).",
        file=sys.stderr,
    )
    args.database = None
    return _playground(settings, args)


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.db import make_engine, require_database, upgrade

    engine = make_engine(settings.DATABASE_URL)
    try:
        require_database(engine)
        upgrade(engine)
    finally:
        engine.dispose()
    print("database is up to date")
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.services import cli_support
    from bot.services.export import export_feature

    with cli_support.session(settings) as session:
        feature = cli_support.find_feature(session, args.feature, args.team)
        print(json.dumps(export_feature(session, feature), indent=2, ensure_ascii=False))
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.clock import SystemClock
    from bot.ingest.model import column_map
    from bot.jobs import run_posts
    from bot.services import cli_support, evals, uploads

    path, clock = Path(args.file), SystemClock()
    if path.is_dir():
        print(f"groundline: cannot read {args.file}: it is a folder", file=sys.stderr)
        return 1
    try:
        stream = path.open("rb")
    except OSError as exc:
        print(f"groundline: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with stream, cli_support.session(settings) as session:
        feature = cli_support.find_feature(session, args.feature, args.team)
        upload = evals.Upload(
            stream,
            path.name,
            "cli",
            args.format,
            args.metric,
            args.label,
            columns=column_map(args.map, args.threshold),
        )
        stored = uploads.ingest(session, clock, feature, upload)
        if stored.duplicate:
            line = evals.duplicate_line(feature, stored.run)
        else:
            run_posts.after_ingest(session, clock, feature, stored.run)
            line = evals.summary_line(feature, stored.run)
    print(line)  # only once committed
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 all met, 1 one misses (or, with --strict, has no data), 3 one too close to call."""
    import json

    from bot.domain.run_verdicts import check_text, verdicts_json
    from bot.services import cli_support, verdicts

    with cli_support.session(settings) as session:
        feature = cli_support.find_feature(session, args.feature, args.team)
        judged = verdicts.judge_latest(session, feature, args.label)
        if args.json:
            record: dict[str, object] = {
                "feature": {"id": feature.id, "slug": feature.slug, "name": feature.name},
                "run_id": judged.run.id,
                "label": judged.run.label,
            }
            output = json.dumps(record | verdicts_json(judged, args.strict), indent=2)
        else:
            output = check_text(feature.name, judged, args.strict)
    print(output)
    return int(judged.exit_code(args.strict))


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import cli_support, workspaces

    with cli_support.session(settings) as session:
        counts = workspaces.purge(session, args.team)
    print(
        f"purged workspace {args.team}: " + ", ".join(f"{n} {what}" for what, n in counts.items())
    )
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    import uuid

    from bot.clock import SystemClock
    from bot.domain.report_text import render_text
    from bot.errors import BadInput
    from bot.services import cli_support
    from bot.services import reports as report_service

    with cli_support.session(settings) as session:
        feature = cli_support.find_feature(session, args.feature, args.team)
        feature_id, team_id = feature.id, feature.team_id
        text = render_text(report_service.build(session, feature, SystemClock().now()))
    print(text)
    if not args.post:
        return 0
    from bot.app import make_web_client
    from bot.deps import Deps
    from bot.jobs.delivery import DeliveryWorker
    from bot.jobs.reports import queue_report
    from bot.slack import oauth as oauth_support
    from bot.store.db import make_engine, make_session_factory

    if settings.SLACK_BOT_TOKEN is None and not settings.oauth_enabled:
        raise ConfigError(
            "SLACK_BOT_TOKEN", "(or the SLACK_CLIENT_* settings of an OAuth install) is required"
        )
    engine = make_engine(settings.DATABASE_URL)
    try:
        deps = Deps(settings=settings, session_factory=make_session_factory(engine))
        if settings.oauth_enabled:
            store = oauth_support.installation_store(settings, engine)
            deps.token_for_team = lambda team: oauth_support.installed_bot_token(store, team)
        token = deps.bot_token(team_id)
        if token is None:
            raise UserFacingError(f"Groundline is not installed in workspace {team_id}.")
        client = make_web_client(deps, token=token)
        period = args.period or f"manual:{uuid.uuid4().hex}"
        if len(period) > 64:
            raise BadInput("--period must be at most 64 characters")
        report_id = queue_report(deps, feature_id, period)
        DeliveryWorker(deps, lambda team_id: client).drain(max_seconds=60.0)
        deps.background.shutdown(wait=False)
        fate = report_fate(deps, report_id) if report_id is not None else None
    finally:
        engine.dispose()
    if report_id is None:
        print(f"groundline: the report for period {period} was already posted", file=sys.stderr)
        return 0
    if fate is None:  # its feature was deleted meanwhile
        print(f"groundline: report {report_id} is gone with its feature", file=sys.stderr)
        return 1
    return said_fate(report_id, fate)
