"""The ``mlsysim`` command line.

Commands here cover the Zoo (``zoo``, ``show``) and the provenance audit;
exit codes: 0 success, 1 bad input (or a failed strict audit), 2 bad usage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from enum import Enum
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mlsysim: first-order ML systems simulator and its provenance-tracked Zoo.")


class Output(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _fail(message: str, output: Output, code: int = 1) -> None:
    if output is Output.json:
        typer.echo(json.dumps({"error": message, "exit_code": code}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _format_value(value) -> str:
    import pint

    if isinstance(value, pint.Quantity):
        return f"{value.magnitude:g} {value.units:~}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _as_of(text: str | None, output: Output) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of must be a date YYYY-MM-DD, got {text!r}", output)


AS_OF_HELP = "Date to judge freshness on, YYYY-MM-DD (default today)."


def _number_rows(zoo, record, as_of, policy):
    from .lineage.status import status_of

    for field, value in record.numbers():
        path = f"{record.path}.{field}" if field else record.path
        provenance = record.provenance_for(field or "value")
        yield path, value, provenance, status_of(provenance, path, as_of=as_of, policy=policy)


@app.command()
def zoo(namespace: Optional[str] = typer.Argument(None, help="Namespace or group, e.g. Hardware or Hardware.Cloud."),
        output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """List Zoo entries with how many of their numbers are verified."""
    from .errors import MlsysimError
    from .lineage.policy import FreshnessPolicy
    from .zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), _as_of(as_of, output)
    try:
        groups = list(registry.groups())
        if namespace:
            registry.resolve(namespace)  # an unknown name fails here, with close matches
            groups = [g for g in groups if g.path == namespace or g.path.startswith(namespace + ".")]
            if not groups:
                _fail(f"{namespace!r} is not a namespace or group", output)
    except MlsysimError as exc:
        _fail(str(exc), output)
    rows = []
    for group in groups:
        for record in group.records().values():
            counts = Counter(str(row[3]) for row in _number_rows(registry, record, today, policy))
            rows.append({"path": record.path, "name": record.name, "numbers": sum(counts.values()),
                         "verified": counts.get("Verified", 0), "status": dict(sorted(counts.items()))})
    namespaces = _namespace_counts(rows)
    if output is Output.json:
        typer.echo(json.dumps({"entries": rows, "namespaces": namespaces}, indent=2))
        return
    if output is Output.markdown:
        typer.echo("| path | name | numbers | verified |\n|---|---|---|---|")
        for row in rows:
            typer.echo(f"| {row['path']} | {row['name']} | {row['numbers']} | {row['verified']} |")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Zoo: {namespace or 'all namespaces'}", expand=True)
    table.add_column("path", overflow="fold", ratio=5)
    table.add_column("name", overflow="fold", ratio=3)
    table.add_column("numbers", justify="right", no_wrap=True)
    table.add_column("verified", justify="right", no_wrap=True)
    table.add_column("statuses", overflow="fold", ratio=3)
    for row in rows:
        statuses = ", ".join(f"{k} {v}" for k, v in row["status"].items())
        table.add_row(row["path"], row["name"], str(row["numbers"]), str(row["verified"]), statuses)
    console.print(table)
    summary = Table(title="Per namespace")
    for column in ("namespace", "entries", "numbers", "verified", "evidence-backed verified"):
        summary.add_column(column, justify="left" if column == "namespace" else "right")
    for name, n in namespaces.items():
        summary.add_row(name, str(n["entries"]), str(n["numbers"]), str(n["verified"]),
                        f"{n['verified']}/{n['evidence_backed']} ({_share(n['verified'], n['evidence_backed'])})")
    console.print(summary)
    total = sum(n["numbers"] for n in namespaces.values())
    verified = sum(n["verified"] for n in namespaces.values())
    backed = sum(n["evidence_backed"] for n in namespaces.values())
    typer.echo(f"{len(rows)} entries, {total} numbers, {verified} verified ({_share(verified, total)} "
               f"of all; {_share(verified, backed)} of the {backed} that cite a datasheet, paper "
               "or report)")


#: Statuses of numbers that cite evidence (a datasheet, paper or report), checked or not.
EVIDENCE_STATUSES = ("Verified", "Stale", "Unverified")


def _namespace_counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        n = counts.setdefault(row["path"].split(".")[0],
                              {"entries": 0, "numbers": 0, "verified": 0, "evidence_backed": 0})
        n["entries"] += 1
        n["numbers"] += row["numbers"]
        n["verified"] += row["verified"]
        n["evidence_backed"] += sum(row["status"].get(s, 0) for s in EVIDENCE_STATUSES)
    return counts


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


@app.command()
def show(name: str = typer.Argument(..., help="Short name (H100) or path (Hardware.Cloud.H100.memory.bandwidth)."),
         output: Output = typer.Option(Output.text, "-o", "--output", help="text, json or markdown"),
         as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP)) -> None:
    """Show one entry or one number with its provenance."""
    from .errors import MlsysimError
    from .lineage.policy import FreshnessPolicy
    from .zoo.registry import default_zoo

    registry, policy, today = default_zoo(), FreshnessPolicy.load(), _as_of(as_of, output)
    head, _, rest = name.partition(".")
    try:
        if head in ("Hardware", "Models", "Systems", "Infrastructure", "Ops", "Scenarios",
                    "ReferenceStats", "Literature"):
            path = registry.canonical(name)
        else:
            path = registry.lookup(head) + (f".{rest}" if rest else "")
        parts = path.split(".")
        if len(parts) < 3:
            _fail(f"{path} is a namespace; use `mlsysim zoo {path}` to list it", output)
        record = registry.namespace(parts[0])[parts[1]].records().get(parts[2])
        if record is None:
            registry.resolve(path)  # raises with close matches
        field = ".".join(parts[3:])
        rows = [row for row in _number_rows(registry, record, today, policy)
                if not field or row[0] == path or row[0].startswith(path + ".")]
        if field and not rows:
            registry.number(path)  # raises: not a number / does not resolve
    except MlsysimError as exc:
        _fail(str(exc), output)
    if output is Output.json:
        typer.echo(json.dumps({"path": path, "name": record.name, "numbers": [
            {"path": p, "value": _format_value(v), "status": str(s),
             "provenance": prov.model_dump(mode="json") if prov else None}
            for p, v, prov, s in rows]}, indent=2))
        return
    typer.echo(f"{record.name}  ({record.path})")
    if record.description:
        typer.echo(record.description)
    for p, value, provenance, status in rows:
        source = provenance.short() if provenance else "no provenance"
        typer.echo(f"  {p.removeprefix(record.path + '.')}: {_format_value(value)}  [{status}]  {source}")
        if provenance and provenance.url and field:
            typer.echo(f"      {provenance.url}")


site_app = typer.Typer(no_args_is_help=True, help="Build the Zoo website.")
app.add_typer(site_app, name="site")


def _register_appendix() -> None:
    from .appendix.cli import appendix_app

    app.add_typer(appendix_app, name="appendix",
                  help="Build or check the textbook appendix tables (.qmd and .tex).")


_register_appendix()


@site_app.command("build")
def site_build(out: str = typer.Option("build/site", "--out", help="Folder to write the site to."),
               strict: bool = typer.Option(True, "--strict/--no-strict",
                                           help="Stop on any lineage error (default)."),
               as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
               scan: list[str] = typer.Option(
                   [], "--scan", help="A .qmd/.md/.tex/.ipynb file or folder whose Zoo paths gate 6 "
                   "checks (repeatable; adds to [tool.mlsysim.site] scan)."),
               appendix: Optional[str] = typer.Option(
                   None, "--appendix", help="Folder of committed appendix tables gate 7 checks "
                   "(default: [tool.mlsysim.site] appendix, if set)."),
               tables: Optional[str] = typer.Option(
                   None, "--tables", help="Table declaration of those tables (default: "
                   "[tool.mlsysim.site] appendix_tables, else the shipped one)."),
               config: bool = typer.Option(True, "--config/--no-config",
                                           help="Read [tool.mlsysim.site] from the nearest "
                                           "pyproject.toml (default).")) -> None:
    """Run lineage gates 1-7, render the Zoo and build the site with MkDocs Material."""
    from pathlib import Path

    from rich.console import Console

    from .appendix.tables import DECLARATION_FILE
    from .errors import MlsysimError
    from .site.build import OutFolderError, SiteBuildError, build_site
    from .site.config import SiteConfig, find_config, load_config

    console = Console(stderr=True)
    date = _as_of(as_of, Output.text)
    try:
        settings = load_config(find_config()) if config else SiteConfig()
    except MlsysimError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    documents = [*settings.scan, *map(Path, scan)]
    committed = Path(appendix) if appendix else settings.appendix
    declaration = Path(tables) if tables else (settings.appendix_tables or DECLARATION_FILE)
    if settings.file and (settings.scan or settings.appendix):
        typer.echo(f"Using [tool.mlsysim.site] from {settings.file}", err=True)
    try:
        with console.status("Building the Zoo site") as status:
            summary = build_site(out, as_of=date, strict=strict,
                                 progress=lambda step: status.update(step), documents=documents,
                                 appendix=committed, appendix_tables=declaration)
    except SiteBuildError as exc:
        for finding in exc.findings:
            typer.echo(finding.line())
        untouched = "" if isinstance(exc, OutFolderError) else f"; {out} was left as it was"
        typer.echo(f"error: {exc}{untouched}", err=True)
        raise typer.Exit(1)
    for finding in summary.findings:
        typer.echo(f"warning: {finding.line()}")
    typer.echo(summary.line())


@app.command()
def audit(strict: bool = typer.Option(False, "--strict", help="Exit 1 when any gate fails."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default today)."),
          scope: str = typer.Option("all", "--scope", help="'all' or comma-separated namespaces."),
          scan: list[str] = typer.Option([], "--scan", help="A .qmd/.md/.tex/.ipynb file or folder "
                                         "whose Zoo paths gate 6 checks (repeatable)."),
          lock_derived: bool = typer.Option(False, "--lock-derived",
                                            help="After you checked the derived numbers against "
                                            "their inputs: record them for gate 5, then audit.")) -> None:
    """Run the provenance audit (lineage gates 1-6; gate 6 only with --scan)."""
    from .tools.audit_provenance import main

    argv = ["--scope", scope] + (["--strict"] if strict else []) + (["--as-of", as_of] if as_of else [])
    argv += [arg for path in scan for arg in ("--scan", path)]
    argv += ["--lock-derived"] if lock_derived else []
    raise typer.Exit(main(argv))


def _register_solver_commands() -> None:
    from . import cli_solvers  # noqa: F401  (registers eval, serve, validate on app)


_register_solver_commands()


if __name__ == "__main__":  # python -m mlsysim.cli: run the package module's app,
    from mlsysim.cli import app as _package_app  # on which the solver commands registered

    _package_app()
