"""features count changes to what counts as a wrong answer (stale buttons, concurrent presses)

Revision ID: 0009_wrong_choice_version
Revises: 0008_run_intervals
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_wrong_choice_version"
down_revision: str | Sequence[str] | None = "0008_run_intervals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("features") as batch:
        batch.add_column(
            sa.Column("wrong_choice_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("features") as batch:
        batch.drop_column("wrong_choice_version")
