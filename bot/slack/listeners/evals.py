"""Measure in Slack: `/align metric`, `/align token`, and eval files dropped in a kickoff thread."""

from __future__ import annotations

import logging
import math
import urllib.request
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from slack_bolt import Ack

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.errors import BadInput, UserFacingError
from bot.services import access, evals, feedback, kickoff, outbox, tokens
from bot.services.access import Need
from bot.slack.listeners.lookup import commanded_feature
from bot.store.models import Feature, MetricSample

log = logging.getLogger(__name__)

METRIC_USAGE = (
    "Usage: `/align metric <feature> <name> <value>`, "
    "e.g. `/align metric support-answers CSAT 4.3`."
)
TOKEN_USAGE = (
    "Usage: `/align token <feature>` for a new upload token, or `--revoke` to cancel them all."
)
GONE = "That kickoff no longer exists."
DOWNLOAD_CHUNK = 1 << 16
SLACK_FILE_HOSTS = {"files.slack.com"}


def _number(text: str) -> float:
    try:
        value = float(text.replace(",", "").rstrip("%"))
    except ValueError:
        raise BadInput(f"`{escape(text[:40])}` is not a number. {METRIC_USAGE}") from None
    if not math.isfinite(value):
        raise BadInput(f"`{escape(text[:40])}` is not a number. {METRIC_USAGE}")
    return value


def metric(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """`/align metric F <name> <value>`: one reading of a success measure (CSAT, weekly users…)."""
    if len(args) < 3:
        raise BadInput(METRIC_USAGE)
    key, name, value = args[0], " ".join(args[1:-1]), _number(args[-1])
    if len(name) > 80:
        raise BadInput("Please keep the measure's name under 80 characters.")
    with deps.unit_of_work() as session:
        feature = commanded_feature(session, deps, command, key, Need.ACT)
        version = kickoff.agreed_version(feature) or kickoff.current_version(feature)
        agreed = [m.name for m in kickoff.targets_of(version).success_metrics]
        # Use the agreed spelling, so "csat" and "CSAT" are one series.
        name = next((known for known in agreed if known.lower() == name.lower()), name)
        session.add(
            MetricSample(
                feature_id=feature.id,
                name=name,
                value=value,
                at=deps.clock.now(),
                by=command["user_id"],
            )
        )
        feature_name = feature.name
    note = "" if name in agreed or not agreed else f" (agreed measures: {', '.join(agreed)})"
    ack(
        response_type="ephemeral",
        text=f"Noted: *{escape(name)}* = {value:g} for *{escape(feature_name)}*.{escape(note)}",
    )


def token(deps: Deps, command: dict[str, Any], args: list[str], ack: Ack) -> None:
    """`/align token F [--revoke]`: a new upload token, shown once; or revoke them all."""
    revoke = "--revoke" in args
    words = [word for word in args if word != "--revoke"]
    if not words:
        raise BadInput(TOKEN_USAGE)
    with deps.unit_of_work() as session:
        # Tokens let CI write runs: only the feature's PM, engineer or signers hand them out.
        feature = commanded_feature(session, deps, command, " ".join(words), Need.STEER)
        if revoke:
            count = tokens.revoke_all(session, deps.clock, feature)
        else:
            secret = tokens.issue(session, deps.clock, feature, command["user_id"])
        feature_id, feature_name = feature.id, feature.name
    if revoke:
        done = (
            f"Revoked {count} upload token{'s' if count != 1 else ''}"
            if count
            else "There were no live tokens"
        )
        ack(response_type="ephemeral", text=f"{done} for *{escape(feature_name)}*.")
        return
    ack(
        response_type="ephemeral",
        text=(
            f"Upload token for *{escape(feature_name)}* (shown only this once, so keep it "
            f"somewhere safe):\n`{secret}`\nSend results with:\n"
            f'`curl -X POST -H "Authorization: Bearer $GROUNDLINE_TOKEN" --data-binary '
            f"@results.json <groundline-url>/api/v1/features/{feature_id}/eval-runs`"
        ),
    )


def handle_file_drop(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> None:
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
                _say(
                    session,
                    deps,
                    feature,
                    f"I can't take `{escape(name)}`: it is {size:,} bytes, "
                    f"over the {limit:,}-byte upload limit.",
                )
                continue
            url = str(file.get("url_private_download") or file.get("url_private") or "")
            deps.background.submit(_ingest_file, deps, feature.id, team_id, name, url)


def _say(session: Any, deps: Deps, feature: Feature, text: str) -> None:
    outbox.post(
        session,
        deps.clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        text=text,
        feature_id=feature.id,
        in_feature_thread=True,
    )


def _ingest_file(deps: Deps, feature_id: int, team_id: str, name: str, url: str) -> None:
    """Background: download with the workspace's bot token, store the run; any refusal
    becomes one line."""
    try:
        with _download(deps, team_id, url) as body, deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is None:
                return
            upload = evals.Upload(cast(BinaryIO, body), name, "slack_file")
            run = evals.store_run(session, deps.clock, feature, upload)
            feedback.after_ingest(session, deps.clock, feature, run)
    except UserFacingError as error:
        with deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is not None:
                _say(session, deps, feature, f"I couldn't store that run. {escape(error.message)}")
    except Exception:
        log.exception("could not ingest a file from Slack")
        with deps.unit_of_work() as session:
            feature = session.get(Feature, feature_id)
            if feature is not None:
                _say(
                    session,
                    deps,
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
