"""The site build writes, replaces and deletes only what it made itself.

Bad ``--out`` values are refused with one line and nothing touched; a build killed at
any point leaves the previous site (or gets it back on the next run); catalog ids
never become paths outside the build folder.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import AS_OF
from mlsysim.cli import app
from mlsysim.provenance import Provenance, ProvenanceKind
from mlsysim.site.build import (SITE_MARKER, SITE_MARKER_TEXT, STAGING_MARKER, OutFolderError,
                                SiteBuildError, build_site, check_out_folder)
from mlsysim.site.pages import _source_key
from mlsysim.site.render import write_docs
from mlsysim.zoo.registry import Zoo

PACKAGE = Path(__file__).resolve().parent.parent / "mlsysim"


def digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (links not followed) -> its SHA-256."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def fake_site(out: Path, text: str = "the previous good site") -> Path:
    """A previous mlsysim site: a page and the marker."""
    (out / "zoo").mkdir(parents=True)
    (out / "index.html").write_text(text, encoding="utf-8")
    (out / "zoo" / "page.html").write_text("a page of it", encoding="utf-8")
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")
    return out


@pytest.fixture
def user_files(tmp_path) -> Path:
    """A folder of a user's files that no build may touch."""
    folder = tmp_path / "thesis"
    (folder / "chapters").mkdir(parents=True)
    (folder / "chapters" / "one.qmd").write_text("my chapter\n", encoding="utf-8")
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")
    return folder


def _cases(tmp_path: Path, user_files: Path) -> dict[str, tuple[str, str, Path]]:
    """Case name -> (--out value, expected words, folder that must stay as it was)."""
    link = tmp_path / "link-to-thesis"
    link.symlink_to(user_files, target_is_directory=True)
    return {
        "the folder you are in": (".", "is the folder you are in", user_files),
        "empty": ("", "--out is empty", user_files),
        "root": ("/", "is the root folder", user_files),
        "a user's folder": (str(user_files), "not an mlsysim site", user_files),
        "a link to a user's folder": (str(link), "is a symbolic link", user_files),
        "a file": (str(user_files / "notes.txt"), "is a file, not a folder", user_files),
        "above the folder you are in": ("..", "is the folder you are in (or holds it)", user_files),
        "inside the package": (str(PACKAGE / "site-out"), "inside the mlsysim package", PACKAGE),
        "the package itself": (str(PACKAGE), "inside the mlsysim package", PACKAGE),
    }


CASES = ["the folder you are in", "empty", "root", "a user's folder", "a link to a user's folder",
         "a file", "above the folder you are in", "inside the package", "the package itself"]


@pytest.mark.parametrize("case", CASES)
def test_site_build_refuses_an_out_folder_it_did_not_make(case, tmp_path, user_files, monkeypatch):
    out, words, guarded = _cases(tmp_path, user_files)[case]
    monkeypatch.chdir(tmp_path)
    before = digest(guarded)
    result = CliRunner().invoke(app, ["site", "build", "--out", out, "--no-config"])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and words in line, line
    assert "e.g. --out build/site" in line, "the message names the fix"
    assert "Traceback" not in result.output
    assert digest(guarded) == before
    assert not (PACKAGE / "site-out").exists()


def test_out_folder_rules_allow_new_empty_and_previous_sites(tmp_path):
    assert check_out_folder(tmp_path / "new" / "site") == tmp_path / "new" / "site"
    (tmp_path / "empty").mkdir()
    assert check_out_folder(tmp_path / "empty") == tmp_path / "empty"
    site = fake_site(tmp_path / "old")
    assert check_out_folder(site) == site
    (site / SITE_MARKER).unlink()
    (site / SITE_MARKER).symlink_to(tmp_path / "empty")
    with pytest.raises(OutFolderError, match="not an mlsysim site"):
        check_out_folder(site)


# -- killed builds: a subprocess kills itself at a chosen point -----------------------------

KILLER = """
import os, signal, sys
from pathlib import Path
import datetime as dt
from mlsysim.site.build import build_site

where, out = sys.argv[1], Path(sys.argv[2])
def die():
    os.kill(os.getpid(), signal.SIGKILL)

progress = lambda step: None
if where == "while checking":
    progress = lambda step: die() if step.startswith("Checking the built site") else None
else:  # between the two renames of the swap
    rename = Path.rename
    def rename_then_die(self, target):
        result = rename(self, target)
        if str(target).endswith("-previous"):
            die()
        return result
    Path.rename = rename_then_die
build_site(out, as_of=dt.date.fromisoformat(sys.argv[3]), progress=progress)
"""


