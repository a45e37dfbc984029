"""index to find a run's failing cases without reading its passing ones

Revision ID: 0005_failing_cases_index
Revises: 0004_inbox
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_failing_cases_index"
down_revision: str | Sequence[str] | None = "0004_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_eval_cases_run_failed", "eval_cases", ["run_id", "passed", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_eval_cases_run_failed", table_name="eval_cases")
