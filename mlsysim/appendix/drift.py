"""Gate 7, appendix drift: committed tables that no longer match what the registry renders.

:func:`appendix_drift` compares a folder of committed ``.qmd``/``.tex`` files
with a fresh render and names each number that changed (``Hardware.Cloud.H100.memory.bandwidth:
hardware-cloud.qmd line 14 shows 3.0 where the registry gives 3.35``), so the
site build and ``mlsysim appendix check`` report drift the way the other gates
do. :func:`check_table` is what the hidden Python cell of a generated ``.qmd``
runs, so rendering the book with Quarto stops when the installed Zoo has moved on.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .render import FORMATS, GENERATED_MARK, TableView, render_views, view_digest
from .tables import DECLARATION_FILE, AppendixError, load_tables

if TYPE_CHECKING:
    from ..lineage.finding import Finding
    from ..zoo.registry import Zoo

GATE = "appendix-drift"

#: Where the data rows of a table sit, per format: after a line matching `start`, before the
#: next line matching `end` (a LaTeX table longer than a page has one such block per page);
#: cells are split on unescaped separators.
_ROW_BLOCK = {
    "qmd": (re.compile(r"^\|:---"), re.compile(r"^(: |\s*$)"), re.compile(r"(?<!\\)\|")),
    "tex": (re.compile(r"^\\midrule"), re.compile(r"^\\bottomrule"), re.compile(r"(?<!\\)&")),
}


class AppendixDriftError(AppendixError):
    """A rendered table whose numbers the installed Zoo no longer gives."""


@dataclass(frozen=True)
class FileDrift:
    """One committed file that differs from the registry's render, with its diff."""

    path: Path
    diff: str


def generated_files(directory: Path) -> list[Path]:
    """Files in ``directory`` that an earlier build wrote (they carry the generated mark)."""
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and not path.is_symlink() and path.suffix.lstrip(".") in FORMATS:
            with path.open(encoding="utf-8", errors="replace") as handle:
                if GENERATED_MARK in handle.readline():
                    found.append(path)
    return found


def appendix_drift(directory: Path, zoo: "Zoo", *, as_of: dt.date,
                   tables_file: Path = DECLARATION_FILE) -> tuple[list["Finding"], list[FileDrift]]:
    """(findings naming each drifted number, per-file unified diffs) for the tables in ``directory``.

    Raises AppendixError when the declaration itself is broken.
    """
    from ..lineage.finding import Finding

    directory = Path(directory)
    fix = (f"run `mlsysim appendix build --out {directory}` and commit the result "
           f"(`mlsysim appendix check {directory}` shows the diff)")
    if not directory.is_dir():
        return [Finding(str(directory), GATE, "the committed appendix folder does not exist",
                        f"build the tables with `mlsysim appendix build --out {directory}`, or fix "
                        "the folder given with --appendix or in [tool.mlsysim.site] appendix")], []
    rendered = render_views(load_tables(tables_file), zoo, as_of=as_of)
    findings: list[Finding] = []
    drifts: list[FileDrift] = []
    expected_names = set()
    for view, files in rendered:
        for name, expected in files.items():
            expected_names.add(name)
            path = directory / name
            if not path.is_file():
                findings.append(Finding(str(path), GATE, f"missing (table {view.table.id!r} is declared)",
                                        fix))
                continue
            committed = path.read_bytes().decode("utf-8", errors="replace")
            if committed == expected:
                continue
            diff = "".join(difflib.unified_diff(
                committed.splitlines(keepends=True), expected.splitlines(keepends=True),
                fromfile=f"{path} (committed)", tofile=f"{path} (registry now)"))
            drifts.append(FileDrift(path, diff))
            found = _row_findings(path, view, committed, expected, fix)
            findings.extend(found or [Finding(
                str(path), GATE, "differs from the registry's render outside the numbers "
                "(header, caption, legend or check cell)", fix)])
    for path in generated_files(directory):
        if path.name not in expected_names:
            findings.append(Finding(str(path), GATE, "a generated table that is no longer declared",
                                    fix.replace("and commit", "(it deletes undeclared tables) and commit")))
    return findings, drifts


