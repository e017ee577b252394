"""`mlsysim serve` with --chunk-size, --prefix-hit-rate/--prefix-len and --disaggregate: the
numbers are the solvers', JSON output is one document, and the exit-code contract holds
(0 ok, 1 bad input, 2 out of memory, 3 SLO missed)."""

import json

import pytest
from typer.testing import CliRunner

from mlsysim.cli import app
from mlsysim.solvers import ChunkedPrefillModel, DisaggregatedServingModel, PrefixCachingModel

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, ["serve", *args, "-o", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_chunk_size_runs_chunked_prefill():
    code, doc = _json(["Llama3_8B", "H100", "--seq-len", "2048", "--output-tokens", "256",
                       "--chunk-size", "512", "-b", "64"])
    r = ChunkedPrefillModel().solve("Llama3_8B", "H100", 2048, 256, chunk_size=512,
                                    batch_size=64)
    assert code == 0 and doc["exit_code"] == 0
    assert doc["chunk_size"] == 512 and doc["chunks_per_prompt"] == 4
    assert doc["ttft"]["value"] == pytest.approx(r.ttft.m_as("s"))
    text = runner.invoke(app, ["serve", "Llama3_8B", "H100", "--chunk-size", "512", "-b", "64"])
    assert text.exit_code == 0
    assert text.output.startswith("Chunk 512 tokens (4 per prompt), batch 64: TTFT ")


def test_chunk_size_auto_searches_under_the_itl_slo_and_exits_3_when_missed():
    code, doc = _json(["Llama3_8B", "H100", "--chunk-size", "auto", "--slo-itl", "30ms"])
    assert code == 0 and doc["meets_slo"] and doc["max_step_time"]["value"] <= 0.030
    missed = runner.invoke(app, ["serve", "Llama3_8B", "H100", "--chunk-size", "auto",
                                 "--slo-itl", "1ms"])
    assert missed.exit_code == 3
    code, doc = _json(["Llama3_8B", "H100", "--chunk-size", "auto", "--slo-itl", "1ms"])
    assert code == 3 and doc["exit_code"] == 3 and doc["meets_slo"] is False


def test_prefix_caching_options():
    code, doc = _json(["Llama3_8B", "H100", "--prefix-hit-rate", "0.8", "--prefix-len", "1536",
                       "--slo-itl", "80ms"])
    r = PrefixCachingModel().solve("Llama3_8B", "H100", 2048, 256, 0.8, 1536, slo_itl="80 ms")
    assert code == 0 and doc["throughput_gain"] == pytest.approx(r.throughput_gain)
    assert doc["ttft_speedup"] == pytest.approx(r.ttft_speedup) and doc["ttft_speedup"] > 1
    assert doc["baseline"]["prefix_hit_rate"] == 0.0


def test_disaggregate_split_and_total():
    code, doc = _json(["Llama3_8B", "H100", "--disaggregate", "2:6", "--slo-ttft", "1s",
                       "--slo-itl", "40ms"])
    r = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256, prefill_gpus=2,
                                          decode_gpus=6, slo_ttft="1 s", slo_itl="40 ms")
    assert code == 0 and doc["prefill_gpus"] == 2 and doc["decode_gpus"] == 6
    assert doc["goodput"]["value"] == pytest.approx(r.goodput.m_as("1/s"))
    code, doc = _json(["Llama3_70B", "H100", "--tp", "4", "--disaggregate", "16",
                       "--slo-itl", "40ms"])
    assert code == 0 and doc["prefill_gpus"] + doc["decode_gpus"] == 16


def test_disaggregate_out_of_memory_exits_2():
    result = runner.invoke(app, ["serve", "Llama3_70B", "H100", "--disaggregate", "1:1"])
    assert result.exit_code == 2
    assert "infeasible: Memory wall: a prefill replica needs" in result.output
    code, doc = _json(["Llama3_70B", "H100", "--disaggregate", "1:1"])
    assert code == 2 and doc["exit_code"] == 2 and doc["feasible"] is False


@pytest.mark.parametrize("args, message", [
    (["--chunk-size", "0"], "--chunk-size must be a whole number of tokens >= 1 or 'auto', got '0'"),
    (["--chunk-size", "big"], "--chunk-size must be a whole number of tokens >= 1 or 'auto'"),
    (["--disaggregate", "2:x"], "--disaggregate must be PREFILL_GPUS:DECODE_GPUS"),
    (["--disaggregate", "1:2:3"], "--disaggregate must be PREFILL_GPUS:DECODE_GPUS"),
    (["--disaggregate", "0:4"], "--disaggregate must be PREFILL_GPUS:DECODE_GPUS"),
    (["--chunk-size", "64", "--disaggregate", "8"], "ask for different models"),
    (["--prefix-len", "100"], "--prefix-hit-rate is missing"),
    (["--prefix-hit-rate", "0.5"], "--prefix-len is missing"),
    (["--prefix-hit-rate", "1.5", "--prefix-len", "100"],
     "prefix_hit_rate must be in [0, 1], got 1.5"),
    (["--prefix-hit-rate", "0.5", "--prefix-len", "4096"],
     "prefix_len must be < input_tokens (2048)"),
    (["--chunk-size", "64", "--slo-ttft", "1s"], "--slo-ttft does not apply with --chunk-size"),
    (["--disaggregate", "8", "-b", "4"], "-b/--batch-size does not apply with --disaggregate"),
    (["--chunk-size", "64", "--arrival-rate", "2"], "--arrival-rate applies to plain"),
    (["--disaggregate", "3:4", "--tp", "2"], "prefill_gpus=3 is not a multiple"),
])
def test_bad_input_is_one_line_and_exit_1(args, message):
    result = runner.invoke(app, ["serve", "Llama3_8B", "H100", *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    as_json = runner.invoke(app, ["serve", "Llama3_8B", "H100", *args, "-o", "json"])
    assert as_json.exit_code == 1
    doc = json.loads(as_json.stdout)
    assert doc["exit_code"] == 1 and message in doc["error"]
