"""A project's own site: its MkDocs configuration, hand-written pages, template overrides and
Zoo ([tool.mlsysim.site]), and this repository's site/ (guide and API reference)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AS_OF
from mlsysim.site.build import SiteBuildError, build_site, hand_written_pages
from mlsysim.site.config import SiteConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def run_site_build(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlsysim", "site", "build", "--as-of",
                           AS_OF.isoformat(), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """A book repository with its own MkDocs config, a guide page, an override of the entry
    template and a Zoo of its own (the shipped one with a chip of the book's added)."""
    from mlsysim.zoo.registry import DEFAULT_DATA_ROOT

    root = tmp_path_factory.mktemp("book")
    shutil.copytree(DEFAULT_DATA_ROOT, root / "zoo")
    cloud = root / "zoo" / "Hardware" / "Cloud"
    (cloud / "BookChip.yaml").write_text((cloud / "A100.yaml").read_text(encoding="utf-8").replace(
        "name: NVIDIA A100 SXM4 80GB", "name: The Book Chip"), encoding="utf-8")
    (root / "site" / "pages").mkdir(parents=True)
    (root / "site" / "mkdocs.yml").write_text(
        "site_name: A Book's Zoo\ntheme:\n  name: material\n  font: false\nplugins:\n  - search\n"
        "markdown_extensions:\n  - attr_list\n  - tables\n  - toc:\n      permalink: true\n",
        encoding="utf-8")
    (root / "site" / "pages" / "preface.md").write_text(
        "# Preface\n\nOur chip is [`Hardware.Cloud.BookChip`](zoo/Hardware/Cloud/BookChip.md).\n",
        encoding="utf-8")
    (root / "site" / "templates" / "site").mkdir(parents=True)
    entry = (ROOT / "templates" / "site" / "entry.md.j2").read_text(encoding="utf-8")
    (root / "site" / "templates" / "site" / "entry.md.j2").write_text(
        entry.replace("## Use this number", "## Cite this number in the book"), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.mlsysim.site]\nmkdocs = "site/mkdocs.yml"\npages = "site/pages"\n'
        'templates = "site/templates"\ndata_dir = "zoo"\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def book_site(book) -> Path:
    result = run_site_build(book, "--out", "build/site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Using [tool.mlsysim.site] from" in result.stderr
    return book / "build" / "site"


def test_a_book_site_uses_its_config_pages_templates_and_zoo(book_site):
    home = (book_site / "index.html").read_text(encoding="utf-8")
    assert "<title>A Book's Zoo</title>" in home
    preface = (book_site / "preface" / "index.html").read_text(encoding="utf-8")
    assert 'href="../zoo/Hardware/Cloud/BookChip/"' in preface
    chip = (book_site / "zoo" / "Hardware" / "Cloud" / "BookChip" / "index.html").read_text(encoding="utf-8")
    assert "The Book Chip" in chip
    assert "Cite this number in the book" in chip and "Use this number" not in chip
    # The Zoo's stylesheet and script are added to a configuration that does not list them.
    assert "stylesheets/badges.css" in chip and "javascripts/tablesort.js" in chip


def test_a_book_page_naming_a_missing_zoo_path_stops_the_build(book, tmp_path):
    project = tmp_path / "book"
    shutil.copytree(book, project, ignore=shutil.ignore_patterns("build"))
    (project / "site" / "pages" / "preface.md").write_text("# Preface\n\nHardware.Cloud.BookChp.memory\n")
    result = run_site_build(project, "--out", "build/site")
    assert result.returncode == 1
    assert "docs/preface.md:3: [document-reference] Hardware.Cloud.BookChp.memory does not " \
           "resolve" in result.stdout and "did you mean Hardware.Cloud.BookChip" in result.stdout


def test_a_missing_data_dir_is_one_line(tmp_path):
    result = run_site_build(tmp_path, "--out", "site", "--no-config", "--data-dir", "nowhere")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: --data-dir nowhere holds no namespaces.yaml; give a Zoo data folder")
    assert "Traceback" not in result.stderr


def test_config_paths_are_relative_to_the_pyproject_and_unknown_keys_are_named(tmp_path):
    file = tmp_path / "pyproject.toml"
    file.write_text('[tool.mlsysim.site]\nmkdocs = "site/mkdocs.yml"\npages = "p"\n'
                    'templates = "/abs/t"\ndata_dir = "z"\n')
    config = load_config(file)
    assert (config.mkdocs, config.pages, config.templates, config.data_dir) == (
        tmp_path / "site" / "mkdocs.yml", tmp_path / "p", Path("/abs/t"), tmp_path / "z")
    file.write_text('[tool.mlsysim.site]\nmkdoc = "x"\n')
    with pytest.raises(SiteConfigError, match="known keys: .*mkdocs, pages, templates, data_dir"):
        load_config(file)


def test_hand_written_pages_may_not_replace_generated_ones(tmp_path):
    (tmp_path / "pages" / "zoo" / "Hardware").mkdir(parents=True)
    (tmp_path / "pages" / "zoo" / "Hardware" / "index.md").write_text("# Mine\n")
    with pytest.raises(SiteBuildError, match="zoo/Hardware/index.md .* name of a generated Zoo page"):
        build_site(tmp_path / "site", as_of=AS_OF, pages=tmp_path / "pages")
    assert not (tmp_path / "site").exists()


def test_pages_must_be_utf8_text_and_not_links(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "latin.md").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(SiteBuildError, match=r"latin.md is not UTF-8 text \(byte 3\)"):
        hand_written_pages(tmp_path / "pages")
    (tmp_path / "pages" / "latin.md").unlink()
    (tmp_path / "pages" / "passwd.md").symlink_to("/etc/passwd")
    with pytest.raises(SiteBuildError, match="is a symbolic link"):
        hand_written_pages(tmp_path / "pages")


# -- this repository's own site: guide, API reference and the Zoo --------------------------

@pytest.fixture(scope="module")
def project_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("project") / "site"
    result = run_site_build(ROOT, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_project_site_has_the_guide_and_an_api_reference(project_site):
    for page in ("guide/reading-a-badge", "guide/adding-a-chip", "guide/lineage-gates",
                 "guide/safe-builds", "using-numbers"):
        assert (project_site / page / "index.html").is_file(), page
    solvers = (project_site / "reference" / "solvers" / "index.html").read_text(encoding="utf-8")
    for name in ("ServingModel", "DistributedModel", "ReliabilityModel", "CheckpointModel",
                 "SustainabilityModel", "EconomicsModel"):
        assert f'id="mlsysim.solvers.{name}"' in solvers, name
    engine = (project_site / "reference" / "engine" / "index.html").read_text(encoding="utf-8")
    assert 'id="mlsysim.engine.Engine.solve"' in engine


def test_the_project_sidebar_lists_sections_not_every_page(project_site):
    html = (project_site / "zoo" / "Hardware" / "Cloud" / "H100" / "index.html").read_text(encoding="utf-8")
    sidebar = html[html.index('data-md-type="navigation"'):html.index('data-md-type="toc"')]
    assert sidebar.count("<a ") < 60, "the sidebar should hold the sections, not all 570 pages"
    for label in ("Hardware", "Reading a badge", "Solvers"):
        assert label in sidebar
