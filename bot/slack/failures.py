"""What a person is told when their request failed, and how, so that it is always true: the
request's unit of work is rolled back first, so "nothing was stored" is a fact, and when the
database itself refuses writes the reply does not depend on storing a reply."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltResponse

from bot.deps import AlreadyHandled, Deps
from bot.errors import UserFacingError
from bot.services import outbox
from bot.store.health import storage_refused
from bot.unit_of_work import RequestWork

log = logging.getLogger(__name__)

NOT_STORED = (
    "I couldn't save that: Groundline's database is not taking changes right now (its disk "
    "may be full or read-only), so nothing was stored. Please try again later."
)
PARTLY_STORED = (
    "I couldn't save all of that: Groundline's database stopped taking changes part way (its "
    "disk may be full or read-only). Part of it may have been stored, so check before trying again."
)
ALREADY_DONE = "Slack delivered that request twice; I handled it once, so there is nothing to redo."
SLACK_HOOK_HOSTS = {"hooks.slack.com"}


def unexpected(error_id: str, stored: bool) -> str:
    told = (
        "Part of it may have been stored, so check before trying again."
        if stored
        else "Nothing was stored; please try again in a moment."
    )
    return f"Sorry, something went wrong on our side (error id `{error_id}`). {told}"


def error_handler(deps: Deps) -> Any:
    """Bolt's error handler for listeners and middleware."""

    def handle(error: Exception, body: dict[str, Any]) -> BoltResponse:
        work = RequestWork.current()
        stored = work.committed if work is not None else False
        if work is not None:
            work.finish(ok=False)  # before anything else: what failed is not kept
        if isinstance(error, AlreadyHandled):
            log.info("skipped a repeated Slack delivery")
            return _reply(ALREADY_DONE) if "command" in body else BoltResponse(status=200, body="")
        if storage_refused(error):
            deps.storage.refused(error)
            log.error("the database refused a write: %s", type(error).__name__)
            if work is None and "command" not in body:
                # An event we could not store: a 500 makes Slack deliver it again later.
                return BoltResponse(status=500, body="")
            return _tell(deps, body, PARTLY_STORED if stored else NOT_STORED)
        if isinstance(error, UserFacingError):
            return _tell(deps, body, error.message)
        error_id = uuid.uuid4().hex[:8]
        log.error("unhandled error %s", error_id, exc_info=error)
        return _tell(deps, body, unexpected(error_id, stored))

    return handle


def _reply(message: str) -> BoltResponse:
    """A slash command's HTTP response is itself the ephemeral reply."""
    payload = {"response_type": "ephemeral", "text": message}
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


def _tell(deps: Deps, body: dict[str, Any], message: str) -> BoltResponse:
    if "command" in body:
        return _reply(message)
    target = outbox.ReplyTarget.from_body(body)
    if target is None:
        return BoltResponse(status=200, body="")
    try:
        with deps.unit_of_work() as session:
            outbox.ephemeral(session, deps.clock, target, message)
    except Exception as error:
        if not storage_refused(error):
            raise
        deps.storage.refused(error)
        # The outbox cannot take the reply either: answer through the response_url now.
        if target.response_url is not None and _is_slack(deps, target.response_url):
            threading.Thread(
                target=_post_once, args=(target.response_url, message), daemon=True
            ).start()
    return BoltResponse(status=200, body="")


def commit_failed(deps: Deps, body: dict[str, Any], error: Exception) -> BoltResponse:
    """The listener succeeded but its commit did not: the answer it prepared is not true."""
    if storage_refused(error):
        deps.storage.refused(error)
        log.error("the database refused a commit: %s", type(error).__name__)
        return _tell(deps, body, NOT_STORED)
    error_id = uuid.uuid4().hex[:8]
    log.error("commit failed %s", error_id, exc_info=error)
    return _tell(deps, body, unexpected(error_id, stored=False))


def _is_slack(deps: Deps, url: str) -> bool:
    parts, api = urlsplit(url), urlsplit(deps.settings.SLACK_API_URL)
    if parts.scheme == "https" and parts.hostname in SLACK_HOOK_HOSTS:
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def _post_once(url: str, message: str) -> None:
    data = json.dumps({"response_type": "ephemeral", "text": message}).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except OSError as error:
        log.warning("could not tell the person through response_url: %s", type(error).__name__)
