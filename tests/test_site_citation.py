"""Citing a Zoo source: one BibTeX entry and one CSL-JSON item per source record, on its page
and in sources.bib / sources.csl.json, parsed by pandoc the way a book's build reads them."""

import datetime as dt
import json
import shutil
import subprocess

import pytest

from conftest import require
from mlsysim.provenance import Provenance
from mlsysim.site.citation import bibliography, bibtex_entry, citation_key, csl_item

HOSTILE = Provenance(kind="datasheet", ref='Vendor "X" {brace} 50% & \\input{secret} @misc{x,',
                     url="https://example.com/spec?a=1&b={2}", verified=dt.date(2026, 12, 3))


def pandoc_items(bib: str, tmp_path) -> list[dict]:
    exe = shutil.which("pandoc")
    require(exe is not None, "pandoc is not installed (apt-get install pandoc)")
    path = tmp_path / "sources.bib"
    path.write_text(bib, encoding="utf-8")
    out = subprocess.run([exe, str(path), "-f", "bibtex", "-t", "csljson"], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return json.loads(out)


RECORD = Provenance(kind="literature", ref="Kaplan et al., Scaling Laws",
                    url="https://arxiv.org/abs/2001.08361", verified=dt.date(2026, 11, 22))


def test_entry_fields_hand_worked():
    record = RECORD
    assert bibtex_entry("kaplan-2020", record) == (
        "@misc{mlsysim-kaplan-2020,\n"
        "  title = {{Kaplan et al., Scaling Laws}},\n"
        "  key = {mlsysim-kaplan-2020},\n"
        "  howpublished = {\\url{https://arxiv.org/abs/2001.08361}},\n"
        "  url = {https://arxiv.org/abs/2001.08361},\n"
        "  urldate = {2026-11-22},\n"
        "  note = {literature, cited by the mlsysim Zoo; values checked against it on 2026-11-22}\n"
        "}\n")
    item = csl_item("kaplan-2020", record)
    assert item["type"] == "article" and item["accessed"] == {"date-parts": [[2026, 11, 22]]}
    assert citation_key("a b/c") == "mlsysim-a-b-c"


def test_hostile_title_stays_one_entry_with_its_text(tmp_path):
    """Braces are spelled \\textbraceleft{}/\\textbraceright{} (BibTeX counts an escaped brace
    too, so a lone one would end the field): LaTeX prints them, pandoc's reader drops them,
    and the CSL-JSON keeps the text exactly."""
    items = pandoc_items(bibliography([("x", HOSTILE), ("y", HOSTILE)]), tmp_path)
    assert [item["id"] for item in items] == ["mlsysim-x", "mlsysim-y"]
    assert items[0]["title"].replace("“", '"').replace("”", '"') == \
        'Vendor "X" brace 50% & \\inputsecret @miscx,'
    assert items[0]["URL"] == "https://example.com/spec?a=1&b=%7B2%7D"
    assert csl_item("x", HOSTILE)["title"] == HOSTILE.ref


def test_bibtex_and_pdflatex_typeset_every_entry(tmp_path):
    """The file a LaTeX book would use: bibtex reads it without an error and pdflatex sets
    every entry, hostile text included, literally."""
    for tool in ("pdflatex", "bibtex", "pdftotext"):
        require(shutil.which(tool) is not None, f"{tool} is not installed (apt-get install "
                "texlive-latex-recommended poppler-utils)")
    (tmp_path / "sources.bib").write_text(bibliography([("x", HOSTILE), ("y", RECORD)]),
                                          encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{url}\\usepackage{natbib}"
        "\\begin{document}\\nocite{*}\\bibliographystyle{plainnat}\\bibliography{sources}"
        "\\end{document}\n", encoding="utf-8")
    run = lambda *cmd: subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run("pdflatex", "-interaction=nonstopmode", "doc.tex").returncode == 0
    bib = run("bibtex", "doc")
    assert bib.returncode == 0, bib.stdout
    for _ in range(2):
        latex = run("pdflatex", "-interaction=nonstopmode", "doc.tex")
        assert latex.returncode == 0, latex.stdout[-2000:]
    text = " ".join(run("pdftotext", "doc.pdf", "-").stdout.split())
    assert "Vendor" in text and "X" in text and "{brace} 50% & \\input{secret} @misc{x," in text
    assert "Kaplan et al., Scaling Laws" in text


def test_unverified_record_says_so_and_has_no_date():
    record = Provenance(kind="estimate", ref="A guess", notes="from nowhere")
    entry = bibtex_entry("guess", record)
    assert "urldate" not in entry and "not yet checked" in entry and "url =" not in entry
    assert csl_item("guess", record)["type"] == "document"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from conftest import AS_OF
    from mlsysim.site.build import build_site

    out = tmp_path_factory.mktemp("cite") / "site"
    build_site(out, as_of=AS_OF)
    return out


def test_site_publishes_every_source_for_reference_managers(site, tmp_path):
    pages = [p for p in (site / "sources").iterdir() if p.is_dir()]
    items = pandoc_items((site / "sources.bib").read_text(encoding="utf-8"), tmp_path)
    csl = json.loads((site / "sources.csl.json").read_text(encoding="utf-8"))
    assert len(items) == len(csl) == len(pages) > 400
    assert len({item["id"] for item in csl}) == len(csl)
    html = (site / "sources" / "nvidia-h100-page-textcopy" / "index.html").read_text()
    assert '<pre class="citation"><code>@misc{mlsysim-nvidia-h100-page-textcopy,' in html
    assert "urldate = {2026-11-22}" in html


def test_bibtex_reads_the_whole_site_bibliography_without_error(site, tmp_path):
    require(shutil.which("bibtex") is not None, "bibtex is not installed (apt-get install texlive-latex-base)")
    shutil.copy(site / "sources.bib", tmp_path / "sources.bib")
    (tmp_path / "doc.aux").write_text("\\citation{*}\n\\bibdata{sources}\n\\bibstyle{plain}\n")
    run = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "error message" not in run.stdout, run.stdout[-3000:]
    assert (tmp_path / "doc.bbl").read_text().count("\\bibitem") == len(
        [p for p in (site / "sources").iterdir() if p.is_dir()])
