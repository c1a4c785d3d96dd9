"""The pipeline build: every model in order, inside one transaction, so readers keep seeing the
previous marts until the new ones are complete; a failure leaves them untouched."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from growthos.config import Settings
from growthos.core.errors import BuildError, GrowthOSError
from growthos.warehouse.config_tables import write_config_tables
from growthos.warehouse.engine import Engine
from growthos.warehouse.models import Model, load_models
from growthos.warehouse.raw import ensure_raw_table

if TYPE_CHECKING:
    from growthos.store import AppStore


@dataclass
class BuildResult:
    job_id: int | None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0


def run_models(
    engine: Engine, settings: Settings, on_model: Callable[[Model, int], None] | None = None
) -> BuildResult:
    """Build every model in one transaction; raises BuildError and rolls back on any failure."""
    result = BuildResult(job_id=None)
    started = time.perf_counter()
    ensure_raw_table(engine)
    try:
        with engine.transaction():
            write_config_tables(engine, settings)
            for model in load_models():
                t0 = time.perf_counter()
                try:
                    engine.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.sql}")
                except GrowthOSError as exc:
                    raise BuildError(f"model {model.name} failed: {exc.message}") from exc
                count = engine.query(f"SELECT count(*) AS n FROM {model.name}").column("n")[0].as_py()
                result.rows[model.name] = int(count)
                result.seconds[model.name] = round(time.perf_counter() - t0, 4)
                if on_model:
                    on_model(model, int(count))
    except BuildError:
        raise
    except GrowthOSError as exc:
        raise BuildError(f"build failed: {exc.message}") from exc
    result.duration_s = time.perf_counter() - started
    return result


def build(
    engine: Engine,
    settings: Settings,
    store: AppStore | None = None,
    on_model: Callable[[Model, int], None] | None = None,
) -> BuildResult:
    """Build the warehouse and record the job run (rows per model, or the error) in the app database."""
    job_id = store.start_job("build", {"engine": settings.engine}) if store else None
    try:
        result = run_models(engine, settings, on_model)
    except BuildError as exc:
        if store and job_id is not None:
            store.finish_job(job_id, "failed", error=exc.message)
        raise
    result.job_id = job_id
    if store and job_id is not None:
        store.finish_job(
            job_id,
            "succeeded",
            rows=result.rows,
            stats={"duration_s": round(result.duration_s, 3), "model_seconds": result.seconds},
        )
    return result
