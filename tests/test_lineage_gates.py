"""Lineage gates 5 (derived drift) and 6 (document references), on copies of the Zoo."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import AS_OF
from mlsysim.errors import ZooError
from mlsysim.lineage.audit import audit_zoo, lock_derived, number_map
from mlsysim.lineage.derived_lock import LOCK_FILE, current_state, fingerprint, read_lock
from mlsysim.lineage.references import ReferenceIndex, check_texts, references_in
from mlsysim.provenance import Provenance
from mlsysim.zoo.registry import Zoo

RESNET = Path("Models") / "Vision" / "ResNet50.yaml"


def gate(zoo_data: Path, name: str, documents=()) -> list:
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF, documents=documents)
    return [f for f in report.findings if f.gate == name]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- gate 5: derived drift ----------------------------------------------------------

def test_shipped_lock_matches_the_zoo(zoo_data):
    assert gate(zoo_data, "derived-drift") == []
    lock = read_lock(zoo_data)
    assert "Models.Vision.ResNet50.flops_per_sample" in lock


def test_a_changed_input_flags_the_number_derived_from_it(zoo_data):
    edit(zoo_data / RESNET, "parameters: 25557032 param", "parameters: 25600000 param")
    [finding] = gate(zoo_data, "derived-drift")
    assert finding.path == "Models.Vision.ResNet50.flops_per_sample"
    assert "an input changed after this value was derived" in finding.problem
    assert "Models.Vision.ResNet50.parameters was '25557032 parameter; " in finding.problem
    assert "is now '25600000 parameter; " in finding.problem
    assert "--lock-derived" in finding.fix and finding.severity == "error"


def test_a_re_verified_input_flags_the_numbers_derived_from_it(zoo_data):
    sources = zoo_data / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    block = text[text.index("torchvision-resnet50-docs:"):]
    block = block[:block.index("\n\n")]
    assert "verified: 2026-11-22" in block
    sources.write_text(text.replace(block, block.replace("verified: 2026-11-22",
                                                         "verified: 2026-11-21")), encoding="utf-8")
    flagged = gate(zoo_data, "derived-drift")
    assert "Models.Vision.ResNet50.flops_per_sample" in {f.path for f in flagged}
    assert all("verified 2026-11-22', is now" in f.problem and "verified 2026-11-21" in f.problem
               for f in flagged)


def test_a_derived_value_edited_alone_is_flagged(zoo_data):
    edit(zoo_data / RESNET, "flops_per_sample: 8.18e9 flop/sample", "flops_per_sample: 8.2e9 flop/sample")
    [finding] = gate(zoo_data, "derived-drift")
    assert finding.path == "Models.Vision.ResNet50.flops_per_sample"
    assert "while its inputs did not" in finding.problem


def test_locking_records_the_check_and_clears_the_gate(zoo_data):
    edit(zoo_data / RESNET, "parameters: 25557032 param", "parameters: 25600000 param")
    assert gate(zoo_data, "derived-drift")
    file, count = lock_derived(Zoo(zoo_data))
    assert file == zoo_data / LOCK_FILE and count == len(read_lock(zoo_data))
    assert gate(zoo_data, "derived-drift") == []
    recorded = read_lock(zoo_data)["Models.Vision.ResNet50.flops_per_sample"]
    assert recorded["inputs"]["Models.Vision.ResNet50.parameters"].startswith("25600000 parameter; ")


def test_locking_is_refused_while_the_zoo_is_broken(zoo_data):
    edit(zoo_data / RESNET, "inputs: [Models.Vision.ResNet50.parameters]",
         "inputs: [Models.Vision.ResNet50.params]")
    before = (zoo_data / LOCK_FILE).read_bytes()
    with pytest.raises(ZooError, match="must be fixed before the derived numbers can be locked"):
        lock_derived(Zoo(zoo_data))
    assert (zoo_data / LOCK_FILE).read_bytes() == before


def test_a_dangling_input_is_gate_3_only(zoo_data):
    edit(zoo_data / RESNET, "inputs: [Models.Vision.ResNet50.parameters]",
         "inputs: [Models.Vision.ResNet50.params]")
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    assert [(f.path, f.gate) for f in report.errors] == [
        ("Models.Vision.ResNet50.flops_per_sample", "dangling-reference")]


def test_no_lock_is_one_finding_naming_the_command(zoo_data):
    (zoo_data / LOCK_FILE).unlink()
    [finding] = gate(zoo_data, "derived-drift")
    assert finding.path.endswith(LOCK_FILE) and "derived numbers" in finding.problem
    assert "mlsysim audit --lock-derived" in finding.fix


def test_a_new_derived_number_needs_confirming(zoo_data):
    lock = zoo_data / LOCK_FILE
    text = lock.read_text(encoding="utf-8")
    start = text.index("Models.Vision.ResNet50.flops_per_sample:")
    end = text.index("\nModels.", start + 1)
    lock.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    [finding] = gate(zoo_data, "derived-drift")
    assert finding.path == "Models.Vision.ResNet50.flops_per_sample"
    assert "the lock does not know" in finding.problem


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_drift_flags_exactly_the_numbers_derived_from_a_changed_input(data):
    # Property: perturbing one input's fingerprint flags exactly the derived numbers naming it.
    zoo = Zoo()
    records = [r for g in zoo.groups() for r in g.records().values()]
    numbers = number_map(records)
    state = current_state(records, numbers)
    inputs = sorted({source for entry in state.values() for source in entry["inputs"]})
    changed = data.draw(st.sampled_from(inputs))
    value, provenance = numbers[changed]
    numbers[changed] = (value * 2, provenance)
    moved = current_state(records, numbers)
    from mlsysim.lineage.derived_lock import check_drift

    flagged = {d.path for d in check_drift(moved, state, Path("."))}
    assert flagged == {path for path, entry in state.items() if changed in entry["inputs"]}


def test_fingerprint_names_value_source_and_date():
    record = Provenance(kind="datasheet", ref="A datasheet", url="https://example.org/a",
                        verified="2026-11-22", id="a-sheet")
    assert fingerprint(3.35, record) == "3.35; a-sheet, verified 2026-11-22"
    unchecked = Provenance(kind="datasheet", ref="A datasheet", url="https://example.org/a")
    assert fingerprint(7, unchecked) == "7; inline datasheet 'A datasheet', not verified"


# -- gate 6: document references ----------------------------------------------------

@pytest.fixture(scope="module")
def index() -> ReferenceIndex:
    zoo = Zoo()
    return ReferenceIndex.from_loaded(zoo, {g.path: g.records() for g in zoo.groups()})


def problems(index, name, text):
    return [(p.reference.location, p.reference.text, p.problem) for p in check_texts([(name, text)], index)]


@pytest.mark.parametrize("text", [
    "The H100 (`Hardware.Cloud.H100`) moves data at `{python} mlsysim.Hardware.Cloud.H100.memory.bandwidth`.",
    "bw = mlsysim.Hardware.Cloud.H100.memory.bandwidth.to('TB/s').magnitude",
    "mfu = Literature.Training.MfuHigh.provenance.url",
    "for gpu in mlsysim.Hardware.Cloud.sorted_by('memory.bandwidth'):",
    "Scenarios.SmartDoorbell.evaluate() and Scenarios.Examples.SmartDoorbell",
    "Peak: Hardware.Cloud.H100.compute.peak.fp16.dense. Models.Language.Llama3_70B.name",
    "Prose that ends a sentence with Hardware. Then Models.md and Ops.",
])
def test_references_that_resolve_pass(index, text):
    assert problems(index, "chapter.qmd", text) == []


def test_a_renamed_entry_is_named_with_its_location_and_close_matches(index):
    text = "Intro\n\nThe `{python} mlsysim.Hardware.Cloud.H100_SXM.memory.bandwidth` figure.\n"
    [(where, path, problem)] = problems(index, "book/ch1.qmd", text)
    assert where == "book/ch1.qmd:3" and path == "Hardware.Cloud.H100_SXM.memory.bandwidth"
    assert "Hardware.Cloud has no entry 'H100_SXM'" in problem
    assert "did you mean" in problem and "Hardware.Cloud.H100" in problem


def test_a_misspelt_field_is_named(index):
    [(_, _, problem)] = problems(index, "a.md", "Hardware.Cloud.H100.memory.bandwith")
    assert "Hardware.Cloud.H100.memory has no field 'bandwith'" in problem
    assert "Hardware.Cloud.H100.memory.bandwidth" in problem


def test_an_unknown_group_is_named(index):
    [(_, _, problem)] = problems(index, "a.md", "See Hardware.Clouds.H100.")
    assert "Hardware has no group 'Clouds'" in problem and "Hardware.Cloud" in problem


def test_latex_escapes_and_ignore_marks(index):
    tex = "\\texttt{Models.Language.Llama3\\_70B.layers} and \\texttt{Models.Language.Llama9\\_1B}\n"
    [(where, path, _)] = problems(index, "a.tex", tex)
    assert (where, path) == ("a.tex:1", "Models.Language.Llama9_1B")
    assert problems(index, "a.md", "`mlsysim.Hardware.Cloud.MyChip` <!-- zoo-ref: ignore -->") == []


def test_notebook_cells_are_scanned_with_cell_and_line(index):
    notebook = {"cells": [
        {"cell_type": "markdown", "source": ["# Title\n", "Uses Hardware.Cloud.H100\n"]},
        {"cell_type": "code", "source": "import mlsysim\nx = mlsysim.Hardware.Cloud.H101.memory"}]}
    [(where, path, _)] = problems(index, "nb.ipynb", json.dumps(notebook))
    assert (where, path) == ("nb.ipynb:cell 2:2", "Hardware.Cloud.H101.memory")
    [(where, _, problem)] = problems(index, "bad.ipynb", "{not json")
    assert where == "bad.ipynb" and "not a readable notebook" in problem


def test_a_number_without_provenance_is_reported(zoo_data):
    edit(zoo_data / "Hardware" / "Cloud" / "H100.yaml", "provenance: nvidia-h100-datasheet\n", "")
    chapter = zoo_data.parent / "chapter.md"
    chapter.write_text("Launched: Hardware.Cloud.H100.release_year\n", encoding="utf-8")
    [finding] = gate(zoo_data, "document-reference", documents=[chapter])
    assert finding.path == f"{chapter}:1"
    assert "resolves to Hardware.Cloud.H100.release_year, a number without provenance" \
        in finding.problem


def test_folders_are_searched_and_missing_paths_reported(zoo_data, tmp_path):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "_book").mkdir()
    (book / "chapters" / "one.qmd").write_text("Hardware.Cloud.H999\n", encoding="utf-8")
    (book / "_book" / "one.html.md").write_text("Hardware.Cloud.H998\n", encoding="utf-8")
    (book / "notes.txt").write_text("Hardware.Cloud.H997\n", encoding="utf-8")
    found = gate(zoo_data, "document-reference", documents=[book, tmp_path / "nowhere"])
    assert sorted(f.path for f in found) == sorted([f"{book / 'chapters' / 'one.qmd'}:1",
                                                    str(tmp_path / "nowhere")])


def test_references_in_reads_prefixed_and_bare_paths():
    refs = list(references_in("a.md", "mlsysim.Models.Vision.ResNet50 and Systems.Fabrics.X.y"))
    assert [r.text for r in refs] == ["Models.Vision.ResNet50", "Systems.Fabrics.X.y"]


def test_audit_command_scans_documents(tmp_path):
    chapter = tmp_path / "chapter.qmd"
    chapter.write_text("Fine: Hardware.Cloud.H100\nStale: Hardware.Cloud.H100x.memory\n",
                       encoding="utf-8")
    command = [sys.executable, "-m", "mlsysim", "audit", "--strict", "--as-of", AS_OF.isoformat(),
               "--scan", str(chapter)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout
    assert f"{chapter}:2: [document-reference] Hardware.Cloud.H100x.memory does not resolve" \
        in result.stdout
    chapter.write_text("Fine: Hardware.Cloud.H100\n", encoding="utf-8")
    result = subprocess.run(command, capture_output=True, text=True)
    summary = result.stdout.splitlines()[-1]
    assert result.returncode == 0 and "and the documents scanned pass" in summary
    assert "6 document-reference" in summary
