"""Bad command lines: every one exits 1 with one `error:` line naming the input and its value
(or, with -o json, exactly one standard JSON document on stdout), and never a traceback.

Exit-code contract (API.md, DESIGN.md §7b): 0 ok, 1 bad input, 2 out of memory, 3 a
constraint or assert failed. Click's own usage code (2) must never leak out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsysim.cli import app, main

runner = CliRunner()

LONG = "x" * 10_000
DIGITS = "9" * 10_000


def strict_json(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (not standard JSON)."""
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def _error_line(result) -> str:
    """The one stderr line of a failed command; fails unless there is exactly one."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


#: (command line, fragments the error must contain: the input and the value it got).
#: ``json`` False: the command has no -o option, or -o is itself what is wrong.
BAD = [
    pytest.param(["eval", "Llama3_8B", "H100", "--bogus"], ["--bogus"], True, id="unknown-option"),
    pytest.param(["eval"], ["Missing argument", "model"], True, id="missing-argument"),
    pytest.param(["eval", "Llama3_8B", "H100", "-b", "abc"], ["--batch-size", "'abc'"], True,
                 id="batch-not-a-number"),
    pytest.param(["eval", "Llama3_8B", "H100", "-b", "1e400"], ["--batch-size", "'1e400'"], True,
                 id="batch-float-overflow"),
    pytest.param(["eval", "Llama3_8B", "H100", "--batch-size=2.5"], ["--batch-size", "'2.5'"],
                 True, id="batch-fraction"),
    pytest.param(["eval", "Llama3_8B", "H100", "-b", "0"], ["batch_size", "got 0"], True,
                 id="batch-zero"),
    pytest.param(["eval", "Llama3_8B", "H100", "-b", "1" + "0" * 400],
                 ["batch_size", "at most", "401 digits"], True, id="batch-over-1e308"),
    pytest.param(["eval", "Llama3_8B", "H100", "-b", DIGITS],
                 ["--batch-size", "(10002 characters)"], True, id="batch-10k-digits"),
    pytest.param(["eval", "Llama3_8B", "H100", "-o", "yaml"], ["--output", "'yaml'"], False,
                 id="output-yaml"),
    pytest.param(["eval", "Llama3_8B", "H100", "-o", LONG], ["--output", "(10002 characters)"],
                 False, id="output-10k"),
    pytest.param(["eval", "Llama3_8B", "H100", "-e", "nan"], ["efficiency", "got nan"], True,
                 id="efficiency-nan"),
    pytest.param(["eval", "Llama3_8B", "H100", "-e", "inf"], ["efficiency", "got inf"], True,
                 id="efficiency-inf"),
    pytest.param(["eval", "Llama3_8B", "H100", "-e", "1e999"], ["efficiency", "got inf"], True,
                 id="efficiency-overflow"),
    pytest.param(["eval", "Llama3_8B", "H100", "-e", DIGITS], ["efficiency", "got inf"], True,
                 id="efficiency-10k-digits"),
    pytest.param(["eval", "Llama3_8B", "H100", "-p", "fp4"], ["fp4", "it supports: fp32"], True,
                 id="precision-chip-lacks"),
    pytest.param(["eval", "Llama3_8B", "H100", "-p", "fp64"], ["'fp64'", "use one of fp32"], True,
                 id="precision-not-modeled"),
    pytest.param(["eval", "Llama3_8B", "H100", "--seq-len", "1000000"],
                 ["seq_len=1000000", "131072"], True, id="seq-over-context"),
    pytest.param(["eval", "Llama3_8B", "H100", "--seq-len", "0"], ["seq_len", "got 0"], True,
                 id="seq-zero"),
    pytest.param(["eval", "H10", "Llama3_8B"], ["model", "'H10'"], True, id="unknown-model"),
    pytest.param(["eval", LONG, "H100"], ["model", "(10002 characters)"], True,
                 id="model-10k-name"),
    pytest.param(["eval", LONG], ["(10002 characters)", "plan file or scenario"], True,
                 id="target-10k-name"),
    pytest.param(["eval", "SmartDoorbell", "-b", "4"], ["-b/--batch-size", "'SmartDoorbell'"],
                 True, id="pass-option-with-scenario"),
    pytest.param(["serve", "Llama3_70B", "H100", "--tp", "3"],
                 ["tp_size=3", "64 attention heads", "1, 2, 4, 8"], True, id="tp-not-dividing"),
    pytest.param(["serve", "Llama3_70B", "H100", "--tp", "16"],
                 ["tp_size=16", "8 accelerators of one node"], True, id="tp-over-node"),
    pytest.param(["serve", "Llama3_8B", "H100", "--seq-len", "200000"],
                 ["seq_len=200000", "131072"], True, id="serve-seq-over-context"),
    pytest.param(["serve", "Llama3_8B", "H100", "--tp", "x"], ["--tp", "'x'"], True,
                 id="tp-not-a-number"),
    pytest.param(["serve", "ResNet50", "H100"], ["ResNet", "not a decoder"], True,
                 id="serve-not-a-decoder"),
    pytest.param(["zoo", "Hardwar"], ["Hardwar"], True, id="zoo-unknown-namespace"),
    pytest.param(["zoo", LONG], ["NAMESPACE", "(10002 characters)"], True, id="zoo-10k-name"),
    pytest.param(["zoo", "-o", "yaml"], ["--output", "'yaml'"], False, id="zoo-output-yaml"),
    pytest.param(["zoo", "--as-of", "2026-13-45"], ["--as-of", "'2026-13-45'"], True,
                 id="zoo-bad-date"),
    pytest.param(["show"], ["Missing argument", "name"], True, id="show-missing-name"),
    pytest.param(["show", "H100.memory.bandwith"], ["memory.bandwith"], True,
                 id="show-unknown-field"),
    pytest.param(["show", LONG], ["NAME", "(10002 characters)"], True, id="show-10k-name"),
    pytest.param(["show", "H100", "--as-of", "soon"], ["--as-of", "'soon'"], True,
                 id="show-bad-date"),
    pytest.param(["schema", "--bogus"], ["--bogus"], True, id="schema-unknown-option"),
    pytest.param(["validate", "-o", "yaml"], ["--output", "'yaml'"], False,
                 id="validate-output-yaml"),
    pytest.param(["audit", "--as-of", "soon"], ["--as-of", "'soon'"], False, id="audit-bad-date"),
    pytest.param(["audit", "--scope", "Hardwear"], ["--scope", "'Hardwear'"], False,
                 id="audit-unknown-scope"),
    pytest.param(["audit", "--bogus"], ["--bogus"], False, id="audit-unknown-option"),
    pytest.param(["site", "build", "--bogus"], ["--bogus"], False, id="site-unknown-option"),
    pytest.param(["appendix", "build"], ["Missing option", "--out"], False,
                 id="appendix-missing-out"),
    pytest.param(["appendix", "build", "--out", "/dev/null/tables"], ["--out", "/dev/null/tables"],
                 False, id="appendix-out-unwritable"),
    pytest.param(["appendix", "check", "/nonexistent/tables"], ["'/nonexistent/tables'"], False,
                 id="appendix-check-missing-folder"),
    pytest.param(["appendix", "check", "/tmp", "--as-of", "soon"], ["--as-of", "'soon'"], False,
                 id="appendix-bad-date"),
    pytest.param(["nonexistent"], ["nonexistent"], False, id="unknown-command"),
]


@pytest.mark.parametrize("args, fragments, has_json", BAD)
def test_bad_command_line_is_one_error_line_and_exit_1(args, fragments, has_json):
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    line = _error_line(result)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert "Traceback" not in result.output and len(line) < 700
    assert result.stdout == ""


@pytest.mark.parametrize("args, fragments, has_json", [case for case in BAD if case.values[2]])
def test_bad_command_line_with_json_output_is_one_json_document(args, fragments, has_json):
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "" and "Traceback" not in result.output
    document = strict_json(result.stdout)  # exactly one document: json.loads refuses more
    assert set(document) == {"error", "exit_code"} and document["exit_code"] == 1
    assert "\n" not in document["error"]
    for fragment in fragments:
        assert fragment in document["error"], (fragment, document["error"])


@pytest.mark.parametrize("spelling", [["-o", "json"], ["--output", "json"], ["--output=json"],
                                      ["-ojson"]])
def test_every_spelling_of_json_output_gives_json_errors(spelling):
    result = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-b", "abc", *spelling])
    assert result.exit_code == 1
    assert "'abc'" in strict_json(result.stdout)["error"]


@pytest.mark.parametrize("args", [
    ["eval", "Llama3_8B", "H100"],
    ["eval", "Llama3_70B", "H100", "-b", "64"],           # out of memory: exit 2
    ["eval", "MobileNetV1_VWW", "ESP32_S3", "-p", "int8"],  # no memory bandwidth, no TDP
    ["eval", "KeywordSpotting"],
    ["eval", "ChatbotServing"],
    ["eval", "FrontierTraining"],
    ["serve", "Llama3_8B", "H100"],
    ["serve", "Llama3_2_1B", "AppleA17Pro", "-p", "int8"],
    ["zoo", "Hardware.Tiny"],
    ["show", "ESP32_S3"],
    ["schema"],
])
def test_json_output_is_standard_json(args):
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code in (0, 2, 3), result.output
    strict_json(result.stdout)  # raises on NaN or Infinity


def test_no_infinite_or_nan_number_reaches_json(monkeypatch):
    # A result holding inf and NaN (as a solver may for extreme inputs) is written as null.
    from mlsysim.engine.profile import PerformanceProfile

    original = PerformanceProfile.to_dict
    monkeypatch.setattr(PerformanceProfile, "to_dict", lambda self: {
        **original(self), "latency_s": float("inf"), "mfu": float("nan")})
    result = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-o", "json"])
    document = strict_json(result.stdout)
    assert document["latency_s"] is None and document["mfu"] is None


def test_exit_codes_out_of_memory_and_constraint_keep_their_meaning():
    oom = runner.invoke(app, ["eval", "Llama3_70B", "H100", "-b", "64"])
    assert oom.exit_code == 2
    tight = runner.invoke(app, ["eval", "ChatbotServing", "-o", "json"])
    assert tight.exit_code in (0, 3)
    assert strict_json(tight.stdout)["exit_code"] == tight.exit_code


def test_suggested_precisions_are_accepted():
    result = runner.invoke(app, ["eval", "Llama3_8B", "TPUv4", "-p", "fp99"])
    line = _error_line(result)
    suggested = line.split("use one of ")[1].split(" (")[0].split(", ")
    assert suggested and "fp99" not in suggested
    for precision in suggested:
        ok = runner.invoke(app, ["eval", "Llama3_8B", "TPUv4", "-p", precision])
        assert ok.exit_code in (0, 2), (precision, ok.output)


def test_internal_error_is_one_line_not_a_traceback(monkeypatch):
    from mlsysim.engine import Engine

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Engine, "solve", staticmethod(broken))
    monkeypatch.delenv("MLSYSIM_TRACEBACK", raising=False)
    result = runner.invoke(app, ["eval", "Llama3_8B", "H100"])
    assert result.exit_code == 1
    line = _error_line(result)
    assert "internal error" in line and "simulated bug" in line and "report" in line
    json_result = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-o", "json"])
    assert "simulated bug" in strict_json(json_result.stdout)["error"]


def test_main_returns_the_exit_code():
    assert main(["--help"]) == 0
    assert main(["eval", "Llama3_8B", "H100", "--bogus"]) == 1
    assert main(["eval", "Llama3_70B", "H100", "-b", "64"]) == 2
    assert main(["zoo", "-o", "yaml"]) == 1


def test_no_command_prints_help_and_exits_1():
    result = runner.invoke(app, [])
    assert result.exit_code == 1 and "Usage: mlsysim" in result.output


def _script() -> list[str]:
    script = Path(sys.executable).with_name("mlsysim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlsysim"]


@pytest.mark.parametrize("launcher", ["module", "script"])
@pytest.mark.parametrize("args, fragment", [
    (["eval", "Llama3_8B", "H100", "--bogus"], "--bogus"),
    (["eval", "Llama3_8B", "H100", "-b", "abc"], "'abc'"),
    (["eval", "Llama3_8B", "H100", "-e", "nan"], "nan"),
])
def test_installed_entry_points_keep_the_contract(launcher, args, fragment):
    command = [sys.executable, "-m", "mlsysim"] if launcher == "module" else _script()
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("MLSYSIM_TRACEBACK", None)
    plain = subprocess.run([*command, *args], capture_output=True, text=True, env=env,
                           timeout=120)
    assert plain.returncode == 1, plain.stderr
    lines = plain.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]
    assert "Traceback" not in plain.stderr and plain.stdout == ""
    as_json = subprocess.run([*command, *args, "-o", "json"], capture_output=True, text=True,
                             env=env, timeout=120)
    assert as_json.returncode == 1 and as_json.stderr == ""
    assert fragment in strict_json(as_json.stdout)["error"]
