"""Alembic revisions, oldest first: 0001_initial, ... (alembic ignores this file)."""
