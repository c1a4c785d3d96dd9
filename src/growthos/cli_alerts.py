"""`growthos alerts list|ack ID|resolve ID|rules|evaluate [--json]`: the alert history, its lifecycle, the rules
in force and an evaluation on demand (the same JSON as /api/alerts)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, app, out

alerts_app = typer.Typer(help="Alerts: history, acknowledge and resolve, rules, evaluate.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow"}


def _workspace() -> Any:
    from growthos.workspace import Workspace

    return Workspace(_settings())


def _alert_table(alerts: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "severity", "status", "rule", "fired", "message"):
        table.add_column(column, overflow="fold")
    for a in alerts:
        style = _SEVERITY_STYLE.get(a["severity"], "")
        table.add_row(str(a["id"]), f"[{style}]{a['severity']}[/]", a["status"], escape(a["rule"]),
                      a["fired_at"][:16].replace("T", " "), escape(a["message"]))
    return table


@alerts_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="open, acknowledged, resolved or active (open + acknowledged).")]
    = None,
    rule: Annotated[str | None, typer.Option(help="Only alerts of this rule.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many alerts.")] = 50,
    as_json: Json = False,
) -> None:
    """Alerts newest first (the history), with their recommendation."""
    with _errors(), _workspace() as ws:
        alerts = [a.to_dict() for a in ws.store.list_alerts(status=status, rule=rule, limit=limit)]
    if as_json:
        _print_json({"alerts": alerts})
        return
    if not alerts:
        out.print("No alerts.")
        return
    out.print(_alert_table(alerts, "Alerts"))


def _change(action: str, alert_id: int, as_json: bool) -> None:
    with _errors(), _workspace() as ws:
        store = ws.store
        alert = (store.acknowledge_alert if action == "ack" else store.resolve_alert)(alert_id).to_dict()
    if as_json:
        _print_json(alert)
        return
    out.print(f"Alert {alert['id']} ({escape(alert['rule'])}) is {alert['status']}.", highlight=False)


@alerts_app.command("ack")
def ack_cmd(alert_id: Annotated[int, typer.Argument(help="The alert's id.")], as_json: Json = False) -> None:
    """Acknowledge an open alert (it stays active until resolved or the condition clears)."""
    _change("ack", alert_id, as_json)


@alerts_app.command("resolve")
def resolve_cmd(alert_id: Annotated[int, typer.Argument(help="The alert's id.")], as_json: Json = False) -> None:
    """Resolve an alert by hand."""
    _change("resolve", alert_id, as_json)


@alerts_app.command("rules")
def rules_cmd(as_json: Json = False) -> None:
    """The rules in force: alerts.yaml's (or the seven defaults), overlaid with those saved through the API."""
    from growthos.alerts.evaluate import list_rules

    with _errors(), _workspace() as ws:
        rules = [r.to_dict() for r in list_rules(ws)]
    if as_json:
        _print_json({"rules": rules})
        return
    table = Table(title="Alert rules")
    table.add_column("name", no_wrap=True)
    for column in ("kind", "metric", "severity", "cooldown", "enabled", "source", "params"):
        table.add_column(column, overflow="fold")
    for r in rules:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items() if v not in (None, ""))
        table.add_row(r["name"], r["kind"], r["metric"] or "—", r["severity"], f"{r['cooldown_s'] // 3600}h",
                      "yes" if r["enabled"] else "no", r["source"], escape(params))
    out.print(table)


@alerts_app.command("evaluate")
def evaluate_cmd(as_json: Json = False) -> None:
    """Evaluate every enabled rule now: open, refresh or resolve alerts and notify the channels of new ones."""
    from growthos.alerts.evaluate import evaluate_alerts

    with _errors(), _workspace() as ws:
        report = evaluate_alerts(ws).to_dict()
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"Alert evaluation {report['evaluated_at'][:16].replace('T', ' ')}")
    for column in ("rule", "outcome", "message"):
        table.add_column(column, overflow="fold")
    for r in report["rules"]:
        message = r["error"] or (r["evaluation"] or {}).get("message", "")
        table.add_row(r["rule"], r["status"], escape(message))
    out.print(table)
    delivered = sum(1 for n in report["notifications"] if n["status"] == "delivered")
    failed = len(report["notifications"]) - delivered
    out.print(f"{len(report['new'])} new, {len(report['updated'])} still firing, {len(report['resolved'])} resolved;"
              f" notifications: {delivered} delivered, {failed} failed attempts.", highlight=False)
