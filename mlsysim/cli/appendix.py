"""``mlsysim appendix build|check|render``: write the appendix tables, check committed ones for
drift, or render them as a book would (Quarto, or a Jupyter kernel and pandoc).

Exit codes: 0 success (``check``: the files match the registry), 1 drift,
a missing file, or a declaration or Zoo problem.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from ..appendix.tables import DECLARATION_FILE
from .contract import Output, as_of_date, fail, shown

AS_OF_HELP = "Date the status letters are judged on, YYYY-MM-DD (default today)."
TABLES_HELP = "The table declaration (default: the one shipped in mlsysim/appendix/tables.yaml)."


def _fail(message: str) -> None:
    fail(message, Output.text)


def _date(as_of: str | None) -> dt.date:
    return as_of_date(as_of, Output.text)


def _render(tables_file: Path, as_of: str | None) -> dict[str, str]:
    from ..errors import MlsysimError
    from ..zoo.registry import default_zoo
    from ..appendix.render import render_tables
    from ..appendix.tables import load_tables

    date = _date(as_of)
    try:
        return render_tables(load_tables(tables_file), default_zoo(), as_of=date)
    except MlsysimError as exc:
        _fail(str(exc))


def build(out: Path = typer.Option(..., "--out", help="Folder to write <id>.qmd and <id>.tex into."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
          tables: Path = typer.Option(DECLARATION_FILE, "--tables", help=TABLES_HELP)) -> None:
    """Render every declared table into OUT (and delete generated tables no longer declared)."""
    from ..appendix.drift import generated_files

    files = _render(tables, as_of)
    if out.is_symlink():
        _fail(f"--out {shown(out)} is a symbolic link; give the real folder (the tables are "
              "never written through a link)")
    # Only files an earlier build wrote (they carry the generated mark) are replaced.
    theirs = [out / name for name in files if (out / name).is_symlink() or (
        (out / name).exists() and (out / name) not in generated_files(out))]
    if theirs:
        _fail(f"--out {shown(out)} holds {theirs[0].name}, which mlsysim did not write (no "
              f"generated mark on its first line); move it away or build into another folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in generated_files(out):
            if stale.name not in files:
                stale.unlink()
                typer.echo(f"removed {stale} (no longer declared)")
        for name, text in files.items():
            (out / name).write_bytes(text.encode("utf-8"))
    except OSError as exc:
        why = "it is a file, not a folder" if out.is_file() else exc.strerror or str(exc)
        _fail(f"--out {shown(out)}: cannot write the tables there ({why}); give a folder you "
              "can write to")
    typer.echo(f"wrote {len(files)} files for {len(files) // 2} tables to {out}")


def check(directory: Path = typer.Argument(..., help="Folder holding the committed tables."),
          as_of: Optional[str] = typer.Option(None, "--as-of", help=AS_OF_HELP),
          tables: Path = typer.Option(DECLARATION_FILE, "--tables", help=TABLES_HELP)) -> None:
    """Fail (exit 1, with a unified diff and each changed number) when the tables in DIRECTORY
    differ from what the registry renders now (lineage gate 7)."""
    from ..errors import MlsysimError
    from ..zoo.registry import default_zoo
    from ..appendix.drift import appendix_drift

    try:
        is_folder = directory.is_dir()
    except (OSError, ValueError):
        is_folder = False
    if not is_folder:
        _fail(f"DIRECTORY {shown(directory)} is not a folder; build the tables with "
              "`mlsysim appendix build --out DIRECTORY`")
    try:
        findings, drifts = appendix_drift(directory, default_zoo(), as_of=_date(as_of),
                                          tables_file=tables)
    except MlsysimError as exc:
        _fail(str(exc))
    for drift in drifts:
        typer.echo(drift.diff.rstrip("\n"))
    if findings:
        for finding in findings:
            typer.echo(f"error: {finding.line()}", err=True)
        _fail(f"{len(findings)} appendix difference(s) in {directory}; "
              f"run `mlsysim appendix build --out {directory}` and commit the result")
    typer.echo(f"OK: the appendix tables in {directory} match the registry")


def render(directory: Path = typer.Argument(..., help="Folder holding the generated tables."),
           to: str = typer.Option("html", "--to", help="Output format (without Quarto: html, "
                                  "latex, docx or markdown)."),
           out: Optional[Path] = typer.Option(None, "--out", help="Where the pandoc fallback "
                                              "writes (default DIRECTORY/_rendered)."),
           engine: str = typer.Option("auto", "--engine", help="auto (Quarto when its binary is "
                                      "on PATH), quarto or pandoc.")) -> None:
    """Render the generated .qmd tables as a book would: `quarto render` where Quarto is
    installed, else the check cells in a Jupyter kernel and pandoc. Exit 1 when a table's
    check cell finds that the installed Zoo no longer gives its numbers."""
    from ..appendix.quarto import render_tables
    from ..appendix.tables import AppendixError

    try:
        report = render_tables(directory, to=to, out=out, engine=engine,
                               say=lambda line: typer.echo(line, err=True))
    except AppendixError as exc:
        _fail(str(exc))
    typer.echo(f"rendered {len(report.written)} tables with {report.engine}"
               + (f" into {report.written[0].parent}" if report.engine == "pandoc" else ""))
