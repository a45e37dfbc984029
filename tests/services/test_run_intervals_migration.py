"""Migration 0008 recomputes stored runs from their cases: the p95 by nearest rank (it was
interpolated), its interval and the cost spread; a run whose cases are gone keeps its numbers
and gets no interval."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from bot.store.db import alembic_config, make_engine

BEFORE = "0007_eval_checks_and_duplicates"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_runs_are_recomputed_from_their_cases(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "head")  # the PostgreSQL test database may start at head
    command.downgrade(config, BEFORE)
    latencies = [float(10 * i) for i in range(1, 101)]  # 10 … 1,000 ms
    with engine.begin() as db:
        db.execute(
            sa.text(
                "INSERT INTO features (id, team_id, name, slug, channel_id, created_by, created_at,"
                " stage, last_activity_at, nudges_sent, timezone, listening)"
                " VALUES (1, 'T1', 'F', 'f', 'C1', 'U1', :now, 'agreed', :now, 0, 'UTC', false)"
            ),
            {"now": NOW},
        )
        for run_id, p95 in ((1, 950.5), (2, 777.0)):  # 950.5: the interpolated p95 of old
            db.execute(
                sa.text(
                    "INSERT INTO eval_runs (id, feature_id, source, file_format, created_at, n,"
                    " n_failed, n_errored, latency_p50_ms, latency_p95_ms, cost_per_query_usd)"
                    " VALUES (:id, 1, 'cli', 'jsonl', :now, 100, 0, 0, 505, :p95, 0.002)"
                ),
                {"id": run_id, "now": NOW, "p95": p95},
            )
        cases = [
            {"case": f"q{i}", "latency": value, "cost": 0.001 * (1 + i % 2)}
            for i, value in enumerate(latencies)
        ]
        db.execute(
            sa.text(
                "INSERT INTO eval_cases (run_id, case_id, passed, errored, latency_ms, cost_usd)"
                " VALUES (1, :case, true, false, :latency, :cost)"
            ),
            cases,
        )
    command.upgrade(config, "head")
    with engine.connect() as db:
        rows = {
            row.id: row
            for row in db.execute(
                sa.text(
                    "SELECT id, latency_n, latency_p50_ms, latency_p95_ms, latency_p95_low_ms,"
                    " latency_p95_high_ms, cost_n, cost_per_query_usd, cost_sd_usd, cost_min_usd,"
                    " cost_max_usd FROM eval_runs"
                )
            )
        }
    engine.dispose()
    recomputed, pruned = rows[1], rows[2]
    # Nearest rank: the 95th and 50th of 100 values; interval ranks 90 and 100 for n = 100.
    assert (recomputed.latency_n, recomputed.latency_p95_ms, recomputed.latency_p50_ms) == (
        100,
        950.0,
        500.0,
    )
    assert (recomputed.latency_p95_low_ms, recomputed.latency_p95_high_ms) == (900.0, 1000.0)
    assert recomputed.cost_n == 100 and abs(recomputed.cost_per_query_usd - 0.0015) < 1e-12
    assert (recomputed.cost_min_usd, recomputed.cost_max_usd) == (0.001, 0.002)
    assert abs(recomputed.cost_sd_usd - 0.000502518907629606) < 1e-12  # statistics.stdev
    # No cases left: its numbers stay, with no interval to judge them by.
    assert pruned.latency_p95_ms == 777.0 and pruned.latency_n is None
    assert pruned.latency_p95_high_ms is None and pruned.cost_n is None
