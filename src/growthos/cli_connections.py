"""`growthos connections ...`: connections to third-party APIs (add, list, update, test, remove, kinds).

Secrets are given with ``--set field=value`` (scripts and CI, where there is no terminal) or, when left out
and stdin is a terminal, typed at a hidden prompt. They are stored encrypted and shown masked only.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, console, out
from growthos.core.errors import InvalidInput

connections_app = typer.Typer(help="Connections to third-party APIs: add, list, test, remove.", no_args_is_help=True)

Sets = Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE; repeat for each field.",
                                                show_default=False)]
BaseUrl = Annotated[str | None, typer.Option("--api-base-url", help="Send API calls here instead (a proxy).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Name = Annotated[str, typer.Argument(help="The connection's name (lowercase letters, digits, dashes).")]


def _parse_sets(items: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set takes FIELD=VALUE; got {item.split('=')[0]!r} without '='", field="--set")
        values[key.strip()] = value
    return values


def _stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt_missing(kind: str, values: dict[str, str]) -> None:
    """At a terminal, ask for each required field left out (secrets with hidden input)."""
    from growthos.store.connections import connectors

    connector = connectors().get(kind)
    if connector is None or not _stdin_is_tty():
        return
    for field in connector.fields:
        if field.required and not values.get(field.name):
            hint = f" ({field.help})" if field.help else ""
            values[field.name] = typer.prompt(f"{field.label}{hint}", hide_input=field.secret, err=True)


def _print_connection(data: dict[str, Any]) -> None:
    for key, value in {**data["settings"], **data["secrets"]}.items():
        out.print(f"  {key}: {value}", highlight=False, markup=False)
    if data["api_base_url"]:
        out.print(f"  api_base_url: {data['api_base_url']}", highlight=False, markup=False)


@connections_app.command("add")
def add_cmd(
    kind: Annotated[str, typer.Argument(help="The connector (see `growthos connections kinds`).")],
    name: Name,
    values: Sets = None,
    api_base_url: BaseUrl = None,
    as_json: Json = False,
) -> None:
    """Add a connection; secret fields are stored encrypted (prompted for, hidden, when left out at a terminal)."""
    from growthos.workspace import Workspace

    with _errors():
        given = _parse_sets(values)
        _prompt_missing(kind, given)
        with Workspace(_settings()) as ws:
            created = ws.store.create_connection(name, kind, given, api_base_url=api_base_url).to_dict()
    if as_json:
        _print_json(created)
        return
    console.print(f"Added {kind} connection {name}; test it with: growthos connections test {name}", highlight=False)
    _print_connection(created)


@connections_app.command("update")
def update_cmd(name: Name, values: Sets = None, api_base_url: BaseUrl = None, as_json: Json = False) -> None:
    """Change some fields (secrets left out keep their value; FIELD= removes an optional field)."""
    from growthos.workspace import Workspace

    with _errors():
        given = _parse_sets(values)
        with Workspace(_settings()) as ws:
            updated = ws.store.update_connection(name, given, ... if api_base_url is None else api_base_url).to_dict()
    if as_json:
        _print_json(updated)
        return
    console.print(f"Updated connection {name}.", highlight=False)
    _print_connection(updated)


@connections_app.command("list")
def list_cmd(as_json: Json = False) -> None:
    """Connections with their settings, masked secrets and last test."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        rows = [c.to_dict() for c in ws.store.list_connections()]
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Connections")
    for column in ("name", "kind", "settings", "secrets", "last test"):
        table.add_column(column)
    for c in rows:
        test = c["last_test"]
        shown = "never" if test is None else f"{'ok' if test['ok'] else 'FAILED'} {test['at'][:16]}: {test['message']}"
        table.add_row(c["name"], c["kind"], escape(", ".join(f"{k}={v}" for k, v in c["settings"].items())),
                      ", ".join(f"{k}={v}" for k, v in c["secrets"].items()), escape(shown))
    out.print(table)


@connections_app.command("test")
def test_cmd(name: Name, as_json: Json = False) -> None:
    """Make one authenticated call with the connection and record the outcome; exit code 1 when it fails."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        outcome = ws.store.test_connection(name)
    if as_json:
        _print_json(outcome.to_dict())
    elif outcome.ok:
        console.print(f"[green]ok[/green] {name}: {escape(outcome.message)}", highlight=False, soft_wrap=True)
    else:
        console.print(f"[red]failed[/red] {name}: {escape(outcome.message)}", highlight=False, soft_wrap=True)
    if not outcome.ok:
        raise typer.Exit(1)


@connections_app.command("remove")
def remove_cmd(name: Name) -> None:
    """Remove a connection and its stored secrets."""
    from growthos.workspace import Workspace

    with _errors(), Workspace(_settings()) as ws:
        ws.store.delete_connection(name)
    console.print(f"Removed connection {name}.", highlight=False)


@connections_app.command("kinds")
def kinds_cmd(as_json: Json = False) -> None:
    """The connectors and the fields a connection of each takes."""
    from growthos.store.connections import describe_connectors

    kinds = describe_connectors()
    if as_json:
        _print_json(kinds)
        return
    for kind in kinds:
        out.print(f"[bold]{kind['kind']}[/bold] ({kind['label']})", highlight=False)
        for f in kind["fields"]:
            flags = ", ".join(flag for flag, on in (("secret", f["secret"]), ("optional", not f["required"])) if on)
            out.print(f"  {f['name']}{f' [{flags}]' if flags else ''}: {f['label']}. {f['help']}".rstrip(" ."),
                      highlight=False, markup=False)
