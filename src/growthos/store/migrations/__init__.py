"""Alembic migrations of the app database (a package so that installs ship every revision)."""
