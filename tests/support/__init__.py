"""Test support shared across the suite: the PostgreSQL harness and the app-database fixtures.

Imported as the top-level package ``support`` (the tests directory is on sys.path; see
tests/store/conftest.py for how fixtures are pulled in).
"""
