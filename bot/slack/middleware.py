"""Bolt middleware: every slash command and interaction gets one unit of work
(`bot/unit_of_work.py`), keyed by a hash of the request as delivered. A replay of a captured
request inside Slack's five-minute signature window carries the same body (a new body needs a
new signature, which only Slack can make), so its key is taken and it runs nothing.

Listeners take the session from `work_of(context)`; the app commits it once the listener has
returned (`GroundlineApp.dispatch`), so the HTTP answer leaves only after the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.deps import Deps
from bot.unit_of_work import RequestWork

WORK = "groundline_work"  # the BoltContext key
# Interactive payloads (https://api.slack.com/interactivity/handling#payloads); Slack sends each
# once per click or submission, with a fresh trigger_id and action_ts in the body.
INTERACTIONS = frozenset(
    {
        "block_actions",
        "view_submission",
        "view_closed",
        "message_action",
        "shortcut",
        "block_suggestion",
        "interactive_message",
        "dialog_submission",
    }
)


def replay_key(request: BoltRequest) -> str | None:
    """The key of a command or interaction; None for Events API deliveries, which carry an
    event id of their own (retries reuse it with a new signature)."""
    body = request.body
    if "command" not in body and body.get("type") not in INTERACTIONS:
        return None
    # Socket Mode has no raw body (and no signature): the payload stands for itself.
    raw = request.raw_body or json.dumps(body, sort_keys=True)
    return "request:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:48]


def work_of(context: BoltContext) -> RequestWork:
    """The request's unit of work; `.session` is its session."""
    work = context.get(WORK)
    if not isinstance(work, RequestWork):
        raise RuntimeError("no unit of work: this listener is not a command or an interaction")
    return work


class OpenUnitOfWork(Middleware):
    """A class, not a decorated function: Bolt builds a function middleware's keyword
    arguments by inspecting its signature on every request, which cost about a third of
    our middleware's time per ack (docs/performance.md, "Ack latency")."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        key = replay_key(req)
        if key is not None:
            work = RequestWork(self.deps, key)
            work.enter()  # `with deps.unit_of_work()` blocks in listeners join it
            req.context[WORK] = work
        return next()


def install(app: App, deps: Deps) -> None:
    app.middleware(OpenUnitOfWork(deps))


def finish(request: BoltRequest, ok: bool) -> None:
    """After the listener (and the error handler, if it failed): commit or roll back."""
    work = request.context.get(WORK)
    if isinstance(work, RequestWork):
        work.finish(ok)
