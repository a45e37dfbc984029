"""The whole product's tables. Every row that belongs to a workspace carries its team_id. (Over 300
lines on purpose: one module is the schema Alembic's migrations are checked against.)"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.domain.agreement import VersionStatus
from bot.domain.options import Option
from bot.domain.targets import Role
from bot.store.states import InboxStatus, OutboxKind, OutboxStatus, ReportStatus, RunSource


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite forgets the zone, so we put UTC back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware one")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        from datetime import UTC

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class StrEnumText(TypeDecorator[Any]):
    """A StrEnum kept as its plain value in a VARCHAR: the schema is unchanged (no database
    enum type to migrate), and what comes back from the database is the enum again."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Workspace(Base):
    __tablename__ = "workspaces"
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    installed_at: Mapped[datetime]


class Feature(Base):
    __tablename__ = "features"
    __table_args__ = (UniqueConstraint("team_id", "slug", name="uq_features_team_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    pm_user_id: Mapped[str | None] = mapped_column(String(32))
    engineer_user_id: Mapped[str | None] = mapped_column(String(32))
    # The checklist step awaiting an answer, "review" once all are in, "agreed" when signed.
    stage: Mapped[str] = mapped_column(String(32))
    # Open disagreements ({"disputes": {step: [{user, value}…]}}) and a language model's
    # reading awaiting a yes/no ({"reading": {"facts": [[step, value]…], "clarify": …}}).
    pending_json: Mapped[dict[str, Any] | None]
    # The outbox row of the kickoff summary now showing, so changes update it in place (no
    # foreign key: a row removed with its workspace simply means a new summary is posted).
    summary_outbox_id: Mapped[int | None] = mapped_column(Integer)
    last_activity_at: Mapped[datetime]
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Set once users.info gave the starter's zone (or said there is none to give).
    timezone_checked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    schedule: Mapped[str | None] = mapped_column(String(64))  # None: weekly, Monday 09:00
    # A changed schedule never fires for a due time before the change.
    schedule_changed_at: Mapped[datetime | None]
    listening: Mapped[bool] = mapped_column(Boolean, default=False)
    last_alert_at: Mapped[datetime | None]
    # What counts as a wrong answer: {"checks": [names]} chosen in the thread; None = the
    # default, failed correctness or groundedness checks (bot/ingest/judging.py).
    wrong_checks_json: Mapped[dict[str, Any] | None]
    # Bumped by every change of that choice: a button shows the version it was drawn from, and
    # a press on an older one (or the second of two at once) changes nothing.
    wrong_choice_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    target_versions: Mapped[list[TargetVersion]] = relationship(
        back_populates="feature", order_by="TargetVersion.version", cascade="all, delete-orphan"
    )


class Answer(Base):
    """Every reply typed in a kickoff thread, kept even when we could not read it."""

    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(32))
    accepted: Mapped[bool] = mapped_column(Boolean)
    value_json: Mapped[dict[str, Any] | None]
    at: Mapped[datetime]


class TargetVersion(Base):
    __tablename__ = "target_versions"
    __table_args__ = (UniqueConstraint("feature_id", "version", name="uq_target_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(StrEnumText(VersionStatus))
    values_json: Mapped[dict[str, Any]]
    changed_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    agreed_at: Mapped[datetime | None]

    feature: Mapped[Feature] = relationship(back_populates="target_versions")
    signoffs: Mapped[list[SignOff]] = relationship(
        back_populates="target_version", order_by="SignOff.at", cascade="all, delete-orphan"
    )


class SignOff(Base):
    __tablename__ = "signoffs"
    __table_args__ = (
        UniqueConstraint("target_version_id", "role", name="uq_signoff_role"),
        UniqueConstraint("target_version_id", "user_id", name="uq_signoff_user"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_version_id: Mapped[int] = mapped_column(
        ForeignKey("target_versions.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(StrEnumText(Role))
    at: Mapped[datetime]

    target_version: Mapped[TargetVersion] = relationship(back_populates="signoffs")


class EvalRun(Base):
    """One ingested eval run with its aggregates computed at ingest (reports never rescan cases)."""

    __tablename__ = "eval_runs"
    __table_args__ = (
        # The same content (with the same reading options) is one run; so is one key.
        Index("ux_eval_runs_content", "feature_id", "content_key", unique=True),
        Index("ux_eval_runs_idempotency", "feature_id", "idempotency_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[RunSource] = mapped_column(StrEnumText(RunSource, 32))
    file_format: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str | None] = mapped_column(String(300))
    metric: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    n: Mapped[int] = mapped_column(Integer)
    n_failed: Mapped[int] = mapped_column(Integer)
    n_errored: Mapped[int] = mapped_column(Integer)
    failure_rate: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    # Latency over the answered cases that carry one: nearest-rank p50/p95 and the p95's 95%
    # order-statistic interval (an end is NULL when too few cases exist for it).
    latency_n: Mapped[int | None] = mapped_column(Integer)
    latency_p50_ms: Mapped[float | None] = mapped_column(Float)
    latency_p95_ms: Mapped[float | None] = mapped_column(Float)
    latency_p95_low_ms: Mapped[float | None] = mapped_column(Float)
    latency_p95_high_ms: Mapped[float | None] = mapped_column(Float)
    # Cost over the answered cases that carry one: mean (per query), spread.
    cost_n: Mapped[int | None] = mapped_column(Integer)
    cost_per_query_usd: Mapped[float | None] = mapped_column(Float)
    cost_sd_usd: Mapped[float | None] = mapped_column(Float)
    cost_min_usd: Mapped[float | None] = mapped_column(Float)
    cost_max_usd: Mapped[float | None] = mapped_column(Float)
    content_key: Mapped[str | None] = mapped_column(String(64))  # sha256 of bytes + options
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The checks the file carried and which of them counted as a wrong answer:
    # {"checks": [{"name", "kind", "n", "n_failed", "counted"}], "chosen": bool}
    checks_json: Mapped[dict[str, Any] | None]


class EvalCase(Base):
    __tablename__ = "eval_cases"
    __table_args__ = (
        Index("ix_eval_cases_run_case", "run_id", "case_id"),
        # Reports name a few failing cases of a run without reading its passing ones.
        Index("ix_eval_cases_run_failed", "run_id", "passed", "case_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(200))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    errored: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # Names of the checks this case failed, one per line ("" none failed; None: no checks), so
    # a changed wrong-answer choice can re-judge a stored run.
    failed_checks: Mapped[str | None] = mapped_column(Text)


class MetricSample(Base):
    __tablename__ = "metric_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(32))


class Report(Base):
    """A report for one period doubles as its outbox row: the idempotency key makes it post once."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    period: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReportStatus] = mapped_column(StrEnumText(ReportStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None]
    payload_json: Mapped[dict[str, Any] | None]


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    option: Mapped[Option] = mapped_column(StrEnumText(Option, 32))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


class FeatureToken(Base):
    """Upload tokens for the HTTP API; only a SHA-256 of the token is kept."""

    __tablename__ = "feature_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ProcessedDelivery(Base):
    """Slack deliveries already handled (event_id and similar keys): the exactly-once ledger."""

    __tablename__ = "processed_deliveries"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]


class OutboxMessage(Base):
    """Everything the bot says goes through here, written in the same transaction as the change
    that caused it; a delivery worker posts it. So a crash after an answer is stored never loses
    the next question, and a retried delivery from Slack never posts twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "next_attempt_at"),
        # The claim asks "is there an earlier open message in this channel?" for each candidate.
        Index("ix_outbox_channel_queue", "team_id", "channel_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[OutboxKind] = mapped_column(StrEnumText(OutboxKind))
    feature_id: Mapped[int | None] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    # When set, the message goes into the feature's kickoff thread, known only once posted.
    in_feature_thread: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    response_url: Mapped[str | None] = mapped_column(Text)
    # A post someone asked for: {"what": …, "kept": …}, our words for telling them if Slack
    # refuses it (services/outbox.py Asked).
    asked_json: Mapped[dict[str, str] | None] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    blocks_json: Mapped[list[Any] | None] = mapped_column(JSON)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    status: Mapped[OutboxStatus] = mapped_column(
        StrEnumText(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    ts: Mapped[str | None] = mapped_column(String(32))


class InboxMessage(Base):
    """A Slack message event, stored raw before the ack and processed after it.

    The ack then costs one insert (the delivery key is unique, so retries are refused right
    there), and the real work runs in `jobs/inbox.py`, which marks the row done in the same
    transaction as the work: acknowledged means stored, and processed means processed once.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_open", "status", "next_attempt_at"),
        Index(
            "ix_inbox_conversation_queue", "team_id", "channel_id", "conversation", "status", "id"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(200), unique=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # Messages of one conversation (thread, or the channel's top level) are handled in order.
    conversation: Mapped[str] = mapped_column(String(80))
    body_json: Mapped[dict[str, Any]]
    status: Mapped[InboxStatus] = mapped_column(StrEnumText(InboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    received_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
