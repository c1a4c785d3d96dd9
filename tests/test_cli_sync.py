"""`growthos sync` against the fake Shopify GraphQL Admin API (real HTTP on 127.0.0.1): the records land in
the raw layer as a job run per connection, --json reports each outcome, --source takes a name or a connector
kind, a connection whose token the API rejects fails with the API's own message (exit code 1) while the others
still sync, and the command refuses, pointing at POST /api/syncs, while another process holds the warehouse."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.shopify import INVALID_TOKEN, FakeShopify, fixture_products, fixture_shop
from rich.console import Console
from typer.testing import CliRunner

import growthos.cli_sync
import growthos.jobs.sync_job
from growthos.cli import app as cli
from growthos.config import load_settings
from growthos.sources.sync import SyncProgress
from growthos.workspace import Workspace

TOKEN = "shpat_cli_sync_token_1234"
ORDERS, CUSTOMERS, PRODUCTS = 30, 20, 8

runner = CliRunner()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeShopify]:
    orders, customers = fixture_shop(orders=ORDERS, customers=CUSTOMERS)
    service = FakeShopify(orders, customers, fixture_products(PRODUCTS), token=TOKEN, maximum=100_000,
                          restore_rate=10_000)
    with service.serve():
        yield service


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str):
    return runner.invoke(cli, ["--data-dir", str(data_dir), *args])


def add_shop(data_dir: Path, fake: FakeShopify, name: str, token: str = TOKEN) -> None:
    added = run(data_dir, "connections", "add", "shopify", name, "--set", "shop_domain=forkful.myshopify.com",
                "--set", f"access_token={token}", "--api-base-url", fake.base_url)
    assert added.exit_code == 0, added.output


def raw_counts(data_dir: Path) -> dict[str, int]:
    with Workspace(load_settings(data_dir=data_dir)) as ws:
        rows = ws.engine.query("SELECT entity, count(*) AS n FROM raw_events WHERE source = 'shopify' "
                               "GROUP BY entity").to_pylist()
    return {row["entity"]: row["n"] for row in rows}


def sync_jobs(data_dir: Path) -> list[dict]:
    listed = run(data_dir, "jobs", "--kind", "sync", "--json")
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def test_sync_lands_the_records_and_records_a_job_run(data_dir: Path, fake: FakeShopify) -> None:
    add_shop(data_dir, fake, "main-shop")
    result = run(data_dir, "sync")
    assert result.exit_code == 0, result.output
    assert "main-shop" in result.stdout and "ok" in result.stdout and "order 30 / 30" in result.stdout
    assert "growthos build" in result.stderr
    # every node the fake holds
    assert raw_counts(data_dir) == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    [job] = sync_jobs(data_dir)
    assert job["status"] == "succeeded" and job["params"] == {"connection": "main-shop", "full": False}
    assert job["rows"] == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    assert job["stats"]["fetched"] == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    assert job["stats"]["connector"] == "shopify"
    assert job["stats"]["pages"] == 5 and job["stats"]["requests"] >= 2 and job["stats"]["errors"] == 0


def test_sync_json_and_an_incremental_second_run(data_dir: Path, fake: FakeShopify) -> None:
    add_shop(data_dir, fake, "main-shop")
    first = run(data_dir, "sync", "--json")
    assert first.exit_code == 0, first.output
    [outcome] = json.loads(first.stdout)
    assert {k: outcome[k] for k in ("connection", "kind", "status", "full", "fetched", "inserted", "pages",
                                    "errors", "error")} == {
        "connection": "main-shop", "kind": "shopify", "status": "succeeded", "full": False,
        "fetched": {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS},
        "inserted": {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS},
        "pages": 5, "errors": 0, "error": None}  # orders 1, customers 1, products 3 + 3 + 2
    assert outcome["duration_s"] >= 0 and outcome["requests"] >= 2 and isinstance(outcome["job_id"], int)

    second = run(data_dir, "sync", "--source", "main-shop", "--full", "--json")
    assert second.exit_code == 0, second.output
    [again] = json.loads(second.stdout)
    assert again["full"] is True
    assert again["fetched"] == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}  # read again...
    assert again["inserted"] == {"order": 0, "customer": 0, "product": 0}  # ...and nothing stored twice
    assert raw_counts(data_dir) == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    assert [j["id"] for j in sync_jobs(data_dir)] == [again["job_id"], outcome["job_id"]]


def test_a_rejected_token_fails_with_the_apis_error_and_the_others_still_sync(data_dir: Path,
                                                                              fake: FakeShopify) -> None:
    bad_token = "shpat_revoked_token_9876"
    add_shop(data_dir, fake, "bad-shop", token=bad_token)
    add_shop(data_dir, fake, "main-shop")
    result = run(data_dir, "sync", "--source", "shopify")  # a connector kind: all its connections
    assert result.exit_code == 1, result.output
    assert "failed bad-shop:" in result.stderr and INVALID_TOKEN in result.stderr
    assert bad_token not in result.output
    assert raw_counts(data_dir) == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    jobs = {j["params"]["connection"]: j for j in sync_jobs(data_dir)}
    assert jobs["bad-shop"]["status"] == "failed" and INVALID_TOKEN in jobs["bad-shop"]["error"]
    assert jobs["main-shop"]["status"] == "succeeded"

    as_json = run(data_dir, "sync", "--source", "bad-shop", "--json")
    assert as_json.exit_code == 1
    [outcome] = json.loads(as_json.stdout)
    assert outcome["status"] == "failed" and INVALID_TOKEN in outcome["error"]


def test_unknown_source_and_no_connections(data_dir: Path, fake: FakeShopify) -> None:
    none = run(data_dir, "sync")
    assert none.exit_code == 0 and "No connections yet" in none.stderr
    assert json.loads(run(data_dir, "sync", "--json").stdout) == []
    add_shop(data_dir, fake, "main-shop")
    unknown = run(data_dir, "sync", "--source", "nope")
    assert unknown.exit_code == 2
    assert "error (source): no connection named 'nope'" in unknown.stderr
    assert sync_jobs(data_dir) == []


def test_sync_refuses_while_another_process_holds_the_warehouse(data_dir: Path, fake: FakeShopify) -> None:
    add_shop(data_dir, fake, "main-shop")
    warehouse = load_settings(data_dir=data_dir).warehouse_path
    requests_before = len(fake.log)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run(data_dir, "sync")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.exit_code == 2, result.output
    assert "held by a running server" in result.stderr and "POST /api/syncs" in result.stderr
    assert sync_jobs(data_dir) == []  # refused before any job run was recorded
    assert len(fake.log) == requests_before  # and before any call to the API


def _record_progress(monkeypatch: pytest.MonkeyPatch) -> list[SyncProgress]:
    """Updates the CLI's progress callback receives (it still gets each one)."""
    updates: list[SyncProgress] = []
    real = growthos.jobs.sync_job.sync_connections

    def recording(*args, on_progress=None, **kw):
        def both(update: SyncProgress) -> None:
            updates.append(update)
            if on_progress is not None:
                on_progress(update)
        return real(*args, on_progress=both, **kw)

    monkeypatch.setattr(growthos.jobs.sync_job, "sync_connections", recording)
    return updates


