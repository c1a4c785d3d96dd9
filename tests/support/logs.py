"""Every log record of this process into one file, for tests that check what the server logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def process_log(path: Path) -> Iterator[Path]:
    """Every log record of this process (a test server runs in a thread of it), at DEBUG, into ``path``: the root
    logger (growthos.access, growthos.*, SQLAlchemy's SQL with its parameters) and uvicorn's own loggers."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy.engine")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if lg.name in ("root", "uvicorn", "uvicorn.access"):
            lg.addHandler(handler)
    try:
        yield path
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
            lg.removeHandler(handler)
        handler.close()
