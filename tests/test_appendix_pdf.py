"""Every generated LaTeX table, compiled with Debian's TeX in a minimal book-like document:
no errors, no table taller than a page, no box more than a few points too wide; the first
page of each is saved as PNG (pdftoppm) so a person can look at it.

Skips with the reason on a machine without pdflatex or pdftoppm; under CI (CI=true) their
absence fails instead (.ci/run installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import AS_OF, require
from mlsysim.appendix import load_tables
from mlsysim.cli import appendix_app

#: Overfull boxes up to this wide are invisible in print; wider ones fail the test.
OVERFULL_LIMIT_PT = 5.0

#: A standard book text block (the book class at 10pt: 345 pt wide), with what the generated
#: tables say they need in the preamble.
DOCUMENT = r"""\documentclass[10pt]{book}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{booktabs,tabularx,siunitx,float}
\usepackage[hidelinks]{hyperref}
\begin{document}
\chapter{Appendix}
\input{TABLE}
\end{document}
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("appendix")
    result = CliRunner().invoke(appendix_app, ["build", "--out", str(out), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return out


def compile_table(table: Path, workdir: Path) -> tuple[str, Path]:
    """Compile ``table`` twice (for the cross-reference); return (log text, PDF)."""
    require(shutil.which("pdflatex") is not None,
            "pdflatex is not installed (apt-get install texlive-latex-recommended texlive-science lmodern)")
    document = workdir / f"{table.stem}-book.tex"
    document.write_text(DOCUMENT.replace("TABLE", table.as_posix()), encoding="utf-8")
    for _ in range(2):
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
                       cwd=workdir, capture_output=True, timeout=300)
    return (workdir / f"{table.stem}-book.log").read_text(encoding="latin-1"), workdir / f"{table.stem}-book.pdf"


@pytest.mark.parametrize("table_id", [table.id for table in load_tables()])
def test_table_compiles_and_fits_the_text_block(tables, tmp_path, table_id):
    log, pdf = compile_table(tables / f"{table_id}.tex", tmp_path)
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert errors == [] and pdf.is_file(), errors
    overfull = [float(width) for width in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide", log)]
    assert all(width <= OVERFULL_LIMIT_PT for width in overfull), overfull
    assert "Float too large for page" not in log
    assert "Overfull \\vbox" not in log, "a table is taller than the page: it runs off its bottom"
    assert "undefined" not in " ".join(line for line in log.splitlines() if "Warning" in line)
    page = table_page(pdf)
    require(shutil.which("pdftoppm") is not None, "pdftoppm is not installed (apt-get install poppler-utils)")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), str(pdf),
                    str(tmp_path / table_id)], check=True, timeout=120)
    [png] = tmp_path.glob(f"{table_id}*.png")
    assert png.stat().st_size > 10_000, "the table page rendered empty"
    print(f"{table_id}: page {page} of the compiled table is {png}")


def table_page(pdf: Path) -> int:
    """The number of the page that holds the table (its caption, 'Table 1.1:')."""
    require(shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install poppler-utils)")
    for page in range(1, 5):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, timeout=60).stdout
        if "Table 1.1:" in text:
            return page
    raise AssertionError(f"no page of {pdf} shows the table's caption")


def test_the_pdf_text_shows_marks_and_sources(tables, tmp_path):
    require(shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install poppler-utils)")
    _, pdf = compile_table(tables / "hardware-cloud.tex", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"NVIDIA H100 SXM5\s+989\.5\s*V\s+1979\s*V", text), text[:2000]
    assert re.search(r"32\s+GiB", text) and "34.36" not in text
    assert "0.880468" in text.replace(" ", "") and "0.880,468" not in text  # no grouping after the point
    assert "Table 1.1, continued" in text  # a long table goes on over pages, headings repeated
    assert f"Status of each number, as of {AS_OF.isoformat()}" in text
    assert "Sources of Table 1.1:" in text
