"""`growthos sync`: fetch new records of the connections into the raw layer, each connection as a job run.

It writes to the warehouse, so it runs only while no server holds the file; with `growthos serve` running,
ask the server instead (``POST /api/syncs``), which also syncs on its own every ``sync_interval_minutes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.progress_bar import ProgressBar
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, console, out
from growthos.core.errors import Conflict

if TYPE_CHECKING:
    from growthos.jobs.sync_job import PendingSync, SyncOutcome
    from growthos.sources.sync import SyncProgress
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
    """Sync each connection in turn with a progress bar per connection: waiting, then the records fetched and
    pages read so far (updated after every page the connector stores), then what was fetched and stored.

    The total is unknown while a sync runs, so the bar pulses until the sync ends. The bars are drawn on a
    terminal only (not with ``--json``, nor when stderr is a pipe or a CI log: the summary table says it all).
    """
    from growthos.jobs.sync_job import sync_connections

    progress = Progress(SpinnerColumn(finished_text="•"), TextColumn("{task.description}"),
                        _SyncBar(bar_width=20), TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                        console=console, transient=False, disable=not (show and console.is_terminal))
    tasks: dict[str, TaskID] = {}
    running: list[str] = []  # the connection syncing now (its progress updates name it too, but trust the job)
    with progress:
        for name, kind in connections:
            tasks[name] = progress.add_task(f"{escape(name)} ({escape(kind)})", total=None, start=False,
                                            status="[dim]waiting[/dim]", failed=False)

        def started(pending: PendingSync) -> None:
            running[:] = [pending.connection]
            progress.start_task(tasks[pending.connection])
            progress.update(tasks[pending.connection], status=f"syncing (job {pending.job_id})")

        def advanced(update: SyncProgress) -> None:
            if not running:
                return
            progress.update(tasks[running[0]], completed=update.fetched_total, status=_progress_status(update))

        def finished(outcome: SyncOutcome) -> None:
            running.clear()
            task = tasks[outcome.connection]
            if outcome.ok:
                fetched = sum(outcome.fetched.values())
                pages = outcome.result.pages if outcome.result else 0
                status = (f"[green]done[/green]: {fetched:,} fetched, {outcome.inserted_total:,} new, "
                          f"{_plural(pages, 'page')}")
                progress.update(task, total=max(fetched, 1), completed=max(fetched, 1), status=status)
            else:
                progress.update(task, total=1, completed=1, status="[red]failed[/red]", failed=True)
            progress.stop_task(task)

        return sync_connections(ws.store, engine, [name for name, _ in connections], full=full,
                                on_start=started, on_finish=finished, on_progress=advanced)


class _SyncBar(BarColumn):
    """An empty bar while the connection waits its turn, a pulsing one while it syncs (the total is unknown),
    a full one when it is done (red when it failed)."""

    def render(self, task: Task) -> ProgressBar:
        if not task.started:
            return ProgressBar(total=1, completed=0, width=self.bar_width, style=self.style)
        if task.fields.get("failed"):
            return ProgressBar(total=1, completed=1, width=self.bar_width, finished_style="red")
        return super().render(task)


def _progress_status(update: SyncProgress) -> str:
    """``order 1,250 records, 5 pages`` (and the connection's total when it has fetched other entities too)."""
    text = f"{escape(update.entity)} {_plural(update.fetched, 'record')}, {_plural(update.pages, 'page')}"
    if update.fetched_total != update.fetched:
        text += f" [dim]({update.fetched_total:,} in all)[/dim]"
    return text


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


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
