"""`growthos backup`, `growthos restore` and `growthos doctor`: archive a data directory, bring one back, and
check every file of one (see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from growthos.cli import State, _errors, _print_json, app, console, out

SECRET_WARNING = ("The archive contains the encryption key and the connections' encrypted secrets: keep it as "
                  "private as the data directory (it is written with mode 0600).")


@app.command("backup")
def backup_cmd(
    dest: Annotated[Path | None, typer.Argument(help="Archive to write (a directory: the default name inside it); "
                                                     "default growthos-backup-<UTC timestamp>.tar.gz here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Write one tar.gz of the data directory (warehouse, app database, key, configs, journal) with a manifest of
    checksums; refused while a server holds the warehouse."""
    from growthos.backup import create_backup, default_archive_name
    from growthos.doctor import doctor_settings

    with _errors():
        settings = doctor_settings(State.data_dir)  # a broken growthos.toml is backed up as it is
        target = (dest or Path(default_archive_name())).absolute()
        if target.is_dir():
            target = target / default_archive_name()
        manifest = create_backup(settings, target)
    notes = [n for n in (manifest["app_db"].get("note"), manifest["encryption_key"].get("note")) if n]
    if as_json:
        _print_json({"archive": str(target), "bytes": target.stat().st_size, "notes": notes,
                     "warning": SECRET_WARNING, "manifest": manifest})
        return
    out.print(f"Backup written to {escape(str(target))}: {len(manifest['files'])} files, "
              f"{manifest['total_bytes']:,} bytes ({target.stat().st_size:,} compressed).",
              highlight=False, soft_wrap=True)
    for note in notes:
        out.print(f"Note: {escape(note)}.", highlight=False, soft_wrap=True)
    out.print(SECRET_WARNING, highlight=False, soft_wrap=True)


@app.command("restore")
def restore_cmd(
    archive: Annotated[Path, typer.Argument(help="A backup written by `growthos backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Restore over a data directory that is not empty: it is "
                                                        "moved aside to <data dir>.pre-restore-<timestamp>.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Check every file of an archive against its manifest, then restore it as the data directory (refused while
    a server holds the warehouse)."""
    from growthos.backup import restore_backup
    from growthos.doctor import doctor_settings

    with _errors():
        result = restore_backup(doctor_settings(State.data_dir), archive, force=force)
    if as_json:
        _print_json(result.to_dict())
        return
    out.print(f"Restored {result.files} files ({result.bytes:,} bytes) from {escape(str(archive))}, backed up "
              f"{result.manifest.get('created_at')}, into {escape(str(result.data_dir))}.",
              highlight=False, soft_wrap=True)
    if result.moved_aside is not None:
        out.print(f"The previous data directory is kept at {escape(str(result.moved_aside))}; remove it once the "
                  "restored workspace is checked.", highlight=False, soft_wrap=True)
    for note in result.notes:
        out.print(f"Note: {escape(note)}.", highlight=False, soft_wrap=True)
    out.print("Check it with `growthos doctor`.", highlight=False, soft_wrap=True)


@app.command("doctor")
def doctor_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check every file of the data directory (warehouse, app database, key, configs, journal) and say how to
    recover from each problem; exit code 1 when any is an error."""
    from growthos.doctor import diagnose, doctor_settings, has_errors

    with _errors():
        settings = doctor_settings(State.data_dir)
        findings = diagnose(settings)
    if as_json:
        _print_json({"data_dir": str(settings.data_dir), "ok": not has_errors(findings),
                     "findings": [f.to_dict() for f in findings]})
    elif not findings:
        out.print(f"{escape(str(settings.data_dir))}: every file checked, no problem found.",
                  highlight=False, soft_wrap=True)
    else:
        colour = {"error": "red", "warning": "yellow", "info": "blue"}
        for f in findings:
            out.print(f"[{colour.get(f.severity, 'white')}]{f.severity}[/]: {escape(f.file)}: {escape(f.problem)}",
                      highlight=False, soft_wrap=True)
            out.print(f"  how to recover: {escape(f.recovery)}", highlight=False, soft_wrap=True)
        errors = sum(f.severity == "error" for f in findings)
        console.print(f"{errors} error(s), {len(findings) - errors} other finding(s).", highlight=False, soft_wrap=True)
    if has_errors(findings):
        raise typer.Exit(1)
