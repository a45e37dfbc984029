"""Eval files dropped in a kickoff thread: checked, fetched from Slack and stored after the ack.

The download is ours, not the Slack layer's: it sends the workspace's bot token, so it goes only
to Slack's file host (or the Slack API host we are configured with), streams into a spooled
temporary file and stops at the upload limit.
"""

from __future__ import annotations

import logging
import urllib.request
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.errors import BadInput, UserFacingError
from bot.services import access, evals, feedback, kickoff, outbox, uploads
from bot.services.access import Need
from bot.store.models import Feature

log = logging.getLogger(__name__)

GONE = "That kickoff no longer exists."
DOWNLOAD_CHUNK = 1 << 16
SLACK_FILE_HOSTS = {"files.slack.com"}


def take(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> None:
    """Files posted in a kickoff thread: check the size, then download and ingest after the ack."""
    thread_ts = event.get("thread_ts")
    if not thread_ts or event.get("bot_id") or not event.get("user"):
        return
    team_id = body.get("team_id") or event.get("team") or ""
    limit = deps.settings.GROUNDLINE_MAX_UPLOAD_BYTES
    with deps.unit_of_work(delivery_key=f"event:{body.get('event_id')}") as session:
        feature = kickoff.find_by_thread(session, team_id, event["channel"], thread_ts)
        if feature is None:
            return
        # A run dropped in the thread counts as acting on the feature: members only.
        try:
            access.require(deps.directory, feature, str(event["user"]), Need.ACT, GONE)
        except UserFacingError as refused:
            target = outbox.ReplyTarget.from_body(body)
            if target is not None:
                outbox.ephemeral(session, deps.clock, target, refused.message)
            return
        for file in event.get("files") or []:
            name = str(file.get("name") or file.get("title") or "file")[:120]
            size = int(file.get("size") or 0)
            if size > limit:
                outbox.say(
                    session,
                    deps.clock,
                    feature,
                    f"I can't take `{escape(name)}`: it is {size:,} bytes, "
                    f"over the {limit:,}-byte upload limit.",
                )
                continue
            url = str(file.get("url_private_download") or file.get("url_private") or "")
            deps.background.submit(_ingest_file, deps, feature.id, team_id, name, url)


def _ingest_file(deps: Deps, feature_id: int, team_id: str, name: str, url: str) -> None:
    """Background: download with the workspace's bot token, store the run; any refusal
    becomes one line."""
    try:
        with _download(deps, team_id, url) as body, deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is None:
                return
            upload = evals.Upload(cast(BinaryIO, body), name, "slack_file")
            stored = uploads.ingest(session, deps.clock, feature, upload)
            if stored.duplicate:
                outbox.say(session, deps.clock, feature, feedback.duplicate_text(name, stored.run))
            else:
                feedback.after_ingest(session, deps.clock, feature, stored.run)
    except UserFacingError as error:
        with deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is not None:
                outbox.say(
                    session,
                    deps.clock,
                    feature,
                    f"I couldn't store that run. {escape(error.message)}",
                )
    except Exception:
        log.exception("could not ingest a file from Slack")
        with deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is not None:
                outbox.say(
                    session,
                    deps.clock,
                    feature,
                    f"Sorry, I couldn't fetch `{escape(name)}` from Slack. "
                    "Please try again in a moment.",
                )


def _allowed(deps: Deps, url: str) -> bool:
    """Only send the bot token to Slack itself (or the Slack API host we are configured with)."""
    parts, api = urlsplit(url), urlsplit(deps.settings.SLACK_API_URL)
    if parts.scheme == "https" and parts.hostname in SLACK_FILE_HOSTS:
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def _download(deps: Deps, team_id: str, url: str) -> SpooledTemporaryFile[bytes]:
    token = deps.bot_token(team_id)
    if token is None:  # uninstalled between the event and now
        raise BadInput(
            "I have no token for this workspace any more, so I could not fetch the file; "
            "upload with `groundline ingest` instead."
        )
    if not _allowed(deps, url):
        raise BadInput("That file's link does not point at Slack, so I did not fetch it.")
    limit = deps.settings.GROUNDLINE_MAX_UPLOAD_BYTES
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with urllib.request.urlopen(request, timeout=30) as response:
        size = 0
        while chunk := response.read(DOWNLOAD_CHUNK):
            size += len(chunk)
            if size > limit:  # the event's size was wrong: stop rather than fill the disk
                spool.close()
                raise BadInput(f"The file is over the {limit:,}-byte upload limit.")
            spool.write(chunk)
    spool.seek(0)
    return spool
