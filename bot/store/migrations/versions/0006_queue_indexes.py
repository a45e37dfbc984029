"""indexes for the queues' "earlier open item in the same group?" check

Revision ID: 0006_queue_indexes
Revises: 0005_failing_cases_index
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_queue_indexes"
down_revision: str | Sequence[str] | None = "0005_failing_cases_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_channel_queue", "outbox", ["team_id", "channel_id", "status", "id"])
    op.create_index(
        "ix_inbox_conversation_queue",
        "inbox",
        ["team_id", "channel_id", "conversation", "status", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_conversation_queue", table_name="inbox")
    op.drop_index("ix_outbox_channel_queue", table_name="outbox")
