"""`growthos snapshot create|list|show`, `growthos diff A B` and `growthos explain METRIC`: tables or --json
(the same JSON as /api/snapshots, /api/snapshots/diff and /api/explain)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _require_built, _settings, app, out

snapshot_app = typer.Typer(help="KPI snapshots of complete periods: take, list, show.", no_args_is_help=True)
app.add_typer(snapshot_app, name="snapshot")

Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Period = Annotated[str, typer.Option("--period", help="day, week, month or quarter.")]
End = Annotated[str | None, typer.Option("--end", help="A day of the period, YYYY-MM-DD (default: the last "
                                                      "complete period).")]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}" if abs(value) < 10 else f"{value:,.2f}"


@snapshot_app.command("create")
def snapshot_create(period: Period = "week", end: End = None, as_json: Json = False) -> None:
    """Take a snapshot of a complete period and store it."""
    from growthos.analysis.snapshot_store import save_snapshot
    from growthos.analysis.snapshots import take_snapshot
    from growthos.core.periods import parse_date
    from growthos.workspace import Workspace

    with _errors():
        settings = _settings()
        day = parse_date(end, "end") if end is not None else None
        with Workspace(settings) as ws:
            _require_built(ws)
            snapshot = save_snapshot(ws.store, take_snapshot(ws.engine, settings, period, day))
    if as_json:
        _print_json(snapshot.to_dict())
        return
    out.print(f"Snapshot {snapshot.id}: {snapshot.period_kind} {snapshot.period_start} – {snapshot.period_end} "
              f"({len(snapshot.kpis)} KPIs, {len(snapshot.aarrr)} AARRR metrics)", highlight=False)


@snapshot_app.command("list")
def snapshot_list(period: Annotated[str | None, typer.Option("--period", help="Only this kind.")] = None,
                  limit: Annotated[int, typer.Option(help="At most this many.")] = 100, as_json: Json = False) -> None:
    """Stored snapshots, newest first."""
    from growthos.store import AppStore

    with _errors(), AppStore.from_settings(_settings()) as store:
        rows = [r.summary() for r in store.list_snapshots(period, limit)]
    if as_json:
        _print_json({"snapshots": rows})
        return
    table = Table(title="Snapshots")
    for column in ("id", "period", "from", "to", "taken at"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), r["period_kind"], r["period_start"], r["period_end"], r["taken_at"])
    out.print(table)


@snapshot_app.command("show")
def snapshot_show(snapshot: Annotated[str, typer.Argument(help="A snapshot id, latest or previous.")],
                  as_json: Json = False) -> None:
    """One snapshot: every KPI with its previous value and growth rate."""
    from growthos.analysis.snapshot_store import load_snapshot
    from growthos.store import AppStore

    with _errors(), AppStore.from_settings(_settings()) as store:
        snap = load_snapshot(store, snapshot)
    if as_json:
        _print_json(snap.to_dict())
        return
    table = Table(title=f"Snapshot {snap.id}: {snap.period_kind} {snap.period_start} – {snap.period_end}")
    for column, justify in (("metric", "left"), ("value", "right"), ("previous", "right"), ("growth", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for entry in snap.all_metrics().values():
        table.add_row(entry["label"], _num(entry["value"]), _num(entry["previous"]), _pct(entry["growth_rate"]))
    out.print(table)


@app.command("diff")
def diff_cmd(a: Annotated[str, typer.Argument(help="Base snapshot: an id, latest or previous.")],
             b: Annotated[str, typer.Argument(help="Compared snapshot: an id, latest or previous.")],
             as_json: Json = False) -> None:
    """Diff two snapshots: significance per metric (BH-adjusted), health score and insights."""
    from growthos.analysis.insights import diff_report
    from growthos.analysis.snapshot_store import load_snapshot
    from growthos.store import AppStore

    with _errors(), AppStore.from_settings(_settings()) as store:
        report = diff_report(load_snapshot(store, a, "a"), load_snapshot(store, b, "b"))
    if as_json:
        _print_json(report)
        return
    out.print(f"Health score: [bold]{report['health']['score']}[/] ({report['health']['formula']})")
    table = Table(title=f"Snapshot {report['b']['id']} against {report['a']['id']}")
    for column in ("metric", "a", "b", "change", "q", "trend"):
        table.add_column(column, justify="left" if column in ("metric", "trend") else "right")
    for m in report["metrics"]:
        q = "—" if m["q_value"] is None else f"{m['q_value']:.3g}"
        table.add_row(m["label"], _num(m["a"]), _num(m["b"]), _pct(m["relative_change"]), q, m["trend"])
    out.print(table)
    for insight in report["insights"][:10]:
        out.print(f"• {insight['headline']} — {insight['recommendation']}", highlight=False)


@app.command("explain")
def explain_cmd(metric: Annotated[str, typer.Argument(help="A catalogue metric, e.g. net_revenue or mer.")],
                period: Period = "week", end: End = None,
                by: Annotated[str, typer.Option("--by", help="channel, campaign or segment.")] = "channel",
                as_json: Json = False) -> None:
    """Each channel's (campaign's, customer segment's) contribution to a KPI's change from the previous period."""
    from growthos.analysis.explain import explain
    from growthos.analysis.snapshots import period_bounds, previous_period
    from growthos.core.periods import parse_date
    from growthos.workspace import Workspace

    with _errors():
        settings = _settings()
        day = parse_date(end, "end") if end is not None else None
        with Workspace(settings) as ws:
            _require_built(ws)
            rng = period_bounds(period, ws.last_full_day, day)
            result = explain(ws.engine, metric, rng, previous_period(period, rng), by, ws.last_full_day).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result['label']}: {_num(result['compare_value'])} → {_num(result['value'])} "
                        f"({result['range']['from']} – {result['range']['to']}), by {by}")
    for column in (by, "before", "now", "contribution", "share"):
        table.add_column(column, justify="left" if column == by else "right")
    for c in result["contributions"]:
        table.add_row(c["label"], _num(c["compare_value"]), _num(c["value"]), _num(c["contribution"]),
                      _pct(c["share"]).lstrip("+"))
    out.print(table)
