"""Bad Python API calls: each raises an mlsysim error (InputError, PrecisionError,
UnknownNameError) whose one-line message names the argument, the value and the fix, never a
raw AttributeError, TypeError or OverflowError from pint, pydantic or NumPy, and never a
silent default (``is_training='no'`` meaning training, an ignored sort field)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlsysim
from mlsysim import Engine, Hardware, Literature, Models, Scenarios, ureg
from mlsysim.errors import InputError, MlsysimError, PrecisionError, UnknownNameError
from mlsysim.solvers import (CheckpointModel, DistributedModel, EconomicsModel,
                             ReliabilityModel, ServingModel, SustainabilityModel)

NAN, INF, HUGE = float("nan"), float("inf"), 10 ** 400


def _cluster():
    return mlsysim.Systems.Clusters.Research_1024_H100


#: (call, error type, fragments of the message: the argument, the value, the limit or fix).
BAD_CALLS = [
    # Engine.solve: wrong types and non-finite or huge numbers
    pytest.param(lambda: Engine.solve(model=3, hardware="H100"), InputError,
                 ["model must be a Models entry", "int 3"], id="model-int"),
    pytest.param(lambda: Engine.solve("Llama3_8B", None), InputError,
                 ["hardware must be a Hardware entry", "None"], id="hardware-none"),
    pytest.param(lambda: Engine.solve(Hardware.Cloud.H100, Models.Language.Llama3_8B),
                 InputError, ["model must be", "HardwareNode Hardware.Cloud.H100"],
                 id="model-and-hardware-swapped"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", batch_size="8"), InputError,
                 ["batch_size", "'8'", "batch_size=8"], id="batch-text"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", batch_size="9" * 10_000), InputError,
                 ["batch_size", "(10002 characters)"], id="batch-10k-digit-text"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", batch_size=8.0), InputError,
                 ["batch_size", "8.0", "batch_size=8"], id="batch-float"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", batch_size=HUGE), InputError,
                 ["batch_size must be at most", "401 digits"], id="batch-over-1e308"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", batch_size=True), InputError,
                 ["batch_size", "True"], id="batch-bool"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", efficiency=NAN), InputError,
                 ["efficiency must be in (0, 1]", "nan"], id="efficiency-nan"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", efficiency=INF), InputError,
                 ["efficiency", "inf"], id="efficiency-inf"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", efficiency=HUGE), InputError,
                 ["efficiency", "401 digits"], id="efficiency-huge"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", efficiency="0.5"), InputError,
                 ["efficiency", "'0.5'"], id="efficiency-text"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", memory_efficiency=NAN), InputError,
                 ["memory_efficiency", "nan"], id="memory-efficiency-nan"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", precision=None), InputError,
                 ["precision None", "use one of fp32"], id="precision-none"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", precision=["fp16"]), InputError,
                 ["precision", "['fp16']"], id="precision-list"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", precision="fp4"), PrecisionError,
                 ["lists no fp4 peak", "fp16"], id="precision-chip-lacks"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", is_training="no"), InputError,
                 ["is_training must be True or False", "'no'"], id="is-training-text"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", is_training=1), InputError,
                 ["is_training", "1"], id="is-training-int"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", raise_errors="yes"), InputError,
                 ["raise_errors", "'yes'"], id="raise-errors-text"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", seq_len=HUGE), InputError,
                 ["seq_len must be at most", "401 digits"], id="seq-over-1e308"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", seq_len=10 ** 9), InputError,
                 ["seq_len=1000000000", "context length", "131072"], id="seq-over-context"),
    pytest.param(lambda: Engine.solve("Llama3_8B", "H100", seq_len=NAN), InputError,
                 ["seq_len", "nan"], id="seq-nan"),
    pytest.param(lambda: Engine.solve("x" * 10_000, "H100"), UnknownNameError,
                 ["model", "(10002 characters)"], id="model-10k-name"),
    pytest.param(lambda: Engine.solve("Llama3_8B" + "x" * 100, "H100"), UnknownNameError,
                 ["model", "characters)"], id="model-long-name"),
    # Serving and training: tensor parallelism and context limits
    pytest.param(lambda: ServingModel().solve("Llama3_8B", "H100", seq_len=None), InputError,
                 ["seq_len", "None"], id="serving-seq-none"),
    pytest.param(lambda: ServingModel().solve("Llama3_70B", "H100", seq_len=1024, tp_size=3),
                 InputError, ["tp_size=3", "64 attention heads", "1, 2, 4, 8"],
                 id="serving-tp-not-dividing"),
    pytest.param(lambda: ServingModel().solve("Llama3_70B", "H100", seq_len=1024, tp_size=16),
                 InputError, ["tp_size=16", "8 accelerators", "DGX_H100"],
                 id="serving-tp-over-node"),
    pytest.param(lambda: ServingModel().solve("GPT2", "H100", seq_len=512, tp_size=16),
                 InputError, ["tp_size=16", "use one of 1, 5"], id="serving-tp-suggests-valid"),
    pytest.param(lambda: ServingModel().solve("Llama3_8B", "H100", seq_len=10 ** 7),
                 InputError, ["seq_len=10000000", "131072"], id="serving-seq-over-context"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024, overlap="x"),
                 InputError, ["overlap must be in [0, 1]", "'x'"], id="overlap-text"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024, overlap=NAN),
                 InputError, ["overlap", "nan"], id="overlap-nan"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", 3, 1024), InputError,
                 ["fleet must be", "int"], id="fleet-int"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", "H100", 1024), InputError,
                 ["fleet must be", "Hardware.Cloud.H100"], id="fleet-bare-chip"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024,
                                                  zero_stage=True), InputError,
                 ["zero_stage", "True"], id="zero-stage-bool"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024,
                                                  activation_recomputation="no"), InputError,
                 ["activation_recomputation must be True or False", "'no'"],
                 id="recomputation-text"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024,
                                                  allreduce=["ring"]), InputError,
                 ["allreduce must be one of", "['ring']"], id="allreduce-list"),
    pytest.param(lambda: DistributedModel().solve("GPT2", _cluster(), 1024, tp_size=2,
                                                  seq_len=1024),
                 InputError, ["tp_size=2", "25 attention heads", "1, 5"],
                 id="training-tp-not-dividing"),
    pytest.param(lambda: DistributedModel().solve("Llama3_8B", _cluster(), 1024,
                                                  seq_len=10 ** 6), InputError,
                 ["seq_len=1000000", "131072"], id="training-seq-over-context"),
    # Macro solvers
    pytest.param(lambda: SustainabilityModel().solve(Hardware.Cloud.H100, HUGE), InputError,
                 ["duration_days", "finite", "401 digits"], id="duration-over-1e308"),
    pytest.param(lambda: SustainabilityModel().solve(Hardware.Cloud.H100, NAN), InputError,
                 ["duration_days", "nan"], id="duration-nan"),
    pytest.param(lambda: SustainabilityModel().solve(Hardware.Cloud.H100, 10, devices=HUGE),
                 InputError, ["devices must be at most", "401 digits"], id="devices-huge"),
    pytest.param(lambda: SustainabilityModel().solve(Hardware.Cloud.H100, 10, pue=0.5),
                 InputError, ["pue must be >= 1", "0.5"], id="pue-below-1"),
    pytest.param(lambda: EconomicsModel().solve(Hardware.Cloud.H100, 10,
                                                maintenance_fraction=NAN), InputError,
                 ["maintenance_fraction must be in [0, 1]", "nan"], id="maintenance-nan"),
    pytest.param(lambda: EconomicsModel().solve(Hardware.Cloud.H100, 10, kwh_price="abc"),
                 InputError, ["kwh_price", "'abc'"], id="kwh-price-text"),
    pytest.param(lambda: EconomicsModel().solve(Hardware.Cloud.H100, 10,
                                                unit_price=ureg.Quantity(INF, "USD")),
                 InputError, ["unit_price", "finite"], id="unit-price-inf"),
    pytest.param(lambda: ReliabilityModel().solve(Hardware.Cloud.H100, INF), InputError,
                 ["job_duration_hours", "inf"], id="job-inf"),
    pytest.param(lambda: ReliabilityModel().solve(Hardware.Cloud.H100, 10,
                                                  checkpoint_time_s=None), InputError,
                 ["checkpoint_time_s", "None"], id="checkpoint-time-none"),
    pytest.param(lambda: CheckpointModel().solve("Llama3_8B", include_optimizer="no"),
                 InputError, ["include_optimizer", "'no'"], id="include-optimizer-text"),
    pytest.param(lambda: CheckpointModel().solve("Llama3_8B", storage_bandwidth=HUGE),
                 InputError, ["storage_bandwidth", "401 digits"], id="storage-bandwidth-huge"),
    # Scenarios
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(seq_len=None), InputError,
                 ["seq_len is required in serving mode", "seq_len: 2048"],
                 id="scenario-seq-none"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(latency_sla="-1 ms"), InputError,
                 ["latency_sla", "positive", "-1 ms"], id="scenario-negative-sla"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(
        latency_sla=ureg.Quantity(NAN, "ms")), InputError, ["latency_sla", "nan"],
                 id="scenario-nan-sla-quantity"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(cost_budget="0 USD"), InputError,
                 ["cost_budget", "positive", "0 USD"], id="scenario-zero-budget"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(batch_size="8"), InputError,
                 ["batch_size", "'8'"], id="scenario-batch-text"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(batch_size=HUGE), InputError,
                 ["batch_size", "401 digits"], id="scenario-batch-huge"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(duration_days=INF), InputError,
                 ["duration_days", "finite", "inf"], id="scenario-duration-inf"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(efficiency=NAN), InputError,
                 ["efficiency", "nan"], id="scenario-efficiency-nan"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(tp_size=3), InputError,
                 ["tp_size=3", "64 attention heads"], id="scenario-tp-not-dividing"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(tp_size=16), InputError,
                 ["tp_size=16", "devices=8"], id="scenario-tp-over-devices"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(devices=16, tp_size=None),
                 InputError, ["devices=16", "tp_size"], id="scenario-default-tp-over-node"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(seq_len=10 ** 6), InputError,
                 ["seq_len=1000000", "131072"], id="scenario-seq-over-context"),
    pytest.param(lambda: Scenarios.ChatbotServing.evaluate(**{"x" * 1000: 1}), InputError,
                 ["unknown override", "characters)"], id="scenario-long-override-name"),
    # Registry entries and namespaces
    pytest.param(lambda: Hardware.Cloud.H100.provenance_for("nope"), UnknownNameError,
                 ["Hardware.Cloud.H100 has no field 'nope'", "memory.*"],
                 id="provenance-for-unknown-field"),
    pytest.param(lambda: Hardware.Cloud.H100.provenance_for("memory.bandwith"),
                 UnknownNameError, ["'memory.bandwith'", "did you mean memory.bandwidth"],
                 id="provenance-for-typo"),
    pytest.param(lambda: Hardware.Cloud.H100.provenance_for("compute.peak.fp99.dense"),
                 UnknownNameError, ["'compute.peak.fp99.dense'"],
                 id="provenance-for-missing-precision"),
    pytest.param(lambda: Hardware.Cloud.H100.provenance_for(None), UnknownNameError,
                 ["field path is text", "None"], id="provenance-for-none"),
    pytest.param(lambda: Hardware.Cloud.sorted_by("nope"), UnknownNameError,
                 ["Hardware.Cloud entries have no field 'nope'"], id="sorted-by-unknown"),
    pytest.param(lambda: Hardware.Cloud.sorted_by("memory.bandwith"), UnknownNameError,
                 ["did you mean memory.bandwidth"], id="sorted-by-typo"),
    pytest.param(lambda: Hardware.sorted_by("nope"), UnknownNameError,
                 ["Hardware entries have no field 'nope'"], id="namespace-sorted-by-unknown"),
    pytest.param(lambda: Literature.Training.sorted_by("nope"), UnknownNameError,
                 ["no field 'nope'", "value"], id="scalar-sorted-by-unknown"),
    pytest.param(lambda: Hardware.Cloud.sorted_by("compute"), InputError,
                 ["sorted_by('compute')", "cannot be ordered"], id="sorted-by-a-record"),
    # Sweeps
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [1], ["fp4"]), PrecisionError,
                 ["lists no fp4 peak", "fp16"], id="sweep-precision-no-chip-has"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100", "A100"], [1], ["fp4"]),
                 PrecisionError, ["no chip of the sweep lists a fp4 peak", "fp16"],
                 id="sweep-precision-no-chip-of-several"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [1], ["fp99"]), InputError,
                 ["'fp99'", "use one of fp32"], id="sweep-unknown-precision"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [NAN], ["fp16"]), InputError,
                 ["batch_sizes", "nan"], id="sweep-batch-nan"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [HUGE], ["fp16"]), InputError,
                 ["batch_sizes", "401 digits"], id="sweep-batch-huge"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], ["8"], ["fp16"]), InputError,
                 ["batch_sizes", "'8'"], id="sweep-batch-text"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [], ["fp16"]), InputError,
                 ["batch_sizes is empty"], id="sweep-no-batches"),
    pytest.param(lambda: Engine.sweep(["Llama3_8B"], ["H100"], [1], ["fp16"],
                                      is_training="no"), InputError,
                 ["is_training", "'no'"], id="sweep-is-training-text"),
    pytest.param(lambda: Engine.sweep(["GPT2"], ["H100"], [1], ["fp16"], seq_len=4096),
                 InputError, ["seq_len=4096", "1024"], id="sweep-seq-over-context"),
]


@pytest.mark.parametrize("call, error, fragments", BAD_CALLS)
def test_bad_call_raises_a_clear_mlsysim_error(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and len(message) < 800, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_is_training_accepts_real_bools_only():
    training = Engine.solve("Llama3_8B", "H100", is_training=True)
    inference = Engine.solve("Llama3_8B", "H100", is_training=np.bool_(False))
    assert training.is_training and not inference.is_training
    assert training.latency_s > inference.latency_s


def test_sorted_by_known_fields_still_sorts():
    ordered = Hardware.Cloud.sorted_by("memory.bandwidth", reverse=True)
    values = [e.memory.bandwidth.m_as("B/s") for e in ordered if e.memory.bandwidth is not None]
    assert values == sorted(values, reverse=True)
    assert float(Literature.Training.sorted_by("value")[0]) <= \
        float(Literature.Training.sorted_by("value")[-1])


def test_provenance_for_declared_but_unset_field_is_not_an_error():
    # H100 has no scale_up 'links' count: the field is declared, so its provenance is the
    # entry's (an absent number is not a typo).
    assert Hardware.Cloud.H100.provenance_for("interconnect.scale_up.links") is not None
    assert Literature.Training.records()["MfuHigh"].provenance_for("value") is not None


def test_sweep_marks_cells_of_a_missing_precision_infeasible_with_a_reason():
    result = Engine.sweep(["Llama3_8B"], ["H100", "TPUv4"], [1], ["fp16", "bf16"])
    tpu = result.hardware.index(mlsysim.Hardware.Cloud.TPUv4.name)
    fp16 = result.precisions.index("fp16")
    assert math.isnan(result.latency_s[0, tpu, 0, fp16])
    assert not result.feasible[0, tpu, 0, fp16]   # was True with a NaN latency
    assert not result.supported[tpu, fp16] and result.supported[1 - tpu, fp16]
    assert any("lists no fp16 peak" in note and "bf16" in note for note in result.notes)
    assert result.best()["precision"] in ("fp16", "bf16")


def test_sweep_best_refuses_when_nothing_is_feasible():
    result = Engine.sweep(["Llama3_405B"], ["L4"], [64], ["fp16"])
    with pytest.raises(MlsysimError, match="no configuration of the sweep is feasible"):
        result.best()


def test_suggested_precisions_work_on_every_chip():
    # An error never suggests a precision that is then rejected.
    from mlsysim.hardware import HardwareNode

    chips = [chip for group in Hardware.groups.values() for chip in group
             if isinstance(chip, HardwareNode)]
    assert len(chips) > 30
    for chip in chips:
        with pytest.raises(InputError) as info:
            Engine.solve("ResNet50", chip, precision="fp99")
        listed = str(info.value).split("use one of ")[1].split(" (")[0]
        for precision in ([] if listed.startswith("none") else listed.split(", ")):
            Engine.solve("ResNet50", chip, precision=precision)  # no PrecisionError


def test_stable_api_still_works():
    result = Engine.solve(model=Models.Language.Llama3_70B, hardware=Hardware.Cloud.H100,
                          batch_size=32, precision="fp16", efficiency=0.45)
    assert result.bottleneck in ("Compute", "Memory") and 0 < result.mfu <= 1
    assert isinstance(result.feasible, bool)
    Engine.solve("Llama3_8B", "H100", batch_size=np.int64(4))  # NumPy integers are counts
    assert Scenarios.SmartDoorbell.evaluate().scorecard()
    assert Scenarios.ChatbotServing.evaluate().status.value in ("PASS", "WARNING", "FAIL")
