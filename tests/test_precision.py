"""Precision formats and weight-only pairs (issue 18): weights at one width, math at another."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlsysim import Engine
from mlsysim.cli import app
from mlsysim.engine import precision
from mlsysim.engine.checks import resolve_entry
from mlsysim.engine.figures import chip_figures
from mlsysim.errors import InputError, PrecisionError
from mlsysim.solvers import ServingModel

LLAMA_8B_PARAMS = 8_030_261_248  # Models.Language.Llama3_8B.parameters


@pytest.mark.parametrize("given, stored, math", [
    ("fp16", "fp16", "fp16"), ("int8", "int8", "int8"),      # one format: both the same
    ("w4a16", "int4", "fp16"), ("w8a16", "int8", "fp16"),    # the usual names
    ("int4/bf16", "int4", "bf16"), ("fp8/fp16", "fp8", "fp16"),  # WEIGHTS/MATH
])
def test_formats_split_weights_from_math(given, stored, math):
    assert precision.formats(given) == (stored, math)
    assert precision.bytes_per_value(given) == precision.BYTES_PER_VALUE[stored]
    assert precision.math_format(given) == math


def test_weight_only_keeps_activations_and_kv_cache_at_the_math_width():
    # w4a16 stores 0.5 B per weight but caches K/V at fp16 (2 B); int4 caches at 1 B (the floor).
    assert precision.activation_bytes("w4a16") == 2.0
    assert precision.activation_bytes("int4") == 1.0


@pytest.mark.parametrize("bad, why", [
    ("w3a16", "'w3a16' is not a weight-only pair mlsysim knows"),
    ("int4/fp7", "names 'fp7', not a format mlsysim knows"),
    ("fp16/int4", "stores weights (fp16) wider than its math (int4)"),
    ("int4/fp16/fp8", "'int4/fp16/fp8' is not one mlsysim knows"),
])
def test_a_bad_pair_is_one_line_naming_value_forms_and_example(bad, why):
    with pytest.raises(InputError) as info:
        Engine.solve("Llama3_8B", "H100", precision=bad)
    message = str(info.value)
    assert why in message
    assert "\n" not in message
    assert "a weight-only pair w4a16 or w8a16, or WEIGHTS/MATH such as 'int4/bf16'" in message
    assert "e.g. precision='w4a16'" in message


def test_a_pair_needs_the_chip_to_list_its_math_peak():
    # TPU v5p lists bf16 but no fp16 peak: w4a16 computes at fp16, so it is refused by name.
    with pytest.raises(PrecisionError) as info:
        Engine.solve("Llama3_8B", "TPUv5p", precision="w4a16")
    assert "lists no fp16 peak for the math of 'w4a16'" in str(info.value)
    assert Engine.solve("Llama3_8B", "TPUv5p", precision="int4/bf16").feasible


def test_int4_on_a_chip_without_an_int4_peak_points_at_w4a16():
    with pytest.raises(PrecisionError) as info:
        Engine.solve("Llama3_8B", "H100", precision="int4")
    assert "use precision='w4a16'" in str(info.value)


def test_w4a16_decode_step_by_hand():
    # Llama 3 8B, batch 1, context 2048 on H100, at 100% of both peaks:
    #   weights 8,030,261,248 x 0.5 B = 4,015,130,624 B (int4)
    #   KV cache 2 (K, V) x 32 layers x 8 KV heads x 128 dims x 2 B (fp16) x 2048 = 268,435,456 B
    #   memory time (4,015,130,624 + 268,435,456) / 3.35e12 B/s = 1.278676 ms
    #   compute at the fp16 peak 989.5 TFLOP/s (H100 lists no int4 peak), not at an int4 one.
    r = Engine.solve("Llama3_8B", "H100", batch_size=1, precision="w4a16", seq_len=2048,
                     efficiency=1.0, memory_efficiency=1.0)
    assert r.weights_bytes == pytest.approx(4_015_130_624)
    assert r.traffic_bytes == pytest.approx(4_283_566_080)
    assert r.latency_s == pytest.approx(4_283_566_080 / 3.35e12)
    assert r.peak_rate == pytest.approx(989.5e12) and r.rate_unit == "FLOP/s"
    assert any("weights stored as int4" in line for line in r.constraint_trace)
    assert any("(fp16 dense peak)" in line for line in r.constraint_trace)


def test_w8a16_differs_from_int8_in_kv_cache_and_peak():
    # Same 1 B weights; int8 caches K/V at 1 B and computes at 1979 TOPS, w8a16 at 2 B and
    # 989.5 TFLOP/s. KV difference at batch 1, 2048 tokens: 131,072 x 2048 x (2 - 1) B.
    w8a16 = Engine.solve("Llama3_8B", "H100", precision="w8a16", seq_len=2048)
    int8 = Engine.solve("Llama3_8B", "H100", precision="int8", seq_len=2048)
    assert w8a16.traffic_bytes - int8.traffic_bytes == pytest.approx(65_536 * 2048)
    assert int8.peak_rate == 2 * w8a16.peak_rate


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(["Llama3_8B", "Llama3_70B", "Mixtral8x7B", "GPT2"]),
       batch=st.integers(1, 256), seq=st.integers(1, 1024),
       pair=st.sampled_from([("w4a16", 1.5), ("w8a16", 1.0)]))
def test_weight_only_saves_exactly_the_weight_bytes(model, batch, seq, pair):
    # Same FLOPs, same peak, same KV cache; traffic falls by (2 - stored bytes) per weight read.
    name, saved = pair
    fp16 = Engine.solve(model, "H100", batch_size=batch, seq_len=seq, precision="fp16")
    quant = Engine.solve(model, "H100", batch_size=batch, seq_len=seq, precision=name)
    assert quant.flops_count == fp16.flops_count
    assert quant.compute_time_s == fp16.compute_time_s
    assert fp16.weights_bytes - quant.weights_bytes == pytest.approx(
        fp16.weights_bytes / 2 * saved)
    assert quant.traffic_bytes < fp16.traffic_bytes
    assert quant.latency_s <= fp16.latency_s


def test_sweep_accepts_pairs_and_matches_solve():
    result = Engine.sweep(["Llama3_8B"], ["H100", "TPUv5p"], [1, 16], ["fp16", "w4a16"])
    solo = Engine.solve("Llama3_8B", "H100", batch_size=16, precision="w4a16")
    assert result.latency_s[0, 0, 1, 1] == solo.latency_s
    assert not result.supported[1, 1]  # TPU v5p: no fp16 peak for w4a16's math
    assert any("lists no fp16 peak" in note for note in result.notes)


def test_serving_w4a16_quarters_the_weights_not_the_kv_cache():
    fp16 = ServingModel().solve("Llama3_70B", "H100", seq_len=4096)
    quant = ServingModel().solve("Llama3_70B", "H100", seq_len=4096, precision="w4a16")
    assert quant.model_weights_size.m_as("B") == pytest.approx(fp16.model_weights_size.m_as("B") / 4)
    assert quant.kv_cache_size == fp16.kv_cache_size
    assert quant.feasible and not fp16.feasible  # 141 GB of fp16 weights; 35 GB at 4 bits
    assert quant.itl < fp16.itl
    assert any("weights stored as int4" in line for line in quant.constraint_trace)


def test_cli_takes_pairs_and_explains_a_bad_one():
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "Llama3_70B", "H100", "-p", "w4a16"])
    assert ok.exit_code == 0, ok.output
    assert "(w4a16, batch 1)" in ok.output and "fits" in ok.output
    bad = runner.invoke(app, ["eval", "Llama3_8B", "H100", "-p", "w3a16"])
    assert bad.exit_code == 1
    assert "precision 'w3a16' is not a weight-only pair" in bad.output
    assert "e.g. precision='w4a16'" in bad.output


# -- fp8: the chip's own peak, never 2 x fp16 ----------------------------------
def _compute_time(chip, precision):
    return Engine.solve("Llama3_8B", chip, batch_size=64, precision=precision, seq_len=2048,
                        is_training=True, efficiency=0.5, memory_efficiency=1.0).compute_time_s


def test_fp8_speed_up_is_the_chips_own_ratio_not_an_assumed_2x():
    # Trainium1 lists fp8 at its fp16 rate (1x); Trainium3 at 3.75x; H100 1979 / 989.5 = 2x.
    # Compute time scales with 1 / peak (the same FLOPs), so the speed-up is the Zoo's ratio.
    for chip in ("Trainium1", "Trainium3", "H100", "Inferentia2"):
        peaks = chip_figures(resolve_entry(chip, "Hardware", "hardware")).peaks
        assert _compute_time(chip, "fp16") / _compute_time(chip, "fp8") == pytest.approx(
            peaks["fp8"] / peaks["fp16"], rel=1e-12)
    assert _compute_time("Trainium1", "fp16") == pytest.approx(_compute_time("Trainium1", "fp8"))


def test_a_chip_without_an_fp8_peak_is_refused_by_name():
    with pytest.raises(PrecisionError) as info:
        Engine.solve("Llama3_8B", "A100", precision="fp8")
    message = str(info.value)
    assert "lists no fp8 peak" in message and "does not silently fall back" in message
