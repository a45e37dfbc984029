"""Eval files dropped in a kickoff thread: checked, fetched from Slack and stored after the ack.

The event is handled in the inbox worker's transaction (`take`), which stores one job per file;
each job downloads with no transaction open and stores the run in the transaction that marks it
done (`fetch_and_store`), so a crash mid-download means the job is simply done again.

The download is ours, not the Slack layer's: it sends the workspace's bot token, so it goes only
to Slack's file host (or the Slack API host we are configured with), streams into a spooled
temporary file and stops at the upload limit.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.errors import BadInput
from bot.jobs import run_posts
from bot.jobs.inbox import Done
from bot.services import access, evals, inbox, kickoff, outbox, uploads
from bot.services.access import Need
from bot.services.inbox import JobKind
from bot.store.models import Feature

GONE = "That kickoff no longer exists."
DOWNLOAD_CHUNK = 1 << 16
SLACK_FILE_HOSTS = {"files.slack.com"}


def take(deps: Deps, session: Session, body: dict[str, Any], event: dict[str, Any]) -> None:
    """Files posted in a kickoff thread, in the inbox worker's transaction: refuse what is too
    big, and store one job per file to fetch and ingest (`fetch_and_store`)."""
    thread_ts = event.get("thread_ts")
    if not thread_ts or event.get("bot_id") or not event.get("user"):
        return
    team_id = str(body.get("team_id") or event.get("team") or "")
    limit = deps.settings.GROUNDLINE_MAX_UPLOAD_BYTES
    feature = kickoff.find_by_thread(session, team_id, event["channel"], thread_ts)
    if feature is None:
        return
    # A run dropped in the thread counts as acting on the feature: members only.
    access.require_after_ack(deps.directory, feature, str(event["user"]), Need.ACT, GONE)
    for index, file in enumerate(event.get("files") or []):
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
        payload = {"feature_id": feature.id, "team_id": team_id, "name": name, "url": url}
        job = inbox.job_body(
            JobKind.FILE,
            payload,
            team_id,
            feature.channel_id,
            str(event["user"]),
            gave_up=f"Sorry, I couldn't fetch `{escape(name)}` from Slack after several tries. "
            "Please drop it in the thread again.",
        )
        key = f"file:{body.get('event_id') or event.get('ts')}:{index}"
        inbox.add_job(session, deps.clock, key, job)


def fetch_and_store(deps: Deps, payload: dict[str, Any]) -> Done:
    """The job: download with the workspace's bot token (no transaction open), then store the
    run in the transaction that marks the job done. A refusal becomes one line in the thread;
    network trouble raises, and the worker tries again later."""
    feature_id, name = int(payload["feature_id"]), str(payload["name"])

    def refused(session: Session, message: str) -> None:
        feature = session.get(Feature, feature_id)
        if feature is not None:
            line = f"I couldn't store that run. {escape(message)}"
            outbox.say(session, deps.clock, feature, line)

    try:
        content = _download(deps, str(payload["team_id"]), str(payload["url"]))
    except BadInput as error:
        message = error.message
        return Done(store=lambda session: refused(session, message))

    def store(session: Session) -> None:
        with content:
            feature = session.get(Feature, feature_id)
            if feature is None:
                return
            upload = evals.Upload(cast(BinaryIO, content), name, "slack_file")
            stored = uploads.ingest(session, deps.clock, feature, upload)
            if stored.duplicate:
                outbox.say(session, deps.clock, feature, run_posts.duplicate_text(name, stored.run))
            else:
                run_posts.after_ingest(session, deps.clock, feature, stored.run)

    return Done(store=store, refused=refused)


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
    try:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    except ValueError:
        raise BadInput("That file's link is not one I can fetch.") from None
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            size = 0
            while chunk := response.read(DOWNLOAD_CHUNK):
                size += len(chunk)
                if size > limit:  # the event's size was wrong: stop rather than fill the disk
                    raise BadInput(f"The file is over the {limit:,}-byte upload limit.")
                spool.write(chunk)
    except urllib.error.HTTPError as error:
        spool.close()
        if error.code == 429 or error.code >= 500:
            raise  # Slack's trouble, not the file's: the worker tries again later
        raise BadInput(f"Slack would not give me the file (HTTP {error.code}).") from None
    except http.client.InvalidURL:  # a link no request can carry: trying again cannot help
        spool.close()
        raise BadInput("That file's link is not one I can fetch.") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
