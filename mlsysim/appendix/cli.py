"""``mlsysim appendix build|check``: write the appendix tables, or check committed ones for drift.

Exit codes: 0 success (``check``: the files match the registry), 1 drift,
a missing file, or a declaration or Zoo problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Optional

import typer

from .tables import DECLARATION_FILE

appendix_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Textbook appendix tables (Quarto .qmd and LaTeX) rendered from the Zoo.")

AS_OF_HELP = "Date the status letters are judged on, YYYY-MM-DD (default today)."
TABLES_HELP = "The table declaration (default: the one shipped in mlsysim/appendix/tables.yaml)."


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _render(tables_file: Path, as_of: str | None) -> dict[str, str]:
    from ..errors import MlsysimError
    from ..zoo.registry import default_zoo
    from .render import render_tables
    from .tables import load_tables

    try:
        date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of must be a date YYYY-MM-DD, got {as_of!r}")
    try:
        return render_tables(load_tables(tables_file), default_zoo(), as_of=date)
    except MlsysimError as exc:
        _fail(str(exc))


def _generated_files(directory: Path) -> list[Path]:
    """Files in ``directory`` that an earlier build wrote (they carry the generated mark)."""
    from .render import FORMATS, GENERATED_MARK

    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix.lstrip(".") in FORMATS:
            with path.open(encoding="utf-8", errors="replace") as handle:
                if GENERATED_MARK in handle.readline():
                    found.append(path)
    return found


@appendix_app.command()
def build(out: Path = typer.Option(..., "--out", help="Folder to write <id>.qmd and <id>.tex into."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
          tables: Path = typer.Option(DECLARATION_FILE, "--tables", help=TABLES_HELP)) -> None:
    """Render every declared table into OUT (and delete generated tables no longer declared)."""
    files = _render(tables, as_of)
    out.mkdir(parents=True, exist_ok=True)
    for stale in _generated_files(out):
        if stale.name not in files:
            stale.unlink()
            typer.echo(f"removed {stale} (no longer declared)")
    for name, text in files.items():
        (out / name).write_bytes(text.encode("utf-8"))
    typer.echo(f"wrote {len(files)} files for {len(files) // 2} tables to {out}")


@appendix_app.command()
def check(directory: Path = typer.Argument(..., help="Folder holding the committed tables."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
          tables: Path = typer.Option(DECLARATION_FILE, "--tables", help=TABLES_HELP)) -> None:
    """Fail (exit 1, with a unified diff) when the tables in DIRECTORY differ from the registry now."""
    if not directory.is_dir():
        _fail(f"{directory} is not a folder; build the tables with "
              f"`mlsysim appendix build --out {directory}`")
    files = _render(tables, as_of)
    rebuild = f"run `mlsysim appendix build --out {directory}` and commit the result"
    problems = []
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path} is missing (table {name.rsplit('.', 1)[0]!r} is declared)")
            continue
        committed = path.read_bytes().decode("utf-8", errors="replace")
        if committed != expected:
            diff = difflib.unified_diff(committed.splitlines(keepends=True),
                                        expected.splitlines(keepends=True),
                                        fromfile=f"{path} (committed)",
                                        tofile=f"{path} (registry now)")
            typer.echo("".join(diff).rstrip("\n"))
            problems.append(f"{path} differs from what the registry renders now")
    for path in _generated_files(directory):
        if path.name not in files:
            problems.append(f"{path} is a generated table that is no longer declared")
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        _fail(f"{len(problems)} appendix table file(s) out of date; {rebuild}")
    typer.echo(f"OK: {len(files)} appendix table files in {directory} match the registry")
