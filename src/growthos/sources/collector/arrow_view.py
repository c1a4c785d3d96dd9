"""Arrow tables exposed to SQL for the length of a block."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from growthos.warehouse.engine import Engine


@contextmanager
def registered(engine: Engine, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` is queryable as ``name`` inside the block.

    When the block fails inside a transaction DuckDB refuses every statement until ROLLBACK,
    unregistering included; that second error must not hide the first one."""
    engine.register(name, table)
    try:
        yield
    finally:
        failing = sys.exc_info()[0] is not None
        try:
            engine.unregister(name)
        except Exception:
            if not failing:
                raise