def killed_build(out: Path, where: str) -> None:
    result = subprocess.run([sys.executable, "-c", KILLER, where, str(out), AS_OF.isoformat()],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == -9, result.stderr


def test_a_build_killed_between_the_renames_is_recovered_by_the_next(tmp_path, zoo_data):
    out = fake_site(tmp_path / "site")
    before = digest(out)
    killed_build(out, "between the renames")
    assert not out.exists() and (tmp_path / ".site-previous" / SITE_MARKER).is_file()
    # The next build, even one that fails its gates, first puts the previous site back.
    (zoo_data / "Literature" / "Training.yaml").write_text(
        (zoo_data / "Literature" / "Training.yaml").read_text().replace(
            "provenance: chowdhery-2022-palm", "provenance: no-such-source", 1))
    with pytest.raises(SiteBuildError, match="lineage error"):
        build_site(out, zoo=Zoo(zoo_data), as_of=AS_OF)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "site"]


def test_a_build_killed_mid_way_leaves_the_site_and_the_next_cleans_up(tmp_path):
    out = fake_site(tmp_path / "site")
    before = digest(out)
    killed_build(out, "while checking")
    assert digest(out) == before
    [stale] = tmp_path.glob(".site-staging-*")
    assert (stale / "site" / "index.html").is_file()
    # A staging folder of a build still running (this process) is left alone.
    alive = tmp_path / ".site-staging-running"
    alive.mkdir()
    (alive / STAGING_MARKER).write_text(f"{os.getpid()}\n")
    build_site(out, as_of=AS_OF)
    assert not stale.exists() and alive.exists()
    assert (out / SITE_MARKER).read_text() == SITE_MARKER_TEXT
    assert "the previous good site" not in (out / "index.html").read_text()
    assert not (tmp_path / ".site-previous").exists()


def test_a_folder_in_the_way_of_the_swap_is_not_deleted(tmp_path, user_files):
    out = fake_site(tmp_path / "site")
    (tmp_path / ".site-previous").symlink_to(user_files, target_is_directory=True)
    before = digest(user_files)
    with pytest.raises(SiteBuildError, match="is not an mlsysim site; .* move it away"):
        build_site(out, as_of=AS_OF)
    assert digest(user_files) == before


# -- ids never become paths ------------------------------------------------------------------

def test_a_path_like_source_id_writes_nothing_outside_the_build(tmp_path, zoo_data):
    catalog = zoo_data / "sources.yaml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + (
        "\n'../../../../escaped-page':\n  kind: estimate\n  ref: An attacker's record\n"
        "  notes: Its id is a path.\n"), encoding="utf-8")
    out = tmp_path / "build" / "site"
    everything_before = {p for p in tmp_path.parent.rglob("*")}
    # Strict: the invalid-record finding stops the build.
    with pytest.raises(SiteBuildError) as error:
        build_site(out, zoo=Zoo(zoo_data), as_of=AS_OF)
    [finding] = [f for f in error.value.findings if f.gate == "invalid-record"]
    assert "escaped-page" in finding.line() and "sources.yaml" in finding.line()
    assert not out.exists()
    # Not strict: the record never reaches the site, and the finding is returned.
    summary = build_site(out, zoo=Zoo(zoo_data), as_of=AS_OF, strict=False)
    assert any(f.gate == "invalid-record" and "escaped-page" in f.line() for f in summary.findings)
    created = {p for p in tmp_path.parent.rglob("*")} - everything_before
    assert [p for p in created if "escaped-page" in p.name] == []
    assert all(out in p.parents or p == out or p in out.parents for p in created if p.exists()), \
        "the build wrote outside its folder"


def test_page_names_are_checked_again_where_they_are_written(tmp_path):
    with pytest.raises(ValueError, match="outside the docs folder"):
        write_docs({"../outside.md": "x"}, tmp_path / "docs")
    with pytest.raises(ValueError, match="outside the docs folder"):
        write_docs({"/tmp/outside.md": "x"}, tmp_path / "docs")
    assert not (tmp_path / "outside.md").exists()
    record = Provenance(kind=ProvenanceKind("estimate"), ref="r", notes="n", id="../../x")
    with pytest.raises(ValueError, match="cannot name a page"):
        _source_key(record)


# -- the appendix build overwrites only the tables it wrote -------------------------------------

def test_appendix_build_never_overwrites_a_file_it_did_not_write(tmp_path, user_files):
    from mlsysim.cli import appendix_app

    def build(out: Path):
        return CliRunner().invoke(appendix_app, ["build", "--out", str(out), "--as-of", AS_OF.isoformat()])

    mine = user_files / "hardware-cloud.qmd"
    mine.write_text("my own table\n", encoding="utf-8")
    before = digest(user_files)
    result = build(user_files)
    assert result.exit_code == 1
    assert "holds hardware-cloud.qmd, which mlsysim did not write" in result.stderr
    assert digest(user_files) == before
    # Through a link: neither the folder nor a table file is written through one.
    link = tmp_path / "tables-link"
    link.symlink_to(user_files, target_is_directory=True)
    assert "is a symbolic link" in build(link).stderr
    out = tmp_path / "tables"
    assert build(out).exit_code == 0
    (out / "models-vision.tex").unlink()
    (out / "models-vision.tex").symlink_to(user_files / "notes.txt")
    assert build(out).exit_code == 1 and digest(user_files) == before
    # A rebuild over its own output is fine.
    (out / "models-vision.tex").unlink()
    assert build(out).exit_code == 0
