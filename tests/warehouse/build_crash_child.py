"""Child process of test_build_crash: the real build of a data directory (growthos.pipeline.build_and_check, as
`growthos build` runs it). After each model it writes ``model <name>`` to stdout (one write(2) per line) and, in
step mode, waits for a line on stdin before going on, so the parent can kill it with the build's transaction open
at a chosen model; in free mode it runs straight through and the parent kills it at a random moment.

argv: data directory, app database URL, mode (step | free)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from growthos.config import load_settings
from growthos.pipeline import build_and_check
from growthos.workspace import Workspace


def main() -> None:
    data_dir, app_db_url, mode = sys.argv[1:4]
    settings = load_settings(data_dir=Path(data_dir), app_db_url=app_db_url, engine="duckdb")

    def on_model(model, _rows: int) -> None:
        os.write(1, f"model {model.name}\n".encode())
        if mode == "step":
            sys.stdin.readline()

    with Workspace(settings) as ws:
        os.write(1, b"ready\n")
        build_and_check(ws, on_model)
    os.write(1, b"done\n")


if __name__ == "__main__":
    main()
