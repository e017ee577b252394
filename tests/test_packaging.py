"""The wheel ships what a site build needs: the top-level templates/ as mlsysim.templates,
the Zoo data and the site assets; installed into a fresh environment, it builds a site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
import setuptools

from conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent


def test_the_explicit_package_list_names_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {"mlsysim"} | {f"mlsysim.{name}" for name in setuptools.find_packages(ROOT / "mlsysim")}
    assert set(config["packages"]) == found | {"mlsysim.templates"}
    assert config["package-dir"] == {"mlsysim.templates": "templates"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a clean copy of the sources: setuptools reuses ./build/lib, where a file
    # deleted from the tree would linger and ship.
    source = tmp_path_factory.mktemp("source") / "mlsysim"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--quiet", "-w", str(out), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [built] = out.glob("mlsysim-*.whl")
    return built


def test_the_wheel_holds_every_template_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = [p for p in (ROOT / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(templates) >= 12
    for template in templates:
        assert f"mlsysim/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in names
    data = [p for p in (ROOT / "mlsysim" / "zoo" / "data").rglob("*") if p.is_file()]
    for file in data:
        assert f"mlsysim/{file.relative_to(ROOT / 'mlsysim').as_posix()}" in names
    for asset in ("mlsysim/site/content/mkdocs.yml", "mlsysim/units.txt",
                  "mlsysim/lineage/freshness.yaml", "mlsysim/appendix/tables.yaml"):
        assert asset in names
    assert not any(name.startswith(("templates/", "tests/")) for name in names)
    # The licence the package declares ships with it, and its metadata names the file.
    licence = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    assert len(licence) == 1, names
    text = zipfile.ZipFile(wheel).read(licence[0]).decode()
    assert "Apache License" in text and "Version 2.0" in text
    meta = next(name for name in names if name.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata


def test_the_installed_wheel_builds_a_site(wheel, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=120, env=env)
    python = fresh / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300, env=env)
    # The dependencies come from the test environment (the fresh one holds only mlsysim);
    # a path line in a .pth file does not run that environment's editable-install hook.
    fresh_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True, env=env).stdout.strip()
    Path(fresh_site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run([str(python), "-c", "import mlsysim; print(mlsysim.__file__)"],
                            capture_output=True, text=True, cwd=work, check=True, env=env)
    assert result.stdout.startswith(fresh_site), result.stdout
    result = subprocess.run([str(python), "-m", "mlsysim", "site", "build", "--out", "site",
                             "--as-of", AS_OF.isoformat(), "--no-config"],
                            capture_output=True, text=True, cwd=work, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert (work / "site" / "zoo" / "Hardware" / "Cloud" / "H100" / "index.html").is_file()
    assert "Built " in result.stdout
