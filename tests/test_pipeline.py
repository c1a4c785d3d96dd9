"""Pipeline services with a real app database: job runs and check results are recorded."""

from __future__ import annotations

import pytest
from fixtures.shopify import customer, meta_row, order

from growthos.core.errors import BuildError, Conflict
from growthos.pipeline import build_and_check, demo_settings, load_records
from growthos.workspace import Workspace


def test_a_build_records_its_job_run_with_rows_per_model_and_its_checks(make_settings):
    with Workspace(make_settings()) as ws:
        load_records(ws, [customer(1, "2026-02-01T14:00:00Z"),
                          order(1, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 1, "50.00", "0")]),
                          meta_row("ad1", "2026-02-01", "10.00", 100, 4)])
        result = build_and_check(ws)
        job = ws.store.get_job(result.build.job_id)
        assert (job.kind, job.status, job.error) == ("build", "succeeded", None)
        assert job.rows["fact_orders"] == 1 and job.rows["fact_spend"] == 1
        assert job.duration_s is not None and job.duration_s >= 0
        saved = ws.store.latest_check_results()
        assert [c.name for c in saved] == [c.name for c in result.checks]
        assert {c.job_id for c in saved} == {job.id}
        ingest_job = ws.store.last_job("ingest")
        assert ingest_job.rows == {"received": 3, "inserted": 3}


def test_a_failed_build_is_recorded_with_its_error(make_settings, monkeypatch):
    import growthos.warehouse.build as build_module
    from growthos.warehouse.models import load_models

    broken = tuple(type(m)(m.name, m.layer, "SELECT missing_column FROM raw_events", m.description, m.depends_on)
                   if m.name == "fact_orders" else m for m in load_models())
    monkeypatch.setattr(build_module, "load_models", lambda: broken)
    with Workspace(make_settings()) as ws:
        with pytest.raises(BuildError, match="fact_orders"):
            build_and_check(ws)
        job = ws.store.last_job("build")
        assert job.status == "failed"
        assert "fact_orders" in job.error and "missing_column" in job.error


def test_an_empty_warehouse_fails_freshness_and_nothing_else(make_settings):
    with Workspace(make_settings()) as ws:
        statuses = {c.name: (c.status, c.detail) for c in build_and_check(ws).checks}
    assert statuses.pop("freshness") == ("fail", "no data from any source")
    assert {s for s, _ in statuses.values()} == {"pass"}


def test_the_demo_refuses_a_data_directory_holding_another_workspace(make_settings):
    settings = make_settings()
    with Workspace(settings) as ws:
        build_and_check(ws)
    with pytest.raises(Conflict, match="not the demo") as info:
        demo_settings(settings)
    assert info.value.field == "data_dir"
