"""The gate protocol: one ordered list of gate objects that the audit, its summary line, the
site build's progress and summary, and the guide page all follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import AS_OF
from mlsysim.cli import app
from mlsysim.lineage import gates
from mlsysim.lineage.audit import audit_zoo
from mlsysim.lineage.finding import Finding
from mlsysim.lineage.gates import GATES, Gate, gate_names
from mlsysim.site.build import SiteBuildError, build_site
from mlsysim.zoo.registry import Zoo

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "site" / "pages" / "guide" / "lineage-gates.md"
ALWAYS = [gate.label for gate in GATES if gate.name not in ("document-reference", "appendix-drift")]


class Toy(Gate):
    """A gate written for this test: fails on one entry when told to."""

    name = "toy"
    title = "the toy entry is wrong"
    fail = False

    def check(self, context):
        if self.fail:
            yield Finding("Hardware.Cloud.H100", self.name, "the toy says no", "make the toy happy")


@pytest.fixture
def toy(monkeypatch) -> Toy:
    """The toy gate, appended to the one list of gates for this test only."""
    gate = Toy()
    monkeypatch.setattr(gates, "GATES", gates.GATES + (gate,))
    return gate


def audit(*args: str):
    return runner.invoke(app, ["audit", "--no-config", "--as-of", AS_OF.isoformat(), *args])


def gates_named(summary: str) -> list[str]:
    """The gates a summary line lists, in its order."""
    listed = re.search(r"lineage gates \(([^)]*)\)", summary)
    assert listed, summary
    return listed.group(1).split(", ")


def test_gate_ids_are_stable():
    assert gate_names() == (
        "missing-provenance", "invalid-record", "dangling-reference", "expired-verification",
        "derived-drift", "document-reference", "appendix-drift", "invalid-entry", "consistency",
        "plausibility", "copy-source", "duplicate-fact", "unverified")
    assert [gate.number for gate in GATES[:7]] == [1, 2, 3, 4, 5, 6, 7]
    assert all(gate.title for gate in GATES)


def test_ok_line_names_every_gate_that_ran_in_order_copy_source_included():
    result = audit("--strict")
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("OK: ")
    assert gates_named(summary) == ALWAYS
    assert "copy-source" in summary and f"pass {len(ALWAYS)} lineage gates" in summary


def test_a_toy_gate_appended_to_the_list_runs_in_the_audit(toy):
    result = audit("--strict")
    assert result.exit_code == 0, result.output
    assert gates_named(result.stdout.splitlines()[-1]) == ALWAYS + ["toy"]

    toy.fail = True
    result = audit("--strict")
    assert result.exit_code == 1
    assert ("Hardware.Cloud.H100: [toy] the toy says no — make the toy happy"
            in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].startswith("FAILED: 1 error(s) (gates: toy)")


def test_a_toy_gate_runs_in_the_site_build_and_stops_it(toy, tmp_path):
    toy.fail = True
    steps = []
    with pytest.raises(SiteBuildError) as info:
        build_site(tmp_path / "site", as_of=AS_OF, progress=steps.append)
    assert [finding.gate for finding in info.value.findings] == ["toy"]
    assert "(gates: toy)" in str(info.value)
    assert steps == [f"Lineage gate {label}" for label in
                     [*ALWAYS[:5], "6 document-reference", *ALWAYS[5:], "toy"]]
    assert not (tmp_path / "site").exists()


def test_site_build_summary_names_every_gate_that_ran_in_order(toy, tmp_path):
    tables = tmp_path / "tables"
    assert runner.invoke(app, ["appendix", "build", "--out", str(tables), "--as-of",
                               AS_OF.isoformat()]).exit_code == 0
    summary = build_site(tmp_path / "site", as_of=AS_OF, appendix=tables)
    expected = [gate.label for gate in gates.GATES]  # the guides are scanned, tables compared
    assert list(summary.gates) == expected and expected[-1] == "toy"
    assert gates_named(summary.line()) == expected


def test_gate_7_runs_in_the_audit_with_appendix_and_fails_strict_on_drift(tmp_path):
    tables = tmp_path / "tables"
    assert runner.invoke(app, ["appendix", "build", "--out", str(tables), "--as-of",
                               AS_OF.isoformat()]).exit_code == 0
    result = audit("--strict", "--appendix", str(tables))
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[-1]
    assert f"and the appendix tables in {tables} pass" in summary
    assert "7 appendix-drift" in gates_named(summary)

    table = tables / "hardware-cloud.qmd"
    row = next(line for line in table.read_text().splitlines() if "H100 SXM5" in line)
    table.write_text(table.read_text().replace(row, row.replace("3.35^V^", "3.5^V^")))
    result = audit("--strict", "--appendix", str(tables))
    assert result.exit_code == 1
    [drift] = [line for line in result.stdout.splitlines() if "[appendix-drift]" in line]
    assert drift.startswith("Hardware.Cloud.H100.memory.bandwidth: [appendix-drift] "
                            "hardware-cloud.qmd line")
    assert "shows '3.5 [V]' where the registry gives '3.35 [V]'" in drift
    assert "(gates: appendix-drift)" in result.stdout.splitlines()[-1]
    assert audit("--appendix", str(tables)).exit_code == 0  # not strict: reported, exit 0


def test_gate_7_runs_when_the_project_configures_an_appendix(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.mlsysim.site]\nappendix = "tables"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["audit", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'pyproject.toml'}: [tool.mlsysim.site] appendix = "
        f"{tmp_path / 'tables'} does not exist; give the folder of committed appendix tables "
        f"(write it with `mlsysim appendix build --out {tmp_path / 'tables'}`)")
    assert runner.invoke(app, ["appendix", "build", "--out", "tables", "--as-of",
                               AS_OF.isoformat()]).exit_code == 0
    result = runner.invoke(app, ["audit", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "7 appendix-drift" in gates_named(result.stdout.splitlines()[-1])
    result = runner.invoke(app, ["audit", "--no-config", "--as-of", AS_OF.isoformat()])
    assert gates_named(result.stdout.splitlines()[-1]) == ALWAYS


@pytest.mark.parametrize("command", [["audit", "--no-config"], ["site", "build", "--no-config"]])
def test_an_appendix_folder_that_does_not_exist_is_one_error_line(command, tmp_path):
    missing = tmp_path / "nope"
    result = runner.invoke(app, [*command, "--appendix", str(missing), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: --appendix {missing} does not exist; give the folder of committed appendix "
        f"tables (write it with `mlsysim appendix build --out {missing}`)")


def test_a_table_declaration_that_does_not_exist_is_one_error_line(tmp_path):
    result = audit("--appendix", str(tmp_path), "--tables", str(tmp_path / "tables.yaml"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: --tables {tmp_path / 'tables.yaml'} does not exist; give the table declaration "
        "the appendix was built from, or leave it out to use the shipped one")


def test_load_errors_of_a_gate_that_did_not_run_are_still_reported(zoo_data, monkeypatch):
    (zoo_data / "Hardware" / "Cloud" / "H100.yaml").write_text("name: [unclosed\n")
    monkeypatch.setattr(gates, "GATES", tuple(g for g in GATES if g.name != "invalid-entry"))
    report = audit_zoo(Zoo(zoo_data), as_of=AS_OF)
    assert [f.gate for f in report.errors if f.path.startswith("Hardware.Cloud.H100")
            or "H100.yaml" in f.path] == ["invalid-entry"]
    assert "invalid-entry" not in [gate.name for gate in report.gates]


def test_the_guide_lists_every_gate_in_the_order_of_the_list():
    rows = re.findall(r"^\| (?:(\d+) )?([a-z-]+) \| (.*) \|$", GUIDE.read_text(), re.MULTILINE)
    assert [(int(number) if number else None, name, text) for number, name, text in rows] == \
        [(gate.number, gate.name, f"{gate.title}.") for gate in GATES]


def test_a_gate_without_a_name_is_refused_where_it_is_written():
    with pytest.raises(TypeError, match="lineage gate Nameless needs a name"):
        class Nameless(Gate):
            title = "never"

            def check(self, context):
                return []