def _row_findings(path: Path, view: TableView, committed: str, expected: str,
                  fix: str) -> list["Finding"]:
    """One finding per differing cell, named by the number's registry path."""
    from ..lineage.finding import Finding

    fmt = path.suffix.lstrip(".")
    mine = _rows(committed, fmt)
    theirs = _rows(expected, fmt)
    by_name = {cells[0]: (number, cells) for number, cells in mine}
    found = []
    fields = [column.field for column in view.table.columns]
    for row, (_, cells) in zip(view.rows, theirs):
        if cells[0] not in by_name:
            found.append(Finding(row.path, GATE, f"{path.name}: the row {row.name!r} is missing", fix))
            continue
        line, shown = by_name.pop(cells[0])
        for field, was, now in zip(fields, shown[1:], cells[1:]):
            if was != now:
                number = row.path if field == "value" else f"{row.path}.{field}"
                found.append(Finding(number, GATE, f"{path.name} line {line} shows {was!r} where "
                                     f"the registry gives {now!r}", fix))
        if len(shown) != len(cells):
            found.append(Finding(row.path, GATE, f"{path.name} line {line} has {len(shown) - 1} "
                                 f"columns where the table has {len(cells) - 1}", fix))
    for name, (line, _) in by_name.items():
        found.append(Finding(str(path), GATE, f"line {line}: the row {name!r} is not in the "
                             "registry's table", fix))
    return found


def _rows(text: str, fmt: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each data row; the first cell is the entry's name."""
    start, end, separator = _ROW_BLOCK[fmt]
    rows, inside = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if not inside:
            inside = bool(start.match(line))
            continue
        if end.match(line):
            if fmt == "tex":  # a long table goes on in another float (one per page)
                inside = False
                continue
            break
        body = line.strip()
        if fmt == "qmd":
            body = body.strip("|")
        else:
            body = body.removesuffix("\\\\")
        rows.append((number, [plain_cell(cell, fmt) for cell in separator.split(body)]))
    return rows


#: Table markup around a cell's number, stripped to name what a reader sees: the number, its
#: own unit and its status mark in brackets ("32 GiB [V]"); note numbers after row names go.
_CELL_MARKUP = {
    "tex": ((re.compile(r"\\tablenum\[[^\]]*\]\{([^}]*)\}"), r"\1"),
            (re.compile(r"\\num\{([^}]*)\}--\\num\{([^}]*)\}"), r"\1–\2"),  # a range
            (re.compile(r"\\zoomark\{\}"), ""), (re.compile(r"\\zoomark\{(\w+)\}"), r" [\1]"),
            (re.compile(r"\\textsuperscript\{[\d,]+\}"), ""), (re.compile(r"\\,"), " ")),
    "qmd": ((re.compile(r"\^([A-Z?])\^"), r" [\1]"), (re.compile(r"\^[\d,]+\^"), "")),
}


def plain_cell(cell: str, fmt: str) -> str:
    """A table cell without its layout markup: ``\\tablenum[...]{989.5}\\zoomark{V}`` and
    ``989.5^V^`` are both ``989.5 [V]``."""
    text = cell.strip()
    for pattern, replacement in _CELL_MARKUP[fmt]:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def check_table(table: str, *, as_of: str, digest: str) -> None:
    """Raise AppendixDriftError unless the installed Zoo renders ``table`` (its declaration as
    JSON) as of ``as_of`` exactly as the document that calls this was rendered.

    Every generated ``.qmd`` calls this from a hidden cell, so ``quarto render``
    stops on a table the installed mlsysim no longer backs, instead of printing it.
    """
    from pydantic import ValidationError

    from ..lineage.policy import FreshnessPolicy
    from ..zoo.registry import default_zoo
    from .render import build_view
    from .tables import Table

    try:
        date = dt.date.fromisoformat(as_of)
    except ValueError:
        raise AppendixError(f"check_table: as_of must be a date YYYY-MM-DD, got {as_of!r}") from None
    try:
        declared = Table.model_validate_json(table)
    except ValidationError as exc:
        raise AppendixError(f"check_table: the table declaration is not valid ({exc.error_count()} "
                            "problem(s)); rebuild the table with `mlsysim appendix build`") from None
    try:
        view = build_view(declared, default_zoo(), as_of=date, policy=FreshnessPolicy.load())
    except AppendixError as exc:
        raise AppendixDriftError(f"appendix table {declared.id!r} can no longer be rendered from the "
                                 f"installed mlsysim Zoo: {exc}") from None
    if view_digest(view) != digest:
        raise AppendixDriftError(
            f"appendix table {declared.id!r} (rendered as of {as_of}) no longer matches the "
            f"installed mlsysim Zoo: some number, status or source changed. Run "
            f"`mlsysim appendix check DIR --as-of {as_of}` to see which, then "
            "`mlsysim appendix build --out DIR` and commit the result")
