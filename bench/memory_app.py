"""The server bench/load.py --memory measures: `growthos serve`'s app plus one bench-only route.

    PYTHONTRACEMALLOC=1 .venv/bin/python bench/memory_app.py --data-dir DIR serve --port PORT

(the argument form of `growthos serve`, so that bench/load.py can start it through LOAD_SERVER_CMD).

- ``GET /bench/memory``: where the server's memory is: resident set (VmRSS), DuckDB's own accounting
  (``duckdb_memory()`` by tag, and ``memory_limit``), the Python heap as tracemalloc sees it (current, and the
  ten source lines whose allocations grew most since the first call) when tracing is on (PYTHONTRACEMALLOC),
  and the sizes of the server's queues and caches.

Bench code only: nothing here is part of the product.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from growthos.config import load_settings
from growthos.server.api.params import server_state
from growthos.server.app import create_app

_baseline: list[tracemalloc.Snapshot] = []


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(request: Request) -> JSONResponse:
    state = server_state(request)
    engine = state.workspace.engine.reader()
    try:
        tags = engine.query("SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0"
                            " ORDER BY b DESC").to_pylist()
        limit = engine.query("SELECT current_setting('memory_limit') AS l").to_pylist()[0]["l"]
    finally:
        engine.close()
    body: dict[str, Any] = {
        "rss_mib": round(_rss_mib(), 1),
        "duckdb_limit": limit,
        "duckdb_mib": {t["tag"]: round(t["b"] / 2**20, 1) for t in tags},
        "duckdb_total_mib": round(sum(t["b"] for t in tags) / 2**20, 1),
        "python_objects": len(gc.get_objects()),
        "collector": {"queued_events": state.collector.stats().queued_events,
                      "write_keys_cached": len(state.write_keys._keys),
                      "identities_cached": len(getattr(state.collector._loader._identities, "_person", {}) or {})},
        "results_cached": len(state.results._items),
        "sse_subscribers": state.events.subscribers,
    }
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        body["traced_mib"] = round(current / 2**20, 1)
        body["traced_peak_mib"] = round(peak / 2**20, 1)
        if not _baseline:
            _baseline.append(snapshot)
        else:
            body["grown_since_first"] = [
                {"where": str(s.traceback[0]), "kib": round(s.size_diff / 1024), "blocks": s.count_diff}
                for s in snapshot.compare_to(_baseline[0], "lineno")[:10]]
    return JSONResponse(body)


def create(data_dir: Path) -> FastAPI:
    app = create_app(load_settings(data_dir=data_dir))
    app.add_api_route("/bench/memory", memory, methods=["GET"])
    return app


if __name__ == "__main__":
    args = sys.argv[1:]
    data_dir = Path(args[args.index("--data-dir") + 1])
    port = int(args[args.index("--port") + 1])
    uvicorn.run(create(data_dir), host="127.0.0.1", port=port, access_log=False, log_level="warning")
