"""Low-precision math reaches a smaller share of its own (larger) peak: one calibrated ratio.

A transformer class (decode, prefill, training) computing in fewer than 16 bits runs at
``LowPrecisionComputeRatio`` x its class's compute efficiency; everything else keeps the class
value. The ratio is fitted jointly with the class efficiencies and, like them, is used by every
solver's default (one number everywhere).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim import Engine
from mlsysim.engine import calibration
from mlsysim.engine.precision import BYTES_PER_VALUE, WEIGHT_ONLY
from mlsysim.solvers import DistributedModel, ServingModel
from mlsysim.solvers.serving import PhaseCosts
from mlsysim.systems.fleet import Fleet
from mlsysim.validation import calibrate
from mlsysim.zoo.registry import default_zoo

RATIO = float(calibration.value("LowPrecisionComputeRatio"))
DECODE = float(calibration.value("DecodeComputeEfficiency"))
PREFILL = float(calibration.value("PrefillComputeEfficiency"))
TRAINING = float(calibration.value("TrainingComputeEfficiency"))
BATCH = float(calibration.value("BatchInferenceComputeEfficiency"))


def test_the_ratio_is_a_fitted_fraction_below_one():
    assert 0 < RATIO < 1
    entry = default_zoo().resolve("Literature.Calibration.LowPrecisionComputeRatio")
    assert entry.provenance.kind.value == "estimate"


def test_engine_defaults_scale_fp8_and_int8_transformer_math_only():
    fp8 = Engine.solve("Llama3_8B", "H100", batch_size=64, precision="fp8")
    int8 = Engine.solve("Llama3_8B", "H100", batch_size=64, precision="int8")
    fp16 = Engine.solve("Llama3_8B", "H100", batch_size=64, precision="fp16")
    w4a16 = Engine.solve("Llama3_8B", "H100", batch_size=64, precision="w4a16")
    assert fp8.efficiency == pytest.approx(DECODE * RATIO)
    assert int8.efficiency == pytest.approx(DECODE * RATIO)
    assert fp16.efficiency == DECODE
    assert w4a16.efficiency == DECODE  # weight-only: the math is fp16
    trace = "\n".join(fp8.constraint_trace)
    assert "Literature.Calibration.LowPrecisionComputeRatio" in trace
    assert "for fp8 math" in trace
    assert "LowPrecisionComputeRatio" not in "\n".join(fp16.constraint_trace)


def test_per_sample_models_keep_their_int8_fitted_class_value():
    # CNN classes are fitted on int8 TensorRT results as they are: no ratio on top.
    profile = Engine.solve("ResNet50", "H100", batch_size=64, precision="int8")
    assert profile.efficiency == BATCH


def test_a_given_efficiency_is_used_as_given():
    profile = Engine.solve("Llama3_8B", "H100", batch_size=64, precision="fp8", efficiency=0.5)
    assert profile.efficiency == 0.5


def test_sweep_cells_equal_solve_for_each_precision():
    result = Engine.sweep(["Llama3_8B"], ["H100"], [1, 64], ["fp16", "fp8"])
    for b, batch in enumerate((1, 64)):
        for p, precision in enumerate(("fp16", "fp8")):
            one = Engine.solve("Llama3_8B", "H100", batch_size=batch, precision=precision)
            assert result.latency_s[0, 0, b, p] == pytest.approx(one.latency_s, rel=1e-12)


def test_compute_bound_prefill_speed_up_of_fp8_is_the_ratio_times_the_peak_ratio():
    # Hand-worked: H100 lists 1979 TFLOP/s dense fp8 and 989 TFLOP/s dense fp16 (x2.0).
    # A compute-bound prefill takes F / (eta x P): fp16 at eta = PREFILL, fp8 at PREFILL x r,
    # so TTFT(fp16) / TTFT(fp8) = (PREFILL r 1979) / (PREFILL 989) = 2.0 r: about 1.16 with
    # r = 0.58, not 2.
    kwargs = dict(seq_len=8192, batch_size=4)
    fp16 = ServingModel().solve("Llama3_8B", "H100", precision="fp16", **kwargs)
    fp8 = ServingModel().solve("Llama3_8B", "H100", precision="fp8", **kwargs)
    peaks = Engine.solve("Llama3_8B", "H100", precision="fp8").peak_rate / \
        Engine.solve("Llama3_8B", "H100", precision="fp16").peak_rate
    assert peaks == pytest.approx(1979 / 989, rel=1e-3)
    speed_up = fp16.ttft.m_as("s") / fp8.ttft.m_as("s")
    assert speed_up == pytest.approx(RATIO * peaks, rel=0.02)
    trace = "\n".join(fp8.constraint_trace)
    assert "Efficiency (prefill): compute" in trace and "for fp8 math" in trace


def test_phase_costs_and_distributed_training_use_the_scaled_default():
    costs = PhaseCosts("Llama3_8B", "H100", "fp8")
    assert (costs.eta_p, costs.eta_d) == pytest.approx((PREFILL * RATIO, DECODE * RATIO))
    fleet = Fleet(node=default_zoo().resolve("Systems.Nodes.DGX_H100"), count=1)
    default = DistributedModel().solve("Llama3_8B", fleet, 8, precision="fp8", seq_len=4096)
    given = DistributedModel().solve("Llama3_8B", fleet, 8, precision="fp8", seq_len=4096,
                                     efficiency=TRAINING * RATIO)
    assert default.step_latency_total.m_as("s") == pytest.approx(
        given.step_latency_total.m_as("s"), rel=1e-12)
    assert "LowPrecisionComputeRatio" in "\n".join(default.constraint_trace)


@settings(max_examples=60, deadline=None)
@given(cls=st.sampled_from(sorted(calibration.WORKLOAD_CLASSES)),
       precision=st.sampled_from(sorted(BYTES_PER_VALUE) + sorted(WEIGHT_ONLY)))
def test_the_ratio_applies_exactly_to_transformer_classes_with_sub_16_bit_math(cls, precision):
    math = WEIGHT_ONLY[precision][1] if precision in WEIGHT_ONLY else precision
    expected = RATIO if (cls in calibration.LOW_PRECISION_CLASSES
                         and BYTES_PER_VALUE[math] < 2) else 1.0
    assert calibration.low_precision_ratio(cls, precision) == expected
    base = calibration.efficiency_for(cls)
    assert calibration.efficiency_for(cls, precision) == (base[0] * expected, base[1])


def test_a_bad_precision_still_gets_the_precision_error_not_a_calibration_one():
    with pytest.raises(Exception, match="precision"):
        Engine.solve("Llama3_8B", "H100", precision=["fp8"])


# -- fitting -----------------------------------------------------------------------------------

def test_the_fit_shares_one_ratio_and_the_zoo_holds_it():
    fits = calibrate.fit()
    ratios = {f.ratio for f in fits.values()}
    assert ratios == {RATIO}
    assert RATIO in calibrate.RATIO_GRID


def test_without_low_precision_points_the_ratio_is_one():
    points = [p for p in calibrate.prediction_grid() if not p.scaled]
    by_class: dict[str, list] = {}
    for p in points:
        by_class.setdefault(p.workload_class, []).append(p)
    assert calibrate._best_ratio(by_class) == 1.0


def test_a_scaled_point_is_predicted_at_ratio_times_the_class_value_between_grid_columns():
    point = next(p for p in calibrate.prediction_grid() if p.scaled)
    # On a grid column the interpolation is exact: compute 0.50 x ratio 0.5 = column 0.25.
    j = 0
    i = int(np.flatnonzero(calibrate.COMPUTE_GRID == 0.25)[0])
    assert point.predicted_at(0.5, float(calibrate.MEMORY_GRID[j]), 0.5) == point.predicted[i, j]


def test_a_transformer_class_no_other_source_measures_is_pooled_over_transformer_classes():
    rows = [h for h in calibrate.held_out() if h.workload_class == "training"]
    assert rows and all(h.fitted_on == calibrate.POOLED for h in rows)
    source = rows[0].measurement.source
    same_kind = [p for p in calibrate.prediction_grid() if p.measurement.source != source
                 and p.workload_class in calibration.LOW_PRECISION_CLASSES]
    expected = calibrate.fit_points(same_kind, rows[0].ratio)
    assert (rows[0].compute, rows[0].memory) == (expected.compute, expected.memory)
