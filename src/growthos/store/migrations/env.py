"""Alembic environment: migrates the connection handed over by growthos.store.migrate.

There is no alembic.ini and no offline (--sql) mode; run ``growthos.store.migrate.upgrade(url)``.
"""

from __future__ import annotations

from alembic import context

from growthos.store.migrate import VERSION_TABLE
from growthos.store.schema import metadata

if context.is_offline_mode():
    raise RuntimeError("growthos migrations run online only, through growthos.store.migrate.upgrade(url)")

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("growthos migrations run through growthos.store.migrate.upgrade(url)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():  # joins the caller's transaction (which holds the migration lock)
    context.run_migrations()
