"""Each lineage gate stops the site build, names the number and the gate, and leaves the
previous site exactly as it was (acceptance tests of the site compiler, on Zoo copies)."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AS_OF
from mlsysim.appendix.render import render_tables
from mlsysim.appendix.tables import load_tables
from mlsysim.site.build import SITE_MARKER, SITE_MARKER_TEXT, SiteBuildError, build_site
from mlsysim.site.config import SiteConfigError, find_config, load_config
from mlsysim.zoo.registry import Zoo


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def previous_site(tmp_path) -> Path:
    out = tmp_path / "site"
    (out / "zoo").mkdir(parents=True)
    (out / "index.html").write_text("the previous good site", encoding="utf-8")
    (out / "zoo" / "page.html").write_text("a page of it", encoding="utf-8")
    (out / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")
    return out


def failed_build(out: Path, zoo_data: Path, **options) -> SiteBuildError:
    before = tree_digest(out)
    with pytest.raises(SiteBuildError) as info:
        build_site(out, zoo=Zoo(zoo_data), as_of=AS_OF, **options)
    assert tree_digest(out) == before, "the previous site was changed"
    assert [p.name for p in out.parent.iterdir() if "staging" in p.name or "previous" in p.name] == []
    return info.value


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def lines(error: SiteBuildError, gate: str) -> list[str]:
    return [f.line() for f in error.findings if f.gate == gate]


def test_gate_1_removed_provenance(zoo_data, previous_site):
    edit(zoo_data / "Hardware" / "Cloud" / "MI300X.yaml", "provenance: amd-rocm-mi300-microarch\n", "")
    error = failed_build(previous_site, zoo_data)
    [line] = lines(error, "missing-provenance")
    assert line.startswith("Hardware.Cloud.MI300X: [missing-provenance]")
    assert "missing-provenance" in str(error)


def test_gate_4_verification_aged_past_the_policy(zoo_data, previous_site):
    sources = zoo_data / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    block = text[text.index("hf-gpt2-xl-config:"):]
    block = block[:block.index("\n\n")]
    sources.write_text(text.replace(block, block.replace("verified: 2026-11-22", "verified: 2019-01-15")),
                       encoding="utf-8")
    error = failed_build(previous_site, zoo_data)
    expired = lines(error, "expired-verification")
    assert any(line.startswith("Models.Language.GPT2.layers: [expired-verification] "
                               "sources.yaml#hf-gpt2-xl-config was verified 2019-01-15")
               for line in expired), expired


def test_gate_3_broken_derived_input(zoo_data, previous_site):
    edit(zoo_data / "Models" / "Vision" / "ResNet50.yaml", "inputs: [Models.Vision.ResNet50.parameters]",
         "inputs: [Models.Vision.ResNet50.param_count]")
    error = failed_build(previous_site, zoo_data)
    assert lines(error, "dangling-reference") == [
        "Models.Vision.ResNet50.flops_per_sample: [dangling-reference] derived input "
        "Models.Vision.ResNet50.param_count does not resolve to a registry number — point "
        "'inputs' at an existing registry number"]


def test_gate_5_input_changed_since_derivation(zoo_data, previous_site):
    edit(zoo_data / "Models" / "Vision" / "ResNet50.yaml", "parameters: 25557032 param",
         "parameters: 25600000 param")
    error = failed_build(previous_site, zoo_data)
    [line] = lines(error, "derived-drift")
    assert line.startswith("Models.Vision.ResNet50.flops_per_sample: [derived-drift] an input changed")


def test_gate_6_renamed_entry_named_in_a_chapter(zoo_data, previous_site, tmp_path):
    folder = zoo_data / "Models" / "Vision"
    text = (folder / "ResNet18.yaml").read_text(encoding="utf-8")
    (folder / "ResNet18.yaml").unlink()
    (folder / "ResNet18_v1.yaml").write_text(
        text.replace("Models.Vision.ResNet18.", "Models.Vision.ResNet18_v1."), encoding="utf-8")
    chapter = tmp_path / "book" / "vision.qmd"
    chapter.parent.mkdir()
    chapter.write_text("# Vision\n\nResNet-18 has `{python} mlsysim.Models.Vision.ResNet18.parameters`"
                       " parameters.\n", encoding="utf-8")
    error = failed_build(previous_site, zoo_data, documents=[tmp_path / "book"])
    [line] = lines(error, "document-reference")
    assert line.startswith(f"{chapter}:3: [document-reference] Models.Vision.ResNet18.parameters "
                           "does not resolve: Models.Vision has no entry 'ResNet18'")
    assert "Models.Vision.ResNet18_v1" in line


def test_gate_6_checks_the_sites_own_pages(zoo_data, previous_site):
    folder = zoo_data / "Hardware" / "Cloud"
    (folder / "H100.yaml").rename(folder / "H100_SXM.yaml")
    error = failed_build(previous_site, zoo_data)
    guide = [line for line in lines(error, "document-reference")
             if line.startswith("docs/using-numbers.md:")]
    assert guide and "Hardware.Cloud.H100.memory.bandwidth does not resolve" in guide[0]


def committed_tables(zoo_data: Path, folder: Path) -> Path:
    folder.mkdir()
    for name, text in render_tables(load_tables(), Zoo(zoo_data), as_of=AS_OF).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_gate_7_edited_committed_appendix_table(zoo_data, previous_site, tmp_path):
    tables = committed_tables(zoo_data, tmp_path / "appendix")
    qmd = tables / "hardware-cloud.qmd"
    row = next(line for line in qmd.read_text(encoding="utf-8").splitlines()
               if line.startswith("| AMD Instinct MI300X"))
    edit(qmd, row, row.replace("| 5.3^V^ |", "| 5.2^V^ |"))
    error = failed_build(previous_site, zoo_data, appendix=tables)
    [line] = lines(error, "appendix-drift")
    assert line.startswith("Hardware.Cloud.MI300X.memory.bandwidth: [appendix-drift] hardware-cloud.qmd "
                           "line ")
    assert "shows '5.2 [V]' where the registry gives '5.3 [V]'" in line


def test_gate_7_registry_moved_on_since_the_tables_were_committed(zoo_data, previous_site, tmp_path):
    tables = committed_tables(zoo_data, tmp_path / "appendix")
    edit(zoo_data / "Models" / "Language" / "Llama3_70B.yaml", "context_length: 131072",
         "context_length: 128000")
    error = failed_build(previous_site, zoo_data, appendix=tables)
    found = {line.split(":")[0] for line in lines(error, "appendix-drift")}
    assert found == {"Models.Language.Llama3_70B.context_length"}
    assert all(".qmd" in line or ".tex" in line for line in lines(error, "appendix-drift"))


def test_every_finding_of_a_failed_build_is_listed_together(zoo_data, previous_site, tmp_path):
    edit(zoo_data / "Hardware" / "Cloud" / "MI300X.yaml", "provenance: amd-rocm-mi300-microarch\n", "")
    chapter = tmp_path / "chapter.md"
    chapter.write_text("Models.Language.GPT5\n", encoding="utf-8")
    error = failed_build(previous_site, zoo_data, documents=[chapter])
    assert {f.gate for f in error.findings} == {"missing-provenance", "document-reference"}


# -- configuration and the command line ---------------------------------------------

def test_config_is_read_from_the_nearest_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "book"\n\n[tool.mlsysim.site]\nscan = ["chapters", "README.md"]\n'
        'appendix = "appendix"\n', encoding="utf-8")
    nested = tmp_path / "chapters" / "part1"
    nested.mkdir(parents=True)
    file = find_config(nested)
    assert file == tmp_path / "pyproject.toml"
    config = load_config(file)
    assert config.scan == (tmp_path / "chapters", tmp_path / "README.md")
    assert config.appendix == tmp_path / "appendix"


def test_config_with_an_unknown_key_is_a_clear_error(tmp_path):
    file = tmp_path / "pyproject.toml"
    file.write_text('[tool.mlsysim.site]\nscans = ["chapters"]\n', encoding="utf-8")
    with pytest.raises(SiteConfigError, match=r"\[tool.mlsysim.site\]: scans: Extra inputs"):
        load_config(file)
    file.write_text('[tool.mlsysim.site\nscan = 1\n', encoding="utf-8")
    with pytest.raises(SiteConfigError, match="is not valid TOML"):
        load_config(file)


def test_site_build_command_uses_the_projects_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlsysim.site]\nscan = ["chapters"]\n', encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "one.md").write_text("See Hardware.Cloud.H100.memory.bandwidthh\n",
                                                  encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("previous", encoding="utf-8")
    (tmp_path / "out" / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mlsysim", "site", "build", "--out", "out",
                             "--as-of", AS_OF.isoformat()],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Using [tool.mlsysim.site] from" in result.stderr
    assert (f"{tmp_path / 'chapters' / 'one.md'}:1: [document-reference] "
            "Hardware.Cloud.H100.memory.bandwidthh does not resolve") in result.stdout
    assert "out was left as it was" in result.stderr
    assert (tmp_path / "out" / "index.html").read_text(encoding="utf-8") == "previous"
