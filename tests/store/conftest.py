"""App-database tests: every test taking ``app_db_url`` / ``app_store`` runs on SQLite and PostgreSQL.

How the fixtures get here (reusable from tests/conftest.py): the tests directory has no __init__.py,
so tests/support is imported as the top-level package ``support``. Under pytest's default
``prepend`` import mode tests/ is already on sys.path (tests/conftest.py's own directory); the insert
below makes that hold whichever conftest loads first and under ``--import-mode=importlib``.
The fixtures are then imported by name, which registers them for this directory.
``pytest_plugins`` is not used here: pytest only allows it in the root conftest. tests/conftest.py
can do the same two steps for the whole tree, or declare ``pytest_plugins = ["support.fixtures"]``;
both may coexist with this file (the PostgreSQL server is shared, reference-counted, per process).
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS_DIR = str(Path(__file__).resolve().parents[1])
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from support.fixtures import (  # noqa: E402, F401  (fixtures are registered by being imported)
    app_db_url,
    app_store,
    fresh_postgres_url,
    postgres_server,
    postgres_url,
)
