"""``mlsysim appendix render``: the generated .qmd tables rendered as a book would.

Quarto cannot be installed here (its PyPI package downloads a binary), so the real-Quarto
test runs only where a ``quarto`` binary is on PATH and skips with that reason elsewhere.
The wrapper's command line is checked with a stand-in script on PATH, and the fallback
(check cells in a real Jupyter kernel, then pandoc) runs for real.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import AS_OF, require
from mlsysim.appendix import load_tables
from mlsysim.cli import appendix_app

runner = CliRunner()


def build(out: Path) -> Path:
    result = runner.invoke(appendix_app, ["build", "--out", str(out), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return out


def render(*args: str):
    return runner.invoke(appendix_app, ["render", *args])


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("tables"))


@pytest.fixture(scope="module")
def rendered(tables) -> Path:
    require(shutil.which("pandoc") is not None, "pandoc is not installed (apt-get install pandoc)")
    result = render(str(tables), "--engine", "pandoc")
    assert result.exit_code == 0, result.output
    assert f"rendered {len(load_tables())} tables with pandoc" in result.stdout
    return tables / "_rendered"


def test_without_quarto_the_cells_run_and_pandoc_renders_every_table(rendered):
    for table in load_tables():
        html = (rendered / f"{table.id}.html").read_text(encoding="utf-8")
        assert html.count("<table") == 1, table.id
        assert "check_table" not in html and "{python}" not in html, "the check cell is hidden"
        assert "{#tbl-" not in html
        assert re.search(r"<sup>[A-Z]</sup>", html), "status marks are superscripts"


def test_a_table_the_zoo_no_longer_backs_stops_the_render(tmp_path):
    require(shutil.which("pandoc") is not None, "pandoc is not installed (apt-get install pandoc)")
    tables = build(tmp_path / "tables")
    qmd = tables / "models-vision.qmd"
    qmd.write_text(re.sub(r'digest="[0-9a-f]+"', 'digest="0000000000000000"', qmd.read_text()))
    result = render(str(tables), "--engine", "pandoc")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: models-vision.qmd: its check cell failed: AppendixDriftError: "
                           "appendix table 'models-vision'")
    assert "mlsysim appendix check" in line


def stand_in_quarto(folder: Path, exit_code: int) -> Path:
    """A ``quarto`` on PATH that logs how it was called (and from where) and exits."""
    folder.mkdir()
    script = folder / "quarto"
    script.write_text("#!/bin/sh\n"
                      f'echo "$(pwd) $*" >> "{folder}/calls.log"\n'
                      + ('echo "ERROR: the check cell raised AppendixDriftError" >&2\n' if exit_code else "")
                      + f"exit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def test_with_quarto_on_path_each_table_is_quarto_rendered(tables, tmp_path, monkeypatch):
    bin_dir = stand_in_quarto(tmp_path / "bin", 0)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = render(str(tables))
    assert result.exit_code == 0, result.output
    assert f"rendered {len(load_tables())} tables with quarto" in result.stdout and "not on PATH" not in result.output
    calls = (bin_dir / "calls.log").read_text().splitlines()
    assert sorted(calls) == sorted(f"{tables} render {t.id}.qmd --to html" for t in load_tables())


def test_a_failed_quarto_render_is_one_line_with_quartos_reason(tables, tmp_path, monkeypatch):
    bin_dir = stand_in_quarto(tmp_path / "bin", 1)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = render(str(tables), "--to", "pdf")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert re.match(r"error: quarto render [a-z-]+\.qmd failed \(exit 1\): ERROR: the check cell "
                    r"raised AppendixDriftError$", line), line


@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="no quarto binary on PATH (Quarto's PyPI package downloads its binary "
                           "at install, which this machine cannot); the stand-in tests above check "
                           "the wrapper")
def test_real_quarto_renders_a_table_and_stops_on_drift(tmp_path):
    tables = build(tmp_path / "tables")
    assert render(str(tables), "--engine", "quarto").exit_code == 0
    qmd = tables / "models-vision.qmd"
    qmd.write_text(re.sub(r'digest="[0-9a-f]+"', 'digest="0000000000000000"', qmd.read_text()))
    assert render(str(tables), "--engine", "quarto").exit_code == 1


@pytest.mark.parametrize("args, message", [
    (["--engine", "quarto"], "no `quarto` binary on PATH"),
    (["--engine", "nope"], "--engine must be one of auto, quarto, pandoc, got 'nope'"),
    (["--engine", "pandoc", "--to", "pdf"], "without Quarto the tables render to html, latex"),
])
def test_bad_render_options_are_one_line(tables, args, message, monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                                if not (Path(p) / "quarto").exists()))
    result = render(str(tables), *args)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line


def test_render_writes_only_into_its_own_folder(tables, tmp_path):
    require(shutil.which("pandoc") is not None, "pandoc is not installed (apt-get install pandoc)")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.html").write_text("mine")
    result = render(str(tables), "--engine", "pandoc", "--out", str(mine))
    assert result.exit_code == 1 and "holds files this command did not write" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.html"]
    empty = render(str(tmp_path / "nothing-here"))
    assert empty.exit_code == 1 and "appendix build --out" in empty.stderr
