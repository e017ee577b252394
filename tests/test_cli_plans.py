"""`mlsysim eval` on plan files and scenarios, and `mlsysim schema`: exit codes 0-3,
JSON purity, and the error text for bad plans and unknown names."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from mlsysim.cli import app

runner = CliRunner()

PLAN = textwrap.dedent("""\
    name: Chatbot in Norway
    workload: Llama3_70B
    hardware: H100
    mode: serving
    batch_size: 4
    seq_len: 2048
    devices: 8
    region: Norway
    constraints: {{latency_sla: {sla}}}
    asserts:
      - performance.itl < {itl}
      - macro.carbon <= 100 tCO2e
    """)


def _plan(tmp_path, sla="2 s", itl="1 s", text=None):
    file = tmp_path / "plan.yaml"
    file.write_text(text if text is not None else PLAN.format(sla=sla, itl=itl))
    return str(file)


def test_plan_that_holds_exits_0(tmp_path):
    result = runner.invoke(app, ["eval", _plan(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Chatbot in Norway" in result.output
    assert "assert performance.itl < 1 s: holds" in result.output


def test_plan_whose_latency_assert_fails_exits_3(tmp_path):
    result = runner.invoke(app, ["eval", _plan(tmp_path, itl="1 us")])
    assert result.exit_code == 3
    assert "assert performance.itl < 1 us: fails: performance.itl =" in result.output


def test_plan_whose_sla_fails_exits_3_with_the_reason_in_json(tmp_path):
    result = runner.invoke(app, ["eval", _plan(tmp_path, sla="1 ms"), "-o", "json"])
    assert result.exit_code == 3
    data = json.loads(result.stdout)  # exactly one JSON document
    assert data["exit_code"] == 3 and data["performance.status"] == "FAIL"
    assert data["performance.reasons"][0].startswith("Latency wall")
    assert [a["passed"] for a in data["asserts"]] == [True, True]


def test_infeasible_scenario_exits_2(tmp_path):
    text = PLAN.format(sla="2 s", itl="1 s").replace("devices: 8", "devices: 1")
    result = runner.invoke(app, ["eval", _plan(tmp_path, text=text), "-o", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["feasibility.reasons"][0].startswith("Memory wall: needs")


@pytest.mark.parametrize("text, message", [
    ("workload: Llama3_70B\nhardware: H100\nbatch_size: 0\n", "batch_size: Input should be greater"),
    ("workload: Llama3_70B\nhardware: H100\ncolour: red\n", "unknown field 'colour'"),
    ("workload: Llama3_70B\nhardware: H100\nasserts: ['latency < 3 ms']\n",
     "is not '<level>.<metric> <op> <value>'"),
    ("workload: Llama3_70C\nhardware: H100\n", "workload: unknown name 'Llama3_70C'"),
    ("- just a list\n", "a plan is a mapping"),
])
def test_bad_plan_exits_1_with_a_clear_message(tmp_path, text, message):
    result = runner.invoke(app, ["eval", _plan(tmp_path, text=text), "-o", "json"])
    assert result.exit_code == 1
    assert message in json.loads(result.stdout)["error"]


def test_missing_plan_file_and_unknown_scenario(tmp_path):
    result = runner.invoke(app, ["eval", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(app, ["eval", "SmartDorbell"])
    assert result.exit_code == 1
    assert "did you mean Scenarios.Examples.SmartDoorbell" in result.output


def test_scenario_by_name_prints_the_scorecard():
    result = runner.invoke(app, ["eval", "SmartDoorbell"])
    assert result.exit_code == 0, result.output
    assert "Smart Doorbell" in result.output and "Verdict:" in result.output
    result = runner.invoke(app, ["eval", "SmartDoorbell", "-o", "markdown"])
    assert "| Feasibility |" in result.output


def test_schema_is_the_plan_json_schema():
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["title"] == "PlanFile"
    assert {"workload", "hardware", "constraints", "asserts"} <= set(schema["properties"])
    assert schema["required"] == ["workload", "hardware"]


def test_console_script_json_pipes_into_json_tool():
    # The issue's own check, through a real process: `mlsysim eval ... -o json | json.tool`.
    out = subprocess.run([sys.executable, "-m", "mlsysim", "eval", "Llama3_8B", "H100",
                          "-o", "json"], capture_output=True, text=True, check=True).stdout
    checked = subprocess.run([sys.executable, "-m", "json.tool"], input=out,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and json.loads(out)["feasible"] is True
