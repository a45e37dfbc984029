"""outbox rows a person asked for keep, in our words, what they are and what is kept anyway,
so that a refusal is told to that person as about their request

Revision ID: 0011_outbox_asked
Revises: 0010_kickoff_summary
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_outbox_asked"
down_revision: str | Sequence[str] | None = "0010_kickoff_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("asked_json", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("asked_json")
