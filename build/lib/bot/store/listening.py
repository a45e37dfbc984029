"""Per-thread state of listening mode: when the bot last replied there, and whether someone
asked it to stay out (a reaction on its reply). Table created by migration 0003_reframe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class ListeningThread(Base):
    __tablename__ = "listening_threads"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "thread_ts", name="uq_listening_thread"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    last_reply_at: Mapped[datetime | None]
    muted_at: Mapped[datetime | None]
    muted_by: Mapped[str | None] = mapped_column(String(32))
