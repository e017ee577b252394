"""``mlsysim appendix render``: render the generated ``.qmd`` tables as a book would.

With a ``quarto`` binary on PATH this is ``quarto render`` on each table (Quarto
runs the hidden check cell in a Jupyter kernel, so a table the installed Zoo no
longer backs stops the render). Without Quarto (its PyPI package downloads a
binary at install, which some machines cannot), the same happens in two real
steps: the Python cells run in a Jupyter kernel through nbclient, then pandoc
renders the Markdown with the cells left out.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .drift import generated_files
from .tables import AppendixError

ENGINES = ("auto", "quarto", "pandoc")
#: Output formats of the pandoc fallback, and the file suffix each writes.
PANDOC_FORMATS = {"html": ".html", "latex": ".tex", "docx": ".docx", "markdown": ".md"}
#: Marks a folder this command rendered into, so a later render may replace its files.
RENDER_MARKER = ".mlsysim-render"
CELL_TIMEOUT_S = 120
#: Pandoc's page is a 36em column; a book page for wide tables is about 60em.
HTML_WIDTH = "header-includes=<style>body { max-width: 60em; }</style>"
FALLBACK_NOTE = ("quarto is not on PATH: running the check cells in a Jupyter kernel and "
                 "rendering with pandoc instead")


class AppendixRenderError(AppendixError):
    """A table that could not be rendered (drift, a failed cell, a missing tool)."""


@dataclass
class RenderReport:
    engine: str
    written: list[Path] = field(default_factory=list)


def choose_engine(engine: str) -> str:
    """``quarto`` or ``pandoc``: ``auto`` takes Quarto when its binary is on PATH."""
    if engine not in ENGINES:
        raise AppendixRenderError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if engine == "quarto" and not shutil.which("quarto"):
        raise AppendixRenderError("--engine quarto: no `quarto` binary on PATH; install Quarto "
                                  "(quarto.org) or use --engine pandoc")
    return engine


def render_tables(directory: Path, *, to: str = "html", out: Path | None = None,
                  engine: str = "auto", say: Callable[[str], None] = lambda line: None) -> RenderReport:
    """Render every generated ``.qmd`` in ``directory`` to ``to``; raises AppendixRenderError.

    ``say`` receives one line when Quarto is missing and the fallback is used."""
    directory = Path(directory)
    if not directory.is_dir():
        raise AppendixRenderError(f"{directory} is not a folder; build the tables with "
                                  f"`mlsysim appendix build --out {directory}`")
    tables = [path for path in generated_files(directory) if path.suffix == ".qmd"]
    if not tables:
        raise AppendixRenderError(f"{directory} holds no generated .qmd tables; build them with "
                                  f"`mlsysim appendix build --out {directory}`")
    chosen = choose_engine(engine)
    if chosen == "pandoc" and engine == "auto":
        say(FALLBACK_NOTE)
    if chosen == "quarto":
        return _render_with_quarto(tables, to)
    return _render_with_pandoc(tables, to, out or directory / "_rendered")


def _render_with_quarto(tables: list[Path], to: str) -> RenderReport:
    report = RenderReport("quarto")
    for table in tables:
        result = subprocess.run(["quarto", "render", table.name, "--to", to], cwd=table.parent,
                                capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise AppendixRenderError(f"quarto render {table.name} failed (exit {result.returncode}): "
                                      + " / ".join(tail))
        report.written.append(table)
    return report


def _render_with_pandoc(tables: list[Path], to: str, out: Path) -> RenderReport:
    if to not in PANDOC_FORMATS:
        raise AppendixRenderError(f"--to {to!r}: without Quarto the tables render to "
                                  f"{', '.join(PANDOC_FORMATS)}")
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise AppendixRenderError("neither quarto nor pandoc is on PATH; install one of them "
                                  "(apt-get install pandoc)")
    _check_out(out)
    report = RenderReport("pandoc")
    for table in tables:
        blocks = _pandoc_ast(pandoc, table)
        cells = [block["c"][1] for block in blocks["blocks"] if _is_python_cell(block)]
        _run_cells(table, cells)
        blocks["blocks"] = [block for block in blocks["blocks"] if not _is_python_cell(block)]
        target = out / (table.stem + PANDOC_FORMATS[to])
        wide = ["-V", HTML_WIDTH] if to == "html" else []
        result = subprocess.run([pandoc, "-f", "json", "-t", to, "-s", "--metadata",
                                 f"title={table.stem}", *wide, "-o", str(target)],
                                input=json.dumps(blocks), capture_output=True, text=True)
        if result.returncode != 0:
            raise AppendixRenderError(f"pandoc could not render {table.name}: "
                                      f"{result.stderr.strip().splitlines()[-1:]}")
        report.written.append(target)
    return report


def _check_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise AppendixRenderError(f"--out {out} is a link or a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / RENDER_MARKER).is_file():
        raise AppendixRenderError(f"--out {out} holds files this command did not write; give a "
                                  "new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / RENDER_MARKER).write_text("Rendered by `mlsysim appendix render`; replaced by the next "
                                     "render.\n", encoding="utf-8")


def _pandoc_ast(pandoc: str, table: Path) -> dict:
    # Quarto's cross-reference label on the caption ({#tbl-id}) is not pandoc syntax.
    text = re.sub(r"^(: .*?) \{#tbl-[a-z0-9-]+\}$", r"\1", table.read_text(encoding="utf-8"),
                  flags=re.M)
    result = subprocess.run([pandoc, "-f", "markdown", "-t", "json"], input=text,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AppendixRenderError(f"pandoc cannot read {table}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def _is_python_cell(block: dict) -> bool:
    # Pandoc reads Quarto's ```{python} fence as a code block whose class is "{python}".
    return block["t"] == "CodeBlock" and "{python}" in block["c"][0][1]


def _run_cells(table: Path, cells: list[str]) -> None:
    """Run a table's Python cells in a fresh Jupyter kernel, as Quarto would."""
    try:
        import nbclient
        import nbformat
    except ImportError:
        raise AppendixRenderError("rendering without Quarto runs the cells with nbclient: "
                                  "pip install 'mlsysim[render]'") from None
    from jupyter_client.manager import KernelManager

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    # Local sockets (IPC) in a private folder: no TCP port is opened for the kernel.
    with tempfile.TemporaryDirectory(prefix="mlsysim-kernel-") as sockets:
        kernel = KernelManager(kernel_name="python3", transport="ipc",
                               ip=str(Path(sockets) / "kernel"))
        client = nbclient.NotebookClient(notebook, km=kernel, timeout=CELL_TIMEOUT_S,
                                         resources={"metadata": {"path": str(table.parent)}})
        try:
            client.execute()
            return
        except nbclient.exceptions.CellExecutionError as exc:
            first_line = str(exc).splitlines()[0]
        finally:
            if kernel.has_kernel:
                kernel.shutdown_kernel(now=False)
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    detail = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else first_line
    raise AppendixRenderError(f"{table.name}: its check cell failed: {detail}")
