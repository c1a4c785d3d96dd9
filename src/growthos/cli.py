"""The command line: thin commands that parse arguments, call one service, and render the result."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from growthos.config import Settings, load_settings
from growthos.core.errors import GrowthOSError
from growthos.core.periods import resolve_range

app = typer.Typer(help="GrowthOS: growth analytics from your store, ads, analytics and product.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)
out = Console()

HEADLINE = ["net_revenue", "orders", "aov", "new_customers", "ad_spend", "mer", "ncac", "conversion_rate",
            "contribution_margin", "refund_rate"]


class State:
    data_dir: Path | None = None


@app.callback()
def main(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default $GROWTHOS_DATA_DIR or "
                                                  "./growthos-data).")] = None,
) -> None:
    State.data_dir = data_dir


def _settings(engine: str | None = None) -> Settings:
    """The workspace's settings; ``engine`` (a command's --engine) overrides GROWTHOS_ENGINE and the file."""
    settings = load_settings(data_dir=State.data_dir)
    return settings.model_copy(update={"engine": engine}) if engine else settings


EngineOption = Annotated[str | None, typer.Option(
    "--engine", help="Engine that builds / answers: duckdb or spark (default $GROWTHOS_ENGINE or duckdb; Spark's "
                     "master is $GROWTHOS_SPARK_MASTER).")]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn GrowthOS errors into one clear line and exit code 2."""
    try:
        yield
    except GrowthOSError as exc:
        where = f" ({exc.field})" if exc.field else ""
        console.print(f"[red]error{where}:[/red] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=not console.is_terminal)


def _build_with_progress(ws) -> Any:
    from growthos.pipeline import build_and_check
    from growthos.warehouse.models import load_models

    with _progress() as progress:
        task = progress.add_task("Building models", total=len(load_models()))
        result = build_and_check(ws, on_model=lambda model, rows: progress.advance(task))
    return result


def _print_checks(checks: list) -> None:
    table = Table(title="Data-quality checks")
    for col in ("check", "status", "observed", "detail"):
        table.add_column(col)
    colours = {"pass": "green", "warn": "yellow", "fail": "red"}
    for c in checks:
        observed = "" if c.observed is None else f"{c.observed:g}"
        table.add_row(c.name, f"[{colours[c.status]}]{c.status}[/]", observed, c.detail[:100])
    out.print(table)


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build and summarise only; do not serve.")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the dashboard.")] = 4000,
    scale: Annotated[float, typer.Option(help="Volume multiplier (1 = ~5,400 orders).", min=0.01, max=1000)] = 1.0,
    list_anomalies: Annotated[bool, typer.Option("--list-anomalies", help="Print the injected anomalies.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Generate the demo workspace (a meal-kit brand), build the warehouse and print the summary."""
    from growthos.sources.demo import anomalies_as_dicts

    if list_anomalies:
        rows = anomalies_as_dicts()
        if as_json:
            _print_json(rows)
        else:
            for a in rows:
                out.print(f"{a['start']}..{a['end']}  {a['kind']:<26} {', '.join(a['metrics'])}")
        return
    with _errors():
        summary = _run_demo(scale)
    if as_json:
        _print_json(summary)
    else:
        _print_summary(summary)
    if no_serve or as_json:
        return
    with _errors():
        from growthos.pipeline import demo_settings
        from growthos.workspace import Workspace

        settings = demo_settings(_settings())
        with Workspace(settings) as ws:
            _key, secret = ws.store.create_api_key("demo login", "admin")
        _serve(settings, "127.0.0.1", port, login_token=secret)


def _run_demo(scale: float) -> dict[str, Any]:
    from growthos.metrics.evaluate import summary
    from growthos.pipeline import demo_settings, load_records
    from growthos.server.demo_events import send_demo_app_events
    from growthos.sources.demo import generate
    from growthos.workspace import Workspace

    settings = demo_settings(_settings())
    with Workspace(settings) as ws:
        with _progress() as progress:
            task = progress.add_task("Loading demo records", total=None)
            stats = load_records(ws, generate(scale=scale), on_batch=lambda n: progress.advance(task, n))
        console.print(f"Raw layer: {stats.received:,} records received, {stats.inserted:,} new.")
    with console.status("Sending the recipe app's events and telemetry through the collector APIs"):
        sent = send_demo_app_events(settings, scale=scale)
    console.print(f"Collector: {sent.events:,} app events acknowledged, {sent.telemetry:,} telemetry records "
                  "stored.")
    with Workspace(settings) as ws:
        result = _build_with_progress(ws)
        failed = [c for c in result.checks if c.status == "fail"]
        console.print(f"Built {len(result.build.rows)} models in {result.build.duration_s:.1f} s; "
                      f"{len(result.checks) - len(failed)}/{len(result.checks)} checks without failure.")
        rng = resolve_range(None, None, "30d", settings.today())
        return summary(ws.engine, rng, ws.last_full_day, HEADLINE)


def _print_summary(data: dict[str, Any]) -> None:
    from growthos.metrics.catalogue import CATALOGUE
    from growthos.metrics.format import format_change, format_value

    currency = _settings().currency
    table = Table(title=f"Executive summary {data['from']} – {data['to']} "
                        f"(vs {data['previous_from']} – {data['previous_to']})")
    for col in ("KPI", "value", "previous", "change"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for name, kpi in data["kpis"].items():
        metric = CATALOGUE[name]
        change = format_change(kpi["change_pct"])
        good = (kpi["change"] or 0) * (1 if metric.polarity == "up" else -1 if metric.polarity == "down" else 0)
        colour = "green" if good > 0 else "red" if good < 0 else "white"
        table.add_row(metric.label, format_value(metric, kpi["value"], currency),
                      format_value(metric, kpi["previous"], currency), f"[{colour}]{change}[/]")
    out.print(table)


@app.command("build")
def build_cmd(as_json: Annotated[bool, typer.Option("--json")] = False, engine: EngineOption = None) -> None:
    """Build the warehouse from the raw layer (all-or-nothing) and run the data-quality checks."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings(engine)) as ws:
        result = _build_with_progress(ws)
    if as_json:
        _print_json({"job_id": result.build.job_id, "rows": result.build.rows,
                     "duration_s": round(result.build.duration_s, 3),
                     "checks": {c.name: c.status for c in result.checks}})
    else:
        out.print(f"Built {len(result.build.rows)} models in {result.build.duration_s:.1f} s (job "
                  f"{result.build.job_id}).")
        _print_checks(result.checks)


@app.command()
def checks(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the data-quality checks of the latest build."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        results = ws.store.latest_check_results()
    if as_json:
        _print_json([
            {"name": c.name, "status": c.status, "observed": c.observed, "threshold": c.threshold,
             "detail": c.detail, "description": c.description, "job_id": c.job_id,
             "checked_at": c.checked_at.isoformat() if c.checked_at else None}
            for c in results
        ])
        return
    if not results:
        out.print("No checks yet: run `growthos build` first.")
        return
    _print_checks(results)


@app.command()
def kpis(
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    preset: Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d.")] = None,
    by: Annotated[str | None, typer.Option(help="Break down by channel, campaign or segment (new, returning, "
                                                "guest).")] = None,
    metrics: Annotated[str | None, typer.Option(help="Comma-separated metric names (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    engine: EngineOption = None,
) -> None:
    """KPIs for a date range, compared with the previous period of equal length."""
    from growthos.core.errors import InvalidInput
    from growthos.metrics.catalogue import parse_metric_list
    from growthos.metrics.evaluate import breakdown, summary
    from growthos.metrics.queries import BREAKDOWN_BY
    from growthos.workspace import Workspace

    with _errors():
        names = parse_metric_list(metrics)
        if by is not None and by not in BREAKDOWN_BY:
            raise InvalidInput(f"--by must be one of {', '.join(BREAKDOWN_BY)}; got {by!r}", field="by")
        settings = _settings(engine)
        rng = resolve_range(start, end, preset, settings.today())
        with Workspace(settings) as ws:
            _require_built(ws, ws.compute)
            data = (breakdown(ws.compute, rng, by, ws.last_full_day, names) if by
                    else summary(ws.compute, rng, ws.last_full_day, names))
    if as_json:
        _print_json(data)
    elif by:
        _print_breakdown(data, names)
    else:
        _print_summary(data)


def _require_built(ws, engine=None) -> None:
    """NotFound unless ``engine`` (default: the warehouse file) has the marts."""
    from growthos.core.errors import NotFound

    engine = engine or ws.engine
    if not engine.table_exists("fact_orders"):
        raise NotFound(f"the warehouse has not been built yet on {engine.name}: run `growthos demo` or "
                       f"`growthos build --engine {engine.name}`")


def _print_breakdown(data: dict[str, Any], names: list[str]) -> None:
    from growthos.metrics.catalogue import CATALOGUE
    from growthos.metrics.format import format_value

    currency = _settings().currency
    shown = names[:8]
    table = Table(title=f"KPIs by {data['by']} {data['from']} – {data['to']}")
    table.add_column(data["by"])
    for name in shown:
        table.add_column(CATALOGUE[name].label, justify="right")
    for row in data["rows"]:
        table.add_row(str(row[data["by"]]),
                      *[format_value(CATALOGUE[n], row["kpis"][n]["value"], currency) for n in shown])
    out.print(table)


@app.command()
def jobs(
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind (build, ingest...).")] = None,
    status: Annotated[str | None, typer.Option(help="running, succeeded or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Job runs, newest first: builds, ingestions, with rows per model or the error."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        runs = ws.store.list_jobs(kind=kind, status=status, limit=limit)
    if as_json:
        _print_json([r.to_dict() for r in runs])
        return
    table = Table(title="Job runs")
    for col in ("id", "kind", "status", "started (UTC)", "seconds", "error"):
        table.add_column(col)
    for r in runs:
        seconds = "" if r.duration_s is None else f"{r.duration_s:.1f}"
        table.add_row(str(r.id), r.kind, r.status, f"{r.started_at:%Y-%m-%d %H:%M:%S}", seconds, (r.error or "")[:80])
    out.print(table)


keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option(help="read (dashboard and API), ingest (write-only), or admin.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a key; it is printed once and stored only hashed."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        key, secret = ws.store.create_api_key(name, scope)
    if as_json:
        _print_json({**key.to_dict(), "secret": secret})
    else:
        console.print(f"Created {scope} key {key.id} ({name}); store it now, it is not shown again:")
        sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Keys with their scope and visible prefix (never the secret)."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        keys = ws.store.list_api_keys(include_revoked=all_keys)
    if as_json:
        _print_json([k.to_dict() for k in keys])
        return
    table = Table(title="API keys")
    for col in ("id", "name", "scope", "prefix", "created", "last used", "revoked"):
        table.add_column(col)
    for k in keys:
        table.add_row(str(k.id), k.name, k.scope, k.prefix + "…", f"{k.created_at:%Y-%m-%d %H:%M}",
                      f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "",
                      f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "")
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `growthos keys list`).")]) -> None:
    """Revoke a key and end its sessions."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        ws.store.revoke_api_key(key_id)
    console.print(f"Revoked key {key_id}.")


@keys_app.command("rotate-encryption")
def keys_rotate_encryption(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-encrypt every connection secret under a new encryption key, in one transaction; the old key is dropped."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        rotation = ws.store.rotate_encryption_key()
    if as_json:
        _print_json(rotation.to_dict())
        return
    console.print(f"Re-encrypted {rotation.secrets} secrets of {rotation.connections} connections under key "
                  f"{rotation.new_key_id}.", highlight=False)
    if rotation.new_key is not None:
        console.print("The key comes from GROWTHOS_ENCRYPTION_KEY: set it to this new key before the next start "
                      "(the old key no longer decrypts anything):", highlight=False)
        sys.stdout.write(rotation.new_key + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 4000,
) -> None:
    """Serve the API and the dashboard (the process owns the warehouse while it runs)."""
    with _errors():
        _serve(_settings(), host, port, login_token=None)


def _serve(settings: Settings, host: str, port: int, login_token: str | None) -> None:
    import logging

    import uvicorn

    from growthos.server.app import create_app
    from growthos.server.state import ServerState

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Opened before uvicorn starts, inside the caller's _errors(): a damaged or busy warehouse, a broken journal or
    # an unreachable app database is one line naming the file and the way out (exit 2), not a startup traceback.
    state = ServerState.open(settings)
    try:
        if login_token:
            console.print(f"Dashboard: http://{host}:{port}/login?token={login_token}", highlight=False,
                          soft_wrap=True)
        else:
            console.print(f"Serving on http://{host}:{port} (log in with a key: growthos keys create --scope read)",
                          highlight=False, soft_wrap=True)
        uvicorn.run(create_app(settings, state=state), host=host, port=port, access_log=False, log_level="warning")
    finally:
        state.close()  # closed at shutdown already, unless uvicorn never started (a port in use)


@app.command()
def catalogue(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/metrics.md.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every KPI's definition: name, label, formula, unit, polarity."""
    from growthos.metrics.docs import catalogue_json, catalogue_markdown

    if markdown:
        sys.stdout.write(catalogue_markdown())
    elif as_json:
        _print_json(catalogue_json())
    else:
        for m in catalogue_json():
            out.print(f"[bold]{m['name']}[/] ({m['unit']}, {m['polarity']}): {m['formula']}", highlight=False)


# The product commands live in their own module; it uses the helpers above, so it is imported last.
from growthos.cli_product import product_app  # noqa: E402

app.add_typer(product_app, name="product")

from growthos.cli_connections import connections_app  # noqa: E402

app.add_typer(connections_app, name="connections")

import growthos.cli_sync  # noqa: E402, F401  (registers `growthos sync`)


def run() -> None:  # pragma: no cover - console entry point
    app()


import growthos.cli_aarrr  # noqa: E402, F401  (registers `growthos aarrr`)
import growthos.cli_alerts  # noqa: E402, F401  (registers `growthos alerts`)
import growthos.cli_attribution  # noqa: E402, F401  (registers `growthos attribution`)
import growthos.cli_backup  # noqa: E402, F401  (registers `growthos backup`, `restore` and `doctor`)
import growthos.cli_budget  # noqa: E402, F401  (registers `growthos budget`)
import growthos.cli_forecast  # noqa: E402, F401  (registers `growthos forecast` and `growthos anomalies`)
import growthos.cli_loops  # noqa: E402, F401  (registers `growthos loops`)
import growthos.cli_ltv  # noqa: E402, F401  (registers `growthos ltv`)
import growthos.cli_snapshots  # noqa: E402, F401  (registers `growthos snapshot`, `diff` and `explain`)
import growthos.cli_wbr  # noqa: E402, F401  (registers `growthos wbr`)
