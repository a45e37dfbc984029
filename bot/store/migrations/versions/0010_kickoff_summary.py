"""features remember their kickoff summary's outbox row, so changes update it in place

Revision ID: 0010_kickoff_summary
Revises: 0009_wrong_choice_version
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_kickoff_summary"
down_revision: str | Sequence[str] | None = "0009_wrong_choice_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("features", sa.Column("summary_outbox_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("features") as batch:
        batch.drop_column("summary_outbox_id")
