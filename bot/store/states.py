"""Where a queued row stands, what kind of post an outbox row is, where a run came from: one
StrEnum per column,
kept in the database as its plain value (models.StrEnumText), so the schema is unchanged."""

from __future__ import annotations

from enum import StrEnum


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting to be sent (or to be tried again)
    SENDING = "sending"  # claimed by a worker, under a lease
    SENT = "sent"
    FAILED = "failed"  # given up, with the reason in last_error


class OutboxKind(StrEnum):
    MESSAGE = "message"  # chat.postMessage in a channel or thread
    EPHEMERAL = "ephemeral"  # chat.postEphemeral to one person
    RESPONSE = "response"  # a slash command's or click's response_url
    KICKOFF_ROOT = "kickoff_root"  # the message a kickoff thread hangs off
    UPDATE = "update"  # chat.update of a message already posted
    FILE = "file"  # a report's chart, uploaded into the report's thread


class InboxStatus(StrEnum):
    PENDING = "pending"
    WORKING = "working"  # claimed by the inbox worker, under a lease
    DONE = "done"
    FAILED = "failed"


class ReportStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    FAILED = "failed"


class RunSource(StrEnum):
    """How an eval run arrived."""

    CLI = "cli"  # groundline ingest
    API = "api"  # POST /api/v1/features/{feature}/eval-runs
    SLACK_FILE = "slack_file"  # a file dropped in the feature's thread
