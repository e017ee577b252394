"""Bad plan files: each is refused with one clear error naming the field, the value, the limit
and the fix, both by `mlsysim eval plan.yaml` (exit 1, one `error:` line or one JSON
document) and by the Python plan API (an InputError or UnknownNameError), never a traceback
or a silently passing scorecard."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from mlsysim.cli import app
from mlsysim.errors import InputError, MlsysimError, UnknownNameError
from mlsysim.scenarios.plan import evaluate_plan, load_plan

runner = CliRunner()

LLAMA_8B = "workload: Llama3_8B\nhardware: H100\n"
CHATBOT = "workload: Llama3_70B\nhardware: H100\nmode: serving\nseq_len: 2048\ndevices: 8\n"


def strict_json(text: str):
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


#: (plan text, fragments the error names: field, value, limit or fix).
BAD_PLANS = [
    pytest.param(LLAMA_8B + "mode: serving\n",
                 ["seq_len is required in serving mode", "seq_len: 2048", "131072"],
                 id="serving-without-seq_len"),
    pytest.param("workload: GPT2\nhardware: H100\nmode: serving\n",
                 ["seq_len is required", "seq_len: 1024"],
                 id="serving-without-seq_len-short-context"),
    pytest.param(LLAMA_8B + "constraints: {latency_sla: -5 ms}\n",
                 ["constraints.latency_sla", "positive", "-5 ms", "450 ms"], id="negative-sla"),
    pytest.param(LLAMA_8B + "constraints: {latency_sla: 0 ms}\n",
                 ["constraints.latency_sla", "positive", "0 ms"], id="zero-sla"),
    pytest.param(LLAMA_8B + "constraints: {latency_sla: nan ms}\n",
                 ["constraints.latency_sla", "nan"], id="nan-sla"),
    pytest.param(LLAMA_8B + "constraints: {latency_sla: inf ms}\n",
                 ["constraints.latency_sla", "inf"], id="infinite-sla"),
    pytest.param(LLAMA_8B + "constraints: {cost_budget: -1 USD}\n",
                 ["constraints.cost_budget", "positive", "-1 USD"], id="negative-budget"),
    pytest.param(LLAMA_8B + "constraints: {energy_budget: 0 MWh}\n",
                 ["constraints.energy_budget", "positive", "0 MWh"], id="zero-budget"),
    pytest.param(LLAMA_8B + "constraints: {power_budget: 3.5}\n",
                 ["constraints.power_budget", "unit", "3.5"], id="budget-without-unit"),
    pytest.param(LLAMA_8B + "constraints: {carbon_budget: 5 ms}\n",
                 ["constraints.carbon_budget", "5 ms", "tCO2e"], id="budget-wrong-dimension"),
    pytest.param(LLAMA_8B + "constraints: {required_rate: '9**9**9**9 sample/s'}\n",
                 ["constraints.required_rate", "9**9**9**9"], id="rate-exponent-tower"),
    pytest.param(CHATBOT + "tp_size: 3\n",
                 ["tp_size=3", "64 attention heads", "1, 2, 4, 8"], id="tp-not-dividing-heads"),
    pytest.param(CHATBOT.replace("devices: 8", "devices: 16") + "tp_size: 16\n",
                 ["tp_size=16", "8 accelerators of one node", "Systems.Nodes.DGX_H100"],
                 id="tp-over-node"),
    pytest.param(CHATBOT.replace("devices: 8", "devices: 16"),
                 ["devices=16", "without tp_size", "tp_size: 8"], id="default-tp-over-node"),
    pytest.param(CHATBOT + "tp_size: 16\n", ["tp_size=16", "devices=8"], id="tp-over-devices"),
    pytest.param(LLAMA_8B + "seq_len: 1000000\n", ["seq_len=1000000", "context length",
                                                   "131072"], id="seq_len-over-context"),
    pytest.param(CHATBOT.replace("seq_len: 2048", "seq_len: 200000"),
                 ["seq_len=200000", "131072"], id="serving-seq_len-over-context"),
    pytest.param(LLAMA_8B + "seq_len: .nan\n", ["seq_len", "nan"], id="seq_len-nan"),
    pytest.param(LLAMA_8B + "batch_size: 1e400\n", ["batch_size", "'1e400'"],
                 id="batch-text-1e400"),
    pytest.param(LLAMA_8B + "batch_size: 1.0e+400\n", ["batch_size", "inf"], id="batch-float-inf"),
    pytest.param(LLAMA_8B + "batch_size: 1" + "0" * 400 + "\n",
                 ["batch_size", "9007199254740992", "401 digits"], id="batch-over-1e308"),
    pytest.param(LLAMA_8B + "batch_size: '8'\n", ["batch_size", "'8'"], id="batch-quoted"),
    pytest.param(LLAMA_8B + "batch_size: 0\n", ["batch_size", "greater than or equal to 1",
                                                "got 0"], id="batch-zero"),
    pytest.param(LLAMA_8B + "duration_days: .inf\n", ["duration_days", "finite", "inf"],
                 id="duration-inf"),
    pytest.param(LLAMA_8B + "duration_days: -1\n", ["duration_days", "greater than 0", "-1"],
                 id="duration-negative"),
    pytest.param(LLAMA_8B + "utilization: .nan\n", ["utilization", "finite", "nan"],
                 id="utilization-nan"),
    pytest.param(LLAMA_8B + "efficiency: .nan\n", ["efficiency", "finite", "nan"],
                 id="efficiency-nan"),
    pytest.param(LLAMA_8B + "sequence_len: 2048\n",
                 ["unknown field 'sequence_len'", "did you mean seq_len"], id="unknown-field"),
    pytest.param(LLAMA_8B + "constraints: {latency: 10 ms}\n",
                 ["unknown field 'constraints.latency'", "latency_sla"],
                 id="unknown-constraint"),
    pytest.param("hardware: H100\n", ["workload: required field is missing"],
                 id="missing-workload"),
    pytest.param(LLAMA_8B + "asserts: ['performance.latency < nan ms']\n",
                 ["performance.latency < nan ms", "nan"], id="assert-nan"),
    pytest.param(LLAMA_8B + "asserts: ['performance.latency < 9**9**9**9 ms']\n",
                 ["9**9**9**9"], id="assert-exponent-tower"),
    pytest.param(LLAMA_8B + "asserts: ['performance.latency < 10 parsecs']\n",
                 ["10 parsecs", "10 ms"], id="assert-unknown-unit"),
    pytest.param(LLAMA_8B + "asserts: ['latency < 3 ms']\n",
                 ["'latency < 3 ms'", "<level>.<metric> <op> <value>"], id="assert-no-level"),
    pytest.param(LLAMA_8B + f"asserts: ['performance.latency < {'1' * 5000} ms']\n",
                 ["performance.latency", "characters"], id="assert-5k-digits"),
    pytest.param(f"workload: {'x' * 10000}\nhardware: H100\n",
                 ["workload", "(10002 characters)"], id="workload-10k-name"),
    pytest.param("workload: Llama3_70C\nhardware: H100\n",
                 ["workload", "'Llama3_70C'", "did you mean"], id="unknown-workload"),
    pytest.param("workload: ResNet50\nhardware: H100\nmode: serving\nseq_len: 128\n",
                 ["ResNet", "not a decoder"], id="serving-a-cnn"),
    pytest.param(LLAMA_8B + "precision: fp4\n", ["fp4", "it supports: fp32"],
                 id="precision-chip-lacks"),
]


def _plan(tmp_path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, fragments", BAD_PLANS)
def test_bad_plan_on_the_command_line(tmp_path, text, fragments):
    started = time.monotonic()
    result = runner.invoke(app, ["eval", _plan(tmp_path, text)])
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert len(lines[0]) < 800 and "Traceback" not in result.output and result.stdout == ""

    as_json = runner.invoke(app, ["eval", _plan(tmp_path, text), "-o", "json"])
    assert as_json.exit_code == 1 and as_json.stderr == ""
    document = strict_json(as_json.stdout)
    assert document["exit_code"] == 1
    for fragment in fragments:
        assert fragment in document["error"], (fragment, document["error"])


@pytest.mark.parametrize("text, fragments", BAD_PLANS)
def test_bad_plan_through_the_python_api(tmp_path, text, fragments):
    with pytest.raises((InputError, UnknownNameError)) as info:
        evaluate_plan(load_plan(_plan(tmp_path, text)))
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_missing_or_unreadable_plan_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_plan(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"does not exist.*mlsysim schema"):
        load_plan("x" * 10_000 + ".yaml")  # too long for the file system: no OSError


def test_good_serving_plan_still_passes(tmp_path):
    # The checks do not refuse a sound plan: one 8-GPU node, tp 8, context within the model's.
    result = runner.invoke(app, ["eval", _plan(tmp_path, CHATBOT + "tp_size: 8\n"), "-o", "json"])
    assert result.exit_code == 0, result.output
    assert strict_json(result.stdout)["feasibility.status"] == "PASS"


def test_good_plan_with_two_replicas(tmp_path):
    text = CHATBOT.replace("devices: 8", "devices: 16") + "tp_size: 8\n"
    evaluation, _ = evaluate_plan(load_plan(_plan(tmp_path, text)))
    assert evaluation.feasibility.status.value == "PASS"


def test_training_plan_without_seq_len_uses_the_default(tmp_path):
    # Training defaults seq_len (Literature.Calibration.DefaultSeqLen); it used to crash on
    # the token unit of that default.
    text = ("workload: Llama3_8B\nhardware: H100\nmode: training\nbatch_size: 1024\n"
            "devices: 1024\nfleet: Research_1024_H100\n")
    evaluation, _ = evaluate_plan(load_plan(_plan(tmp_path, text)))
    assert "training" in evaluation.setup


def test_every_plan_error_is_an_mlsysim_error(tmp_path):
    # Nothing from pint, pydantic or the OS escapes the plan API.
    for case in BAD_PLANS:
        text = case.values[0]
        try:
            evaluate_plan(load_plan(_plan(tmp_path, text)))
        except MlsysimError:
            continue
        pytest.fail(f"plan {case.id} was accepted")
