"""eval runs keep the p95's interval and the cost spread; p50/p95 become nearest-rank

Revision ID: 0008_run_intervals
Revises: 0007_eval_checks_and_duplicates

Runs whose cases are still stored are recomputed from them (the p95 was interpolated before);
runs whose cases were pruned keep their numbers and get no interval (the new columns stay NULL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.domain.costs import summarise_costs
from bot.domain.quantiles import summarise_latencies

revision: str = "0008_run_intervals"
down_revision: str | Sequence[str] | None = "0007_eval_checks_and_duplicates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INTS = ("latency_n", "cost_n")
_FLOATS = (
    "latency_p95_low_ms",
    "latency_p95_high_ms",
    "cost_sd_usd",
    "cost_min_usd",
    "cost_max_usd",
)


def upgrade() -> None:
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        for name in _INTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in _FLOATS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    cases = sa.table(
        "eval_cases",
        sa.column("run_id"),
        sa.column("errored"),
        sa.column("latency_ms"),
        sa.column("cost_usd"),
    )
    run_ids = list(connection.execute(sa.select(cases.c.run_id).distinct()).scalars())
    for run_id in run_ids:
        rows = connection.execute(
            sa.select(cases.c.latency_ms, cases.c.cost_usd).where(
                cases.c.run_id == run_id, cases.c.errored.is_(False)
            )
        ).all()
        values: dict[str, object] = {}
        latencies = summarise_latencies(r[0] for r in rows if r[0] is not None)
        if latencies is not None:
            values.update(
                latency_n=latencies.n,
                latency_p50_ms=latencies.p50_ms,
                latency_p95_ms=latencies.p95_ms,
                latency_p95_low_ms=latencies.p95_low_ms,
                latency_p95_high_ms=latencies.p95_high_ms,
            )
        costs = summarise_costs(r[1] for r in rows if r[1] is not None)
        if costs is not None:
            values.update(
                cost_n=costs.n,
                cost_per_query_usd=costs.mean_usd,
                cost_sd_usd=costs.sd_usd,
                cost_min_usd=costs.min_usd,
                cost_max_usd=costs.max_usd,
            )
        if values:
            runs = sa.table("eval_runs", sa.column("id"), *(sa.column(name) for name in values))
            connection.execute(sa.update(runs).where(runs.c.id == run_id).values(values))


def downgrade() -> None:
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        for name in reversed(_FLOATS):
            batch_op.drop_column(name)
        for name in reversed(_INTS):
            batch_op.drop_column(name)
