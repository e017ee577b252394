"""Appendix tables: rendered from the Zoo into .qmd and .tex, deterministic, with a drift check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlsysim.appendix import DECLARATION_FILE, AppendixError, check_tables, load_tables, table_entries
from mlsysim.cli import appendix_app
from mlsysim.appendix.drift import plain_cell
from mlsysim.formatting import group_digits
from mlsysim.appendix.render import md_escape, tex_escape, wrap_heading
from mlsysim.zoo.registry import Zoo

AS_OF = "2026-12-03"
runner = CliRunner()


def build(out: Path, *extra: str):
    result = runner.invoke(appendix_app, ["build", "--out", str(out), "--as-of", AS_OF, *extra])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("appendix")
    build(out)
    return out


def row_of(text: str, name: str) -> str:
    """The table row of the entry called ``name`` (its note numbers may follow the name)."""
    [line] = [line for line in text.splitlines()
              if re.match(rf"(\| )?{re.escape(name)}(\^[\d,]+\^|\\textsuperscript{{[\d,]+}})? (\||&)", line)]
    return line


def cells_of(text: str, name: str, fmt: str) -> list[str]:
    """The cells of that row as a reader sees them: ``989.5 [V]``, name without note numbers."""
    line = row_of(text, name)
    parts = line.strip().strip("|").split("|") if fmt == "qmd" else line.removesuffix("\\\\").split("&")
    return [plain_cell(part, fmt) for part in parts]


def test_every_declared_table_gives_a_qmd_and_a_tex_file(built):
    ids = [table.id for table in load_tables()]
    assert {"hardware-cloud", "models-language", "models-vision", "infrastructure-grids",
            "literature-training"} <= set(ids)
    assert sorted(p.name for p in built.iterdir()) == sorted(
        f"{table_id}.{fmt}" for table_id in ids for fmt in ("qmd", "tex"))


def test_h100_row_shows_dense_fp16_and_bandwidth_in_the_column_units(built):
    qmd = (built / "hardware-cloud.qmd").read_text(encoding="utf-8")
    assert "| FP16 dense (TFLOP/s) |" in qmd and "| Bandwidth (TB/s) |" in qmd
    h100 = ["NVIDIA H100 SXM5 80GB", "989.5 [V]", "1979 [V]", "80 [V]", "3.35 [V]", "700 [V]"]
    assert cells_of(qmd, "NVIDIA H100 SXM5 80GB", "qmd") == h100
    tex = (built / "hardware-cloud.tex").read_text(encoding="utf-8")
    assert cells_of(tex, "NVIDIA H100 SXM5 80GB", "tex") == h100
    # Each cell carries its own status: the T4's FP16 peak cites an unchecked page, its memory
    # a checked board document.
    assert cells_of(qmd, "NVIDIA T4", "qmd")[1:4] == ["65 [U]", "—", "16 [V]"]


def test_sources_are_numbered_notes_with_their_full_titles(built):
    qmd = (built / "hardware-cloud.qmd").read_text(encoding="utf-8")
    [number] = re.findall(r"^\| NVIDIA H100 SXM5 80GB\^(\d+)\^ \|", qmd, flags=re.M)
    [note] = [line for line in qmd.splitlines() if line.startswith(f"{number}. [")]
    assert note.startswith(f"{number}. [NVIDIA H100 product page, specifications table, H100 SXM "
                           "column (text copy committed as evidence in ewyluda/macrogauge, retrieved "
                           "2026-10-08)](https://www.nvidia.com/en-us/data-center/h100/) (read in "
                           "[a copy](https://github.com/ewyluda/macrogauge/")
    assert "…" not in qmd
    tex = (built / "hardware-cloud.tex").read_text(encoding="utf-8")
    assert f"\\textsuperscript{{{number}}}\\,NVIDIA H100 product page, specifications table" in tex
    assert "\\noindent Sources of Table~\\ref{tbl:hardware-cloud}:" in tex


def test_binary_capacities_keep_their_unit(built):
    # TPU v4 has 32 GiB of HBM: a GB column shows it as 32 GiB, not 34.36 GB.
    for fmt in ("qmd", "tex"):
        text = (built / f"hardware-cloud.{fmt}").read_text(encoding="utf-8")
        assert cells_of(text, "Google Cloud TPU v4", fmt)[3] == "32 GiB [V]"


def test_large_numbers_are_grouped_and_years_are_not(built):
    qmd = (built / "models-language.qmd").read_text(encoding="utf-8")
    assert cells_of(qmd, "Llama 3.1 70B", "qmd")[-1] == "131,072 [C]"  # context: a convention
    tex = (built / "models-language.tex").read_text(encoding="utf-8")
    assert "group-separator={,}, group-minimum-digits=5" in tex
    grids = (built / "infrastructure-grids.qmd").read_text(encoding="utf-8")
    assert re.search(r"\| 20\d\d\^[A-Z]\^ \|", grids), "data years print without a separator"
    assert [group_digits(n) for n in ("2023", "131072", "-12345.678", "0.5")] == [
        "2023", "131,072", "-12,345.678", "0.5"]


def test_missing_fields_render_as_an_em_dash(built):
    # The A100 lists no fp8 peak; the TPU v5p lists no fp16 peak and no TDP.
    qmd = (built / "hardware-cloud.qmd").read_text(encoding="utf-8")
    assert cells_of(qmd, "NVIDIA A100 SXM4 80GB", "qmd")[2] == "—"
    tex = (built / "hardware-cloud.tex").read_text(encoding="utf-8")
    assert cells_of(tex, "Google Cloud TPU v5p", "tex")[1:3] == ["---", "459 [V]"]


def test_every_number_has_a_status_mark_and_the_legend_lists_the_marks_used(built):
    for table in load_tables():
        for fmt in ("qmd", "tex"):
            text = (built / f"{table.id}.{fmt}").read_text(encoding="utf-8")
            marks = set()
            for line in text.splitlines():
                if line.startswith("| ") and not line.startswith(f"| {table.name_label} |") or \
                        fmt == "tex" and "\\zoomark{" in line and "&" in line:
                    parts = line.strip().strip("|").split("|") if fmt == "qmd" else line.split("&")
                    for cell in parts[1:]:
                        shown = plain_cell(cell.removesuffix("\\\\"), fmt)
                        assert shown in ("—", "---") or re.fullmatch(r"[-\d.,]+(–[-\d.,]+)?( \w+)? \[[A-Z]\]", shown), \
                            (table.id, fmt, shown)
                        marks.update(re.findall(r"\[([A-Z])\]", shown))
            legend = set(re.findall(r"\^([A-Z])\^ \w+, " if fmt == "qmd" else
                                    r"\\textsuperscript\{([A-Z])\}\\,\w+, ", text))
            assert marks and marks == legend, (table.id, fmt)


def test_qmd_has_a_quarto_caption_and_a_legend_in_words(built):
    qmd = (built / "models-language.qmd").read_text(encoding="utf-8")
    assert "\n: Language models: size and architecture {#tbl-models-language}\n" in qmd
    assert "^D^ Derived, computed from other Zoo numbers, which it names" in qmd
    assert "Status of each number, as of 2026-12-03:" in qmd


def test_tex_uses_booktabs_tabularx_siunitx_and_a_legend(built):
    tex = (built / "models-language.tex").read_text(encoding="utf-8")
    for piece in ("\\toprule", "\\midrule", "\\bottomrule", "\\caption{Language models: size and architecture}",
                  "\\label{tbl:models-language}", "Status of each number, as of 2026-12-03:",
                  "\\textsuperscript{D}\\,Derived, computed from other Zoo numbers",
                  "\\begin{tabularx}{\\linewidth}", "\\tablenum[table-format="):
        assert piece in tex
    assert tex.index("\\begin{table}") < tex.index("\\begin{tabularx}") < tex.index("\\end{table}")


def test_headings_wrap_at_word_boundaries_with_the_unit_last():
    assert wrap_heading("Carbon intensity", "gCO2e/kWh") == ("Carbon", "intensity", "(gCO2e/kWh)")
    assert wrap_heading("FP16 dense", "TFLOP/s") == ("FP16 dense", "(TFLOP/s)")
    assert wrap_heading("Layers", None) == ("Layers",)


def test_rows_can_be_sorted_by_a_field_or_listed_explicitly(tmp_path):
    zoo = Zoo()
    [language] = [t for t in load_tables() if t.id == "models-language"]
    sizes = [entry.parameters for entry, _ in table_entries(language, zoo)]
    assert sizes == sorted(sizes)
    declaration = tmp_path / "tables.yaml"
    declaration.write_text(yaml.safe_dump({"tables": [{
        "id": "two-gpus", "caption": "Two GPUs",
        "rows": {"entries": ["Hardware.Cloud.H200", "Hardware.Cloud.A100"]},
        "columns": [{"field": "memory.capacity", "label": "Memory", "unit": "GB"}]}]}))
    [table] = load_tables(declaration)
    assert [entry.path for entry, _ in table_entries(table, zoo)] == [
        "Hardware.Cloud.H200", "Hardware.Cloud.A100"]


def test_two_builds_are_byte_identical(built, tmp_path):
    build(tmp_path)
    for path in built.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_check_passes_on_a_fresh_build(built):
    result = runner.invoke(appendix_app, ["check", str(built), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_check_fails_with_a_diff_naming_the_edited_line(tmp_path):
    build(tmp_path)
    table = tmp_path / "hardware-cloud.qmd"
    original = row_of(table.read_text(encoding="utf-8"), "NVIDIA H100 SXM5 80GB")
    edited = original.replace("| 3.35^V^ |", "| 3.5^V^ |")
    assert edited != original
    table.write_text(table.read_text(encoding="utf-8").replace(original, edited), encoding="utf-8")
    result = runner.invoke(appendix_app, ["check", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert f"--- {table} (committed)" in result.output
    assert f"\n-{edited}\n" in result.output and f"\n+{original}\n" in result.output
    assert "appendix build --out" in result.output
    line = table.read_text(encoding="utf-8").splitlines().index(edited) + 1
    assert (f"Hardware.Cloud.H100.memory.bandwidth: [appendix-drift] hardware-cloud.qmd line "
            f"{line} shows '3.5 [V]' where the registry gives '3.35 [V]'") in result.output


def test_check_names_the_number_in_a_latex_table(tmp_path):
    build(tmp_path)
    table = tmp_path / "models-language.tex"
    text = table.read_text(encoding="utf-8")
    original = row_of(text, "Llama 3.1 70B")
    edited = re.sub(r"\]\{80\}", "]{81}", original, count=1)
    assert edited != original
    table.write_text(text.replace(original, edited), encoding="utf-8")
    result = runner.invoke(appendix_app, ["check", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert ("Models.Language.Llama3_70B.layers: [appendix-drift] models-language.tex line "
            in result.output)
    assert re.search(r"shows '81 \[[A-Z]\]' where the registry gives '80 \[[A-Z]\]'", result.output)


def test_check_reports_edits_outside_the_numbers(tmp_path):
    build(tmp_path)
    table = tmp_path / "models-vision.qmd"
    table.write_text(table.read_text(encoding="utf-8").replace("Status of each number", "Status of every number"),
                     encoding="utf-8")
    result = runner.invoke(appendix_app, ["check", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "models-vision.qmd: [appendix-drift] differs from the registry's render outside the " \
        "numbers" in result.output


def test_check_fails_when_a_table_file_is_missing(tmp_path):
    build(tmp_path)
    (tmp_path / "models-vision.tex").unlink()
    result = runner.invoke(appendix_app, ["check", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "models-vision.tex: [appendix-drift] missing (table 'models-vision' is declared)" \
        in result.output


def test_build_removes_generated_tables_that_are_no_longer_declared(tmp_path):
    out = tmp_path / "out"
    build(out)
    declaration = tmp_path / "tables.yaml"
    raw = yaml.safe_load(DECLARATION_FILE.read_text(encoding="utf-8"))
    raw["tables"] = [t for t in raw["tables"] if t["id"] != "models-vision"]
    declaration.write_text(yaml.safe_dump(raw), encoding="utf-8")
    args = ["--as-of", AS_OF, "--tables", str(declaration)]
    stale = runner.invoke(appendix_app, ["check", str(out), *args])
    assert stale.exit_code == 1
    assert "models-vision.qmd: [appendix-drift] a generated table that is no longer declared" \
        in stale.output
    (out / "notes.qmd").write_text("hand-written\n", encoding="utf-8")
    build(out, "--tables", str(declaration))
    assert not (out / "models-vision.qmd").exists() and (out / "notes.qmd").exists()
    assert runner.invoke(appendix_app, ["check", str(out), *args]).exit_code == 0


def write_declaration(tmp_path: Path, **table) -> Path:
    base = {"id": "broken", "caption": "A broken table", "rows": {"group": "Hardware.Cloud"},
            "columns": [{"field": "memory.capacity", "label": "Memory", "unit": "GB"}]}
    path = tmp_path / "tables.yaml"
    path.write_text(yaml.safe_dump({"tables": [{**base, **table}]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("table, named", [
    ({"rows": {"group": "Hardware.Clouds"}}, "'Hardware.Clouds'"),
    ({"rows": {"entries": ["Hardware.Cloud.H100", "Hardware.Cloud.H900"]}}, "'Hardware.Cloud.H900'"),
    ({"columns": [{"field": "memory.bandwith", "label": "BW", "unit": "TB/s"}]}, "'memory.bandwith'"),
])
def test_unknown_registry_paths_fail_naming_table_and_path(tmp_path, table, named):
    declaration = write_declaration(tmp_path, **table)
    with pytest.raises(AppendixError, match="table 'broken'") as error:
        check_tables(load_tables(declaration), Zoo())
    assert named in str(error.value)
    result = runner.invoke(appendix_app, ["build", "--out", str(tmp_path / "out"),
                                          "--tables", str(declaration)])
    assert result.exit_code == 1
    assert "table 'broken'" in result.output and named in result.output


@pytest.mark.parametrize("table, problem", [
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ({"columns": [{"field": "memory.capacity", "label": "Memory", "unit": "furlongs"}]}, "columns.0.unit"),
    ({"rows": {"group": "Hardware.Cloud", "entries": ["Hardware.Cloud.H100"]}}, "exactly one of"),
    ({"id": "Bad Id"}, "id:"),
])
def test_invalid_declarations_fail_naming_the_table(tmp_path, table, problem):
    with pytest.raises(AppendixError, match=re.escape(problem)) as error:
        load_tables(write_declaration(tmp_path, **table))
    assert "table '" in str(error.value)


def test_a_column_unit_of_the_wrong_dimension_is_reported(tmp_path):
    declaration = write_declaration(tmp_path, columns=[{"field": "memory.capacity", "label": "M",
                                                        "unit": "W"}])
    result = runner.invoke(appendix_app, ["build", "--out", str(tmp_path / "out"),
                                          "--tables", str(declaration)])
    assert result.exit_code == 1
    assert "Hardware.Cloud.A100.memory.capacity is 80 GB" in result.output


def test_latex_escaping():
    assert tex_escape("R&D_x") == r"R\&D\_x"
    assert tex_escape(r"50% $5 #1 {a} ~ ^ \ x") == (
        r"50\% \$5 \#1 \{a\} \textasciitilde{} \textasciicircum{} \textbackslash{} x")
    assert md_escape("a|b_c [d]") == r"a\|b\_c \[d\]"
    # A newline in registry text would end a table row: cells are one line.
    assert tex_escape("two\nlines\r\n") == "two lines"
    assert md_escape("a\n| b <i>&amp;") == r"a \| b \<i\>\&amp;"
    # Straight quotes become opening and closing quotes; symbols pdflatex lacks are spelled out.
    assert tex_escape('Intel, "Gaudi 3" and \'MI300\' 5×4 ≈ 20 µs — x') == (
        "Intel, ``Gaudi 3'' and `MI300' 5\\texttimes{}4 \\ensuremath{\\approx} 20 \\textmu{}s --- x")


def pandoc() -> str:
    exe = shutil.which("pandoc")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pandoc is not installed, and CI must check the appendix tables with it")
        pytest.skip("pandoc is not installed")
    return exe


def test_pandoc_reads_each_qmd_as_a_table_with_one_row_per_entry(built):
    exe, zoo = pandoc(), Zoo()
    for table in load_tables():
        html = subprocess.run([exe, "-f", "markdown", "-t", "html", str(built / f"{table.id}.qmd")],
                              capture_output=True, text=True, check=True).stdout
        assert html.count("<table") == 1, table.id
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert body.count("<tr") == len(table_entries(table, zoo)), table.id
        assert "<caption>" in html and table.caption.split(":")[0] in html


def test_check_of_a_missing_folder_says_how_to_build_it(tmp_path):
    result = runner.invoke(appendix_app, ["check", str(tmp_path / "nowhere"), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "is not a folder" in result.output and "appendix build --out" in result.output


# -- the .qmd check cell, run in a real Jupyter kernel --------------------------------

def python_cells(exe: str, qmd: Path) -> list[str]:
    """The Python code blocks of a .qmd, as pandoc reads them (```{python} fences)."""
    import json

    ast = json.loads(subprocess.run([exe, "-f", "markdown", "-t", "json", str(qmd)],
                                    capture_output=True, text=True, check=True).stdout)
    return [block["c"][1] for block in ast["blocks"]
            if block["t"] == "CodeBlock" and "{python}" in block["c"][0][1]]


def run_in_kernel(sources: list[str]):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is a test dependency (.[test])")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is a test dependency (.[test])")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     allow_errors=True, resources={"metadata": {"path": "."}})
    client.execute()
    return [[o for o in cell.outputs if o.output_type == "error"] for cell in notebook.cells]


def test_qmd_check_cells_run_in_a_jupyter_kernel(built):
    exe = pandoc()
    cells = []
    for table in load_tables():
        [cell] = python_cells(exe, built / f"{table.id}.qmd")
        assert cell.startswith("#| label: check-") and "#| echo: false\n#| output: false" in cell
        assert f'"id":"{table.id}"' in cell and f'as_of="{AS_OF}", digest="' in cell
        assert "tables.yaml" not in cell  # the cell carries the declaration, not a file path
        cells.append(cell)
    assert run_in_kernel(cells) == [[] for _ in cells]


def test_qmd_check_cell_stops_the_render_when_the_zoo_moved_on(zoo_data, tmp_path):
    # Tables rendered from a Zoo whose H100 bandwidth differs from the installed one.
    import datetime as dt

    from mlsysim.appendix.render import render_tables

    file = zoo_data / "Hardware" / "Cloud" / "H100.yaml"
    file.write_text(file.read_text(encoding="utf-8").replace("bandwidth: 3.35 TB/s", "bandwidth: 3.9 TB/s"),
                    encoding="utf-8")
    qmd = tmp_path / "hardware-cloud.qmd"
    tables = [t for t in load_tables() if t.id in ("hardware-cloud", "models-vision")]
    files = render_tables(tables, Zoo(zoo_data), as_of=dt.date.fromisoformat(AS_OF))
    qmd.write_text(files["hardware-cloud.qmd"], encoding="utf-8")
    vision = tmp_path / "models-vision.qmd"
    vision.write_text(files["models-vision.qmd"], encoding="utf-8")
    exe = pandoc()
    changed, unchanged = run_in_kernel(python_cells(exe, qmd) + python_cells(exe, vision))
    assert unchanged == []  # the vision table does not show the H100: it still matches
    [error] = changed
    assert error.ename == "AppendixDriftError"
    assert "appendix table 'hardware-cloud' (rendered as of 2026-12-03) no longer matches the " \
        "installed mlsysim Zoo" in error.evalue
    assert "mlsysim appendix check DIR --as-of 2026-12-03" in error.evalue


def test_check_table_rejects_bad_arguments_and_unrenderable_tables():
    from mlsysim.appendix import AppendixDriftError, check_table
    from mlsysim.appendix.render import table_json

    [table] = [t for t in load_tables() if t.id == "hardware-cloud"]
    with pytest.raises(AppendixError, match="as_of must be a date YYYY-MM-DD, got 'today'"):
        check_table(table_json(table), as_of="today", digest="0" * 16)
    with pytest.raises(AppendixError, match="the table declaration is not valid"):
        check_table('{"id": "hardware-cloud"}', as_of=AS_OF, digest="0" * 16)
    gone = table.model_copy(update={"rows": table.rows.model_copy(update={"group": "Hardware.Clouds"})})
    with pytest.raises(AppendixDriftError, match="'hardware-cloud' can no longer be rendered"):
        check_table(table_json(gone), as_of=AS_OF, digest="0" * 16)


def test_check_does_not_depend_on_how_the_declaration_is_named(tmp_path, monkeypatch):
    # Built with a relative --tables path, checked with the absolute one: no drift.
    monkeypatch.chdir(tmp_path)
    shutil.copy(DECLARATION_FILE, tmp_path / "my-tables.yaml")
    build(Path("committed"), "--tables", "my-tables.yaml")
    result = runner.invoke(appendix_app, ["check", "committed", "--as-of", AS_OF,
                                          "--tables", str(tmp_path / "my-tables.yaml")])
    assert result.exit_code == 0, result.output


def test_check_finds_a_number_on_a_later_page_of_a_long_latex_table(tmp_path):
    """A table longer than a page is set as one float per page; drift on the last is found."""
    build(tmp_path)
    table = tmp_path / "hardware-cloud.tex"
    text = table.read_text(encoding="utf-8")
    assert text.count("\\begin{table}[H]") >= 2 and "continued}" in text
    original = row_of(text, "AWS Trainium2")
    assert text.index(original) > text.index("continued}")
    edited = re.sub(r"\]\{667\}", "]{668}", original, count=1)
    assert edited != original
    table.write_text(text.replace(original, edited), encoding="utf-8")
    result = runner.invoke(appendix_app, ["check", str(tmp_path), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "Hardware.Cloud.Trainium2.compute.peak.fp16.dense: [appendix-drift] hardware-cloud.tex" in result.output
