"""Alembic environment: always handed a connection or engine by bot.store.db."""

from __future__ import annotations

from alembic import context

from bot.store.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    engine = config.attributes["engine"]
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
