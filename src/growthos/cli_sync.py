"""`growthos sync`: fetch new records of the connections into the raw layer, each connection as a job run.

It writes to the warehouse, so it runs only while no server holds the file; with `growthos serve` running,
ask the server instead (``POST /api/syncs``), which also syncs on its own every ``sync_interval_minutes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, console, out
from growthos.core.errors import Conflict

if TYPE_CHECKING:
    from growthos.jobs.sync_job import PendingSync, SyncOutcome
    from growthos.warehouse.engine import Engine
    from growthos.workspace import Workspace

SERVER_HOLDS_WAREHOUSE = (
    "the warehouse {path} is held by a running server (`growthos serve`); ask it to sync instead: "
    'POST /api/syncs with an admin key (body {{"connection": "NAME"}}, or {{}} for every connection), '
    "or stop the server first"
)


@app.command("sync")
def sync_cmd(
    source: Annotated[str | None, typer.Option(
        "--source", help="A connection's name, or a connector kind (all its connections); default: every one.")]
    = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Ignore saved cursors and read everything again (stored records are not duplicated).")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each connection's outcome as JSON.")] = False,
) -> None:
    """Sync connections into the raw layer, each as a job run (see `growthos jobs --kind sync`); exit code 1
    when any failed. Then `growthos build` turns the new records into marts."""
    from growthos.jobs.sync_job import select_connections
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        chosen = select_connections(ws.store, source)
        if not chosen:
            if as_json:
                _print_json([])
            else:
                console.print("No connections yet: add one with `growthos connections add`.", highlight=False)
            return
        engine = _warehouse(ws)
        outcomes = _sync([(c.name, c.kind) for c in chosen], ws, engine, full, show=not as_json)
    if as_json:
        _print_json([o.to_dict() for o in outcomes])
    else:
        _print_outcomes(outcomes)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(1)


def _warehouse(ws: Workspace) -> Engine:
    """The warehouse, opened for writing; a Conflict pointing at the server's API when a server holds it."""
    try:
        return ws.engine
    except Conflict as exc:
        if exc.field != "data_dir":
            raise
        raise Conflict(SERVER_HOLDS_WAREHOUSE.format(path=ws.settings.warehouse_path), field="data_dir") from None


def _sync(connections: list[tuple[str, str]], ws: Workspace, engine: Engine, full: bool,
          show: bool) -> list[SyncOutcome]:
    """Sync each connection in turn with a spinner per connection (connectors do not report progress within a
    sync, so each line shows waiting, syncing and then what was fetched and stored)."""
    from growthos.jobs.sync_job import sync_connections

    progress = Progress(SpinnerColumn(finished_text="•"), TextColumn("{task.description}"),
                        TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console,
                        transient=False, disable=not (show and console.is_terminal))
    tasks: dict[str, TaskID] = {}
    with progress:
        for name, kind in connections:
            tasks[name] = progress.add_task(f"{escape(name)} ({escape(kind)})", total=1, start=False,
                                            status="[dim]waiting[/dim]")

        def started(pending: PendingSync) -> None:
            progress.start_task(tasks[pending.connection])
            progress.update(tasks[pending.connection], status=f"syncing (job {pending.job_id})")

        def finished(outcome: SyncOutcome) -> None:
            if outcome.ok:
                status = (f"[green]done[/green]: {sum(outcome.fetched.values()):,} fetched, "
                          f"{outcome.inserted_total:,} new")
            else:
                status = "[red]failed[/red]"
            progress.update(tasks[outcome.connection], completed=1, status=status)
            progress.stop_task(tasks[outcome.connection])

        return sync_connections(ws.store, engine, [name for name, _ in connections], full=full,
                                on_start=started, on_finish=finished)


def _entities(o: SyncOutcome) -> str:
    """One line per entity: fetched / new."""
    inserted = o.inserted
    return "\n".join(f"{entity} {n:,} / {inserted.get(entity, 0):,}" for entity, n in o.fetched.items()) or "—"


def _print_outcomes(outcomes: list[SyncOutcome]) -> None:
    table = Table(title="Sync")
    table.add_column("connection", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("fetched / new", no_wrap=True)
    for column in ("pages", "retries", "errors", "s"):
        table.add_column(column, justify="right")
    for o in outcomes:
        data = o.to_dict()
        counts = [str(data[k]) if o.result else "—" for k in ("pages", "retries", "errors")]  # unknown on failure
        status = "[green]ok[/green]" if o.ok else "[red]failed[/red]"
        table.add_row(f"{escape(o.connection)}\n[dim]{escape(o.kind or '')} · job {o.job_id}[/dim]", status,
                      _entities(o), *counts, f"{o.duration_s:.1f}")
    out.print(table)
    for o in outcomes:
        if not o.ok:
            console.print(f"[red]failed[/red] {escape(o.connection)}: {escape(o.error or '')}", highlight=False,
                          soft_wrap=True)
    if any(o.inserted_total for o in outcomes):
        console.print("New records are in the raw layer: run `growthos build` to update the marts.",
                      highlight=False)
