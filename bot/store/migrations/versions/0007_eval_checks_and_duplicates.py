"""eval runs keep their checks and what counted as wrong; same content or key is one run

Revision ID: 0007_eval_checks_and_duplicates
Revises: 0006_queue_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_eval_checks_and_duplicates"
down_revision: str | Sequence[str] | None = "0006_queue_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("features") as batch:
        batch.add_column(sa.Column("wrong_checks_json", sa.JSON(), nullable=True))
    with op.batch_alter_table("eval_runs") as batch:
        batch.add_column(sa.Column("content_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("checks_json", sa.JSON(), nullable=True))
    op.create_index("ux_eval_runs_content", "eval_runs", ["feature_id", "content_key"], unique=True)
    op.create_index(
        "ux_eval_runs_idempotency", "eval_runs", ["feature_id", "idempotency_key"], unique=True
    )
    with op.batch_alter_table("eval_cases") as batch:
        batch.add_column(sa.Column("failed_checks", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eval_cases") as batch:
        batch.drop_column("failed_checks")
    op.drop_index("ux_eval_runs_idempotency", table_name="eval_runs")
    op.drop_index("ux_eval_runs_content", table_name="eval_runs")
    with op.batch_alter_table("eval_runs") as batch:
        batch.drop_column("checks_json")
        batch.drop_column("idempotency_key")
        batch.drop_column("content_key")
    with op.batch_alter_table("features") as batch:
        batch.drop_column("wrong_checks_json")
