"""Pipeline services: load records into the raw layer, build the warehouse, run the checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from growthos.config import Settings, write_workspace_file
from growthos.sources.base import RawRecord
from growthos.store import CheckOutcome
from growthos.warehouse.build import BuildResult, build
from growthos.warehouse.checks import run_checks
from growthos.warehouse.models import Model
from growthos.warehouse.raw import IngestStats, ingest
from growthos.workspace import Workspace

# Forkful's own unit costs (a workspace setting like any shop's), written to the demo's growthos.toml.
DEMO_CATEGORY_MARGINS = {
    "Meal Kits": Decimal("0.48"),
    "Family Boxes": Decimal("0.45"),
    "Add-ons": Decimal("0.60"),
    "Pantry": Decimal("0.55"),
    "Gift Cards": Decimal("0.95"),
}
DEMO_SHIPPING_COST = Decimal("6.95")
# Forkful's monthly ad budgets per paid channel (Settings.budgets), about what the demo spends in 30 days.
DEMO_BUDGETS = {"meta": Decimal("16000"), "google_ads": Decimal("9000")}


@dataclass
class PipelineResult:
    ingest: IngestStats | None
    build: BuildResult
    checks: list[CheckOutcome]


def load_records(
    ws: Workspace, records: Iterable[RawRecord], on_batch: Callable[[int], None] | None = None
) -> IngestStats:
    """Append records to the raw layer, as one job run."""
    job_id = ws.store.start_job("ingest")
    try:
        stats = ingest(ws.engine, records, batch_size=ws.settings.ingest_batch_size, on_batch=on_batch)
    except Exception as exc:
        ws.store.finish_job(job_id, "failed", error=str(exc))
        raise
    ws.store.finish_job(
        job_id,
        "succeeded",
        rows={"received": stats.received, "inserted": stats.inserted},
        stats={"batches": stats.batches, "by_entity": stats.by_entity},
    )
    return stats


def build_and_check(ws: Workspace, on_model: Callable[[Model, int], None] | None = None) -> PipelineResult:
    """Build every model (all-or-nothing) on the workspace's engine, serve the new marts from the warehouse
    file, then run the data-quality checks on what it serves and store them."""
    compute = ws.compute
    compute.before_build(ws.engine)
    result = build(compute, ws.settings, ws.store, on_model)
    compute.after_build(ws.engine)
    checks = run_checks(ws.engine, result.job_id)
    if result.job_id is not None:
        ws.store.save_check_results(result.job_id, checks)
    return PipelineResult(ingest=None, build=result, checks=checks)


def demo_settings(settings: Settings) -> Settings:
    """Mark the data directory as the demo workspace (its 'today' is the day after the demo's last day)."""
    from growthos.config import load_settings
    from growthos.core.errors import Conflict
    from growthos.sources.demo import DEMO_END_DATE
    from growthos.sources.demo.app_catalog import PRODUCT_FEATURES

    if settings.warehouse_path.exists() and not settings.demo:
        raise Conflict(
            f"{settings.data_dir} holds a workspace that is not the demo; choose another --data-dir for the demo",
            field="data_dir",
        )
    write_workspace_file(
        settings.data_dir,
        {
            "demo": True,
            "as_of": DEMO_END_DATE + timedelta(days=1),
            "timezone": "America/New_York",
            "currency": "USD",
            "shipping_cost_per_order": DEMO_SHIPPING_COST,
            "category_margins": DEMO_CATEGORY_MARGINS,
            "product_features": PRODUCT_FEATURES,
            "budgets": DEMO_BUDGETS,
        },
    )
    from growthos.analysis.loops.demo import write_demo_loops  # the recipe app's invite and content loops

    write_demo_loops(settings.data_dir)
    return load_settings(data_dir=settings.data_dir)