def test_progress_is_reported_per_page_and_ends_at_the_outcome(data_dir: Path, fake: FakeShopify,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    add_shop(data_dir, fake, "main-shop")
    updates = _record_progress(monkeypatch)
    result = run(data_dir, "sync")
    assert result.exit_code == 0, result.output
    assert [u.pages for u in updates] == [1, 2, 3, 4, 5]  # orders 1, customers 1, products 3
    assert all(a.fetched_total <= b.fetched_total and a.inserted_total <= b.inserted_total
               for a, b in zip(updates, updates[1:], strict=False))
    last: dict[str, SyncProgress] = {u.entity: u for u in updates}
    assert {e: u.fetched for e, u in last.items()} == {"order": ORDERS, "customer": CUSTOMERS, "product": PRODUCTS}
    assert updates[-1].fetched_total == updates[-1].inserted_total == ORDERS + CUSTOMERS + PRODUCTS
    [job] = sync_jobs(data_dir)
    assert job["stats"]["pages"] == updates[-1].pages and job["stats"]["fetched"] == {
        e: u.fetched for e, u in last.items()}
    # not a terminal (CI logs, pipes): no bars at all, and stdout ends with the summary table
    assert result.stderr.startswith("New records are in the raw layer") and "syncing" not in result.stderr
    lines = result.stdout.rstrip().splitlines()
    assert lines[0].strip() == "Sync" and "main-shop" in result.stdout
    assert set(lines[-1].strip()) <= set("└─┴┘")


def test_progress_bars_on_a_terminal(data_dir: Path, fake: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    add_shop(data_dir, fake, "main-shop")
    screen = io.StringIO()
    monkeypatch.setattr(growthos.cli_sync, "console",
                        Console(file=screen, force_terminal=True, width=160, color_system=None))
    updates = _record_progress(monkeypatch)
    result = run(data_dir, "sync")
    assert result.exit_code == 0, result.output
    assert len(updates) == 5
    drawn = screen.getvalue()
    assert "main-shop (shopify)" in drawn
    assert f"done: {ORDERS + CUSTOMERS + PRODUCTS} fetched, {ORDERS + CUSTOMERS + PRODUCTS} new, 5 pages" in drawn
    assert "━" in drawn  # the bar
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("└")  # the table still comes last

    screen.seek(0)
    screen.truncate(0)
    as_json = run(data_dir, "sync", "--json")
    assert as_json.exit_code == 0
    assert screen.getvalue() == ""  # --json: no bars, only the JSON
    [outcome] = json.loads(as_json.stdout)
    assert outcome["status"] == "succeeded" and "records" not in as_json.stdout


def test_progress_status_text() -> None:
    update = SyncProgress("main-shop", "shopify", "customer", 1200, 3, 1, 1230, 33)
    assert growthos.cli_sync._progress_status(update) == "customer 1,200 records, 1 page [dim](1,230 in all)[/dim]"
    first = SyncProgress("main-shop", "shopify", "order", 1, 1, 2, 1, 1)
    assert growthos.cli_sync._progress_status(first) == "order 1 record, 2 pages"
