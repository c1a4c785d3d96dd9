"""The health report: is the warehouse readable, is the app database reachable, when was the last build."""

from __future__ import annotations

from typing import Any

from growthos import __version__
from growthos.core.errors import GrowthOSError


def health_report(state) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        with state.reader() as engine:
            built = engine.table_exists("fact_orders")
        checks["warehouse"] = {"status": "ok", "built": built}
    except GrowthOSError as exc:
        checks["warehouse"] = {"status": "error", "error": exc.message}
    last_build = None
    try:
        state.workspace.store.ping()
        checks["app_database"] = {"status": "ok", "backend": state.workspace.store.backend}
        job = state.workspace.store.last_job("build")
        last_build = job.to_dict() if job else None
        if last_build:
            last_build = {k: last_build[k] for k in ("id", "status", "started_at", "ended_at", "duration_s", "error")}
    except GrowthOSError as exc:
        checks["app_database"] = {"status": "error", "error": exc.message}
    ok = all(c["status"] == "ok" for c in checks.values())
    return {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "demo": state.settings.demo,
        "checks": checks,
        "last_build": last_build,
    }
