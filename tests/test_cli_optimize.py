"""``mlsysim optimize parallelism|batching|placement|synthesis`` under the exit-code contract:
0 found, 1 bad input (one ``error:`` line), 2 nothing fits, 3 a target nothing meets; with
``-o json`` exactly one JSON document, errors included."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mlsysim.cli import app, main
from mlsysim.optimizers import BatchingOptimizer, ParallelismOptimizer
from mlsysim.solvers import SynthesisModel

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, ["optimize", *args, "-o", "json"])
    return result, json.loads(result.stdout)


def test_optimize_lists_its_four_commands():
    result = runner.invoke(app, ["optimize", "--help"])
    assert result.exit_code == 0
    for name in ("parallelism", "batching", "placement", "synthesis"):
        assert name in result.output
        assert runner.invoke(app, ["optimize", name, "--help"]).exit_code == 0


def test_parallelism_prints_the_api_answer():
    args = ["parallelism", "Llama3_8B", "H100", "--devices", "16", "-b", "64",
            "--max-microbatches", "8"]
    api = ParallelismOptimizer().optimize("Llama3_8B", hardware="H100", devices=16,
                                          batch_size=64, max_microbatches=8)
    result, document = _json(args)
    assert result.exit_code == 0 and document["exit_code"] == 0
    assert document["parallelism"] == api.parallelism
    assert document["step_time"]["value"] == api.step_time.m_as("s")
    assert len(document["front"]) == len(api.front)
    text = runner.invoke(app, ["optimize", *args])
    layout = ", ".join(f"{k} {api.parallelism[k]}" for k in ("dp", "tp", "pp", "ep",
                                                             "microbatches"))
    assert text.output.startswith(f"Fastest layout of 16 accelerators: {layout} -> step ")


def test_parallelism_that_fits_nowhere_exits_2():
    result = runner.invoke(app, ["optimize", "parallelism", "Llama3_70B", "DGX_H100", "-b", "8"])
    assert result.exit_code == 2
    assert "No layout of 8 accelerators fits" in result.stdout
    assert "infeasible: No layout fits: every layout that passes the divisibility checks " \
           "runs out of memory" in result.stderr
    as_json, document = _json(["parallelism", "Llama3_70B", "DGX_H100", "-b", "8"])
    assert as_json.exit_code == 2 and document["exit_code"] == 2
    assert document["infeasible"]["out of memory"] == document["evaluated"]


def test_batching_prints_the_api_answer():
    api = BatchingOptimizer().optimize("Llama3_8B", "H100", 512, 128, slo_itl="40 ms")
    result, document = _json(["batching", "Llama3_8B", "H100", "--input-tokens", "512",
                              "--output-tokens", "128", "--slo-itl", "40ms"])
    assert result.exit_code == 0
    assert (document["batch_size"], document["largest_batch"]) == (api.batch_size,
                                                                   api.largest_batch)


def test_an_slo_nothing_meets_exits_3_with_the_reason():
    result = runner.invoke(app, ["optimize", "batching", "Llama3_8B", "H100",
                                 "--slo-itl", "0.1ms"])
    assert result.exit_code == 3
    assert result.stdout.startswith("No batch meets the SLOs")
    assert "constraint violated: No searched batch meets ITL <= 100 µs" in result.stderr
    synthesis = runner.invoke(app, ["optimize", "synthesis", "Llama3_8B", "--slo-itl", "0.1ms",
                                    "--hardware", "H100,A100"])
    assert synthesis.exit_code == 3
    assert "constraint violated: no accelerator meets the targets: H100: tp 1: no batch " \
           "meets the SLOs" in synthesis.stderr


def test_placement_and_synthesis_print_their_best():
    result, document = _json(["placement", "Llama3_8B", "--tokens", "1e11", "--hardware",
                              "H100,A100", "--grid", "Norway,Poland"])
    assert result.exit_code == 0
    assert document["best"]["grid_path"] == "Infrastructure.Grids.Norway"
    assert document["evaluated"] == 4
    api = SynthesisModel().solve("Llama3_8B", throughput="10000 token/s", slo_itl="50 ms",
                                 hardware=["H100", "A100"])
    result, document = _json(["synthesis", "Llama3_8B", "--throughput", "10000", "--slo-itl",
                              "50ms", "--hardware", "H100,A100"])
    assert result.exit_code == 0
    assert (document["hardware"], document["devices"]) == (api.hardware, api.devices)
    text = runner.invoke(app, ["optimize", "synthesis", "Llama3_8B", "--throughput", "10000",
                               "--slo-itl", "50ms", "--hardware", "H100,A100"])
    assert text.output.startswith(f"Cheapest: {api.devices} x {api.hardware} ")


def test_bad_input_is_one_line_and_exit_1():
    cases = [
        (["batching", "NoSuchModel", "H100"], "unknown name 'NoSuchModel'"),
        (["parallelism", "Llama3_8B", "H100", "--devices", "12", "-b", "8"],
         "devices=12 is not a whole number of"),
        (["batching", "Llama3_8B", "H100", "--slo-itl", "fast"],
         "--slo-itl must be a time such as 50ms, got 'fast'"),
        (["placement", "Llama3_8B", "--tokens", "1e11", "--objective", "green"],
         "objective must be one of carbon, cost, got 'green'"),
        (["synthesis", "Llama3_8B", "--throughput", "-5"],
         "--throughput must be a finite number > 0, got -5.0"),
        (["placement", "Llama3_8B", "--tokens", "1e11", "--grid", "Atlantis"], "Atlantis"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["optimize", *args])
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], \
            (args, result.stderr)
        as_json = runner.invoke(app, ["optimize", *args, "-o", "json"])
        document = json.loads(as_json.stdout)
        assert as_json.exit_code == 1 and document["exit_code"] == 1
        assert message in document["error"]
    assert main(["optimize", "batching", "Llama3_8B", "H100", "--tp", "3"]) == 1


def test_search_limits_below_one_name_the_option(capsys):
    for option in ("--max-cp", "--max-microbatches"):
        code = main(["optimize", "parallelism", "Llama3_8B", "H100", "--devices", "16", "-b",
                     "2", option, "0"])
        err = capsys.readouterr().err
        assert code == 1, err
        assert f"'{option}'" in err and "greater than or equal to 1" in err and "got '0'" in err
