"""report schedule: whether the starter's time zone was looked up, when the schedule changed

Revision ID: 0002_report_schedule
Revises: 0001
Create Date: 2026-11-27 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_report_schedule"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("features") as batch_op:
        batch_op.add_column(
            sa.Column("timezone_checked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("schedule_changed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("features") as batch_op:
        batch_op.drop_column("schedule_changed_at")
        batch_op.drop_column("timezone_checked")
