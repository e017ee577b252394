"""Engine.solve: the API example, a hand-worked roofline, errors that teach, and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import mlsysim
from mlsysim import Engine, Hardware, Models
from mlsysim.errors import InputError, OOMError, PrecisionError, UnknownNameError
from mlsysim.units import Quantity as Q


def test_api_example_returns_stable_fields_with_units():
    result = Engine.solve(model=Models.Language.Llama3_70B, hardware=Hardware.Cloud.H100,
                          batch_size=32, precision="fp16", efficiency=0.45)
    assert result.latency.dimensionality == Q(1, "s").dimensionality
    assert str(result.throughput.units) == "token / second"
    assert result.bottleneck in ("Compute", "Memory")
    assert 0 < result.mfu <= 1
    assert result.energy.dimensionality == Q(1, "J").dimensionality
    # 70.6 B parameters x 2 bytes = 141 GB of weights alone: it cannot fit in 80 GB.
    assert result.feasible is False
    assert result.memory_footprint > Q(140, "GB")
    assert any(line.startswith("Memory wall: needs") and "has 80 GB" in line
               for line in result.constraint_trace)


def test_hand_worked_llama3_8b_decode_on_h100():
    # Llama 3.1 8B, fp16, batch 1, context 2048, efficiency 0.5, on H100 SXM
    # (989.5 TFLOP/s fp16 dense, 3.35 TB/s, 80 GB, 700 W).
    weights = 8_030_261_248 * 2                       # 16.06 GB
    kv = 2 * 32 * 8 * 128 * 2 * 2048                  # 268 MB of K and V
    # 2 FLOP/param but none for the untied input embedding (2 x 128,256 x 4096), + attention
    flops = 16_060_522_496 - 1_050_673_152 + 4 * 32 * 2048 * 4096
    t_memory = (weights + kv) / 3.35e12               # 4.874 ms
    t_compute = flops / (0.5 * 989.5e12)              # 34.6 us
    result = Engine.solve("Llama3_8B", "H100", batch_size=1, precision="fp16", efficiency=0.5,
                          seq_len=2048, memory_efficiency=1.0)
    assert result.memory_time.m_as("s") == pytest.approx(t_memory, rel=1e-9)
    assert result.compute_time.m_as("s") == pytest.approx(t_compute, rel=1e-9)
    assert result.latency.m_as("ms") == pytest.approx(t_memory * 1e3, rel=1e-9)
    assert result.bottleneck == "Memory"
    assert result.throughput.m_as("token/s") == pytest.approx(1 / t_memory, rel=1e-9)
    assert result.mfu == pytest.approx(flops / t_memory / 989.5e12, rel=1e-9)
    assert result.energy.m_as("J") == pytest.approx(700 * t_memory, rel=1e-9)
    assert result.feasible and result.memory_footprint.m_as("B") == pytest.approx(weights + kv)


def test_hand_worked_resnet50_training_is_compute_bound():
    entry = Models.Vision.ResNet50
    flops = 3 * entry.flops_per_sample.m_as("FLOP/sample") * 256
    result = Engine.solve("ResNet50", "A100", batch_size=256, precision="fp16", efficiency=0.4,
                          is_training=True)
    assert result.bottleneck == "Compute"
    peak = Hardware.Cloud.A100.peak("fp16").m_as("FLOP/s")
    assert result.latency.m_as("s") == pytest.approx(flops / (0.4 * peak), rel=1e-9)
    assert result.mfu == pytest.approx(0.4)
    assert str(result.throughput.units) == "sample / second"


def test_names_resolve_like_objects():
    by_name = Engine.solve("Llama3_8B", "H100", batch_size=4)
    by_object = Engine.solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, batch_size=4)
    assert by_name.latency_s == by_object.latency_s


@pytest.mark.parametrize("kwargs, fragment", [
    ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
    ({"batch_size": 2.5}, "batch_size must be a whole number >= 1, got 2.5"),
    ({"efficiency": 0}, "efficiency must be in (0, 1]"),
    ({"efficiency": 1.5}, "got 1.5"),
    ({"precision": "fp12"}, "precision 'fp12' is not one mlsysim knows; use one of fp32"),
    ({"seq_len": -4}, "seq_len must be a whole number >= 1, got -4"),
])
def test_bad_input_names_input_value_and_fix(kwargs, fragment):
    args = {"model": "Llama3_8B", "hardware": "H100", **kwargs}
    with pytest.raises(InputError) as info:
        Engine.solve(**args)
    assert fragment in str(info.value)


def test_unsupported_precision_is_a_clear_error_not_a_fallback():
    with pytest.raises(PrecisionError) as info:
        Engine.solve("Llama3_8B", "MI300X", precision="int4")
    message = str(info.value)
    assert "lists no int4 peak" in message and "fp16" in message and "fall back" in message


def test_unknown_names_suggest_close_matches():
    with pytest.raises(UnknownNameError) as info:
        Engine.solve("Llama3_8b_typo", "H100")
    assert "model:" in str(info.value)
    with pytest.raises(UnknownNameError) as info:
        Engine.solve("Llama3_8B", "H10O")
    assert "did you mean Hardware.Cloud.H100" in str(info.value)


def test_oom_error_when_asked():
    with pytest.raises(OOMError) as info:
        Engine.solve("Llama3_70B", "H100", batch_size=32, raise_errors=True)
    assert "does not fit on NVIDIA H100" in str(info.value)
    assert info.value.required > info.value.available == 80e9
    assert mlsysim.OOMError is OOMError


def test_profile_json_form_is_plain():
    data = Engine.solve("Llama3_8B", "H100").to_dict()
    import json

    text = json.dumps(data)
    assert '"bottleneck": "Memory"' in text and data["feasible"] is True


# -- invariants -------------------------------------------------------------
_LLM = ["Llama3_8B", "Llama3_70B", "GPT2", "GPT3"]
_CHIPS_FP8 = ["H100", "H200", "B200", "MI300X"]


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(_LLM + ["ResNet50"]), chip=st.sampled_from(["H100", "A100", "MI300X"]),
       batch=st.integers(1, 512), extra=st.integers(1, 512), training=st.booleans())
def test_latency_non_decreasing_in_batch(model, chip, batch, extra, training):
    # At fixed efficiencies: the calibrated defaults switch class between batch 1
    # (single_stream) and larger batches (batch_inference) for per-sample models.
    fixed = {"efficiency": 0.5, "memory_efficiency": 1.0, "is_training": training}
    small = Engine.solve(model, chip, batch_size=batch, **fixed)
    large = Engine.solve(model, chip, batch_size=batch + extra, **fixed)
    assert large.latency_s >= small.latency_s


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(_LLM + ["ResNet50"]), chip=st.sampled_from(_CHIPS_FP8),
       batch=st.integers(1, 1024), eff=st.floats(0.05, 1.0), training=st.booleans())
def test_fp8_never_slower_than_fp16(model, chip, batch, eff, training):
    fp16 = Engine.solve(model, chip, batch_size=batch, precision="fp16", efficiency=eff,
                        is_training=training)
    fp8 = Engine.solve(model, chip, batch_size=batch, precision="fp8", efficiency=eff,
                       is_training=training)
    assert fp8.latency_s <= fp16.latency_s


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(_LLM), batch=st.integers(1, 64), seq=st.integers(1, 8192),
       eff=st.floats(0.05, 1.0))
def test_roofline_latency_is_the_larger_term_and_mfu_bounded(model, batch, seq, eff):
    seq = min(seq, Models.Language[model].context_length)  # longer is refused (an InputError)
    result = Engine.solve(model, "H100", batch_size=batch, seq_len=seq, efficiency=eff)
    assert result.latency_s == max(result.compute_time_s, result.memory_time_s)
    assert 0 < result.mfu <= eff + 1e-12


def test_sweep_matches_scalar_path_on_every_cell():
    models = ["Llama3_8B", "Llama3_70B", "ResNet50", "GPT2", "BERT_Large"]
    chips = ["H100", "A100", "MI300X", "TPUv4"]  # TPU v4 lists no fp16 or fp8
    batches = [1, 3, 64]
    precisions = ["fp16", "fp8", "int8"]
    for training in (False, True):
        result = Engine.sweep(models, chips, batches, precisions, 0.4, is_training=training)
        for i, m in enumerate(models):
            for j, h in enumerate(chips):
                for k, b in enumerate(batches):
                    for p, precision in enumerate(precisions):
                        cell = result.latency_s[i, j, k, p]
                        try:
                            scalar = Engine.solve(m, h, batch_size=b, precision=precision,
                                                  efficiency=0.4, is_training=training)
                        except PrecisionError:
                            assert cell != cell  # NaN where the chip lists no such peak
                            continue
                        assert cell == scalar.latency_s
                        assert result.throughput[i, j, k, p] == scalar.throughput_per_s
                        assert result.mfu[i, j, k, p] == scalar.mfu
                        assert bool(result.feasible[i, j, k, p]) == scalar.feasible
    assert result.size == 5 * 4 * 3 * 3
    assert result.best()["hardware"] in {"AMD Instinct MI300X", "NVIDIA H100 SXM5 80GB",
                                         "NVIDIA A100 SXM4 80GB"}


def test_chip_without_bandwidth_is_modeled_compute_only_and_says_so():
    result = Engine.solve("MobileNetV1_VWW", "ESP32_S3", precision="int8")
    assert result.memory_time_s == 0 and result.bottleneck == "Compute"
    assert any("no memory bandwidth" in line and "not modeled" in line
               for line in result.constraint_trace)


def test_sweep_defaults_are_the_calibrated_class_values_cell_by_cell():
    # ResNet-50 at batch 1 is single_stream, at 64 batch_inference; Llama decode is decode.
    models, chips, batches = ["ResNet50", "Llama3_8B"], ["H100", "A100"], [1, 64]
    result = Engine.sweep(models, chips, batches, ["fp16"])
    for i, m in enumerate(models):
        for j, h in enumerate(chips):
            for k, b in enumerate(batches):
                scalar = Engine.solve(m, h, batch_size=b, precision="fp16")
                assert result.latency_s[i, j, k, 0] == scalar.latency_s
