"""Predictions against published measurements: the median error must not regress."""

from __future__ import annotations

import pytest

from mlsysim.validation import load_measurements, validate
from mlsysim.zoo.registry import Zoo

#: A regression guard on the headline, the held-out (leave-one-source-out) median error:
#: 29.1 % over 32 measurements when it was set; 20.4 % over 144 once MLPerf Offline/Server
#: (mostly ResNet-50, many submitters) and MLPerf Tiny results joined. The limit is kept, not
#: tightened: the new points are many similar systems and would make a tight guard brittle. The in-sample
#: figure is reported beside it but guards nothing (it scores points the fit has seen).
HELD_OUT_ERROR_LIMIT = 0.33
MIN_COMPARED = 20

#: In-sample median error every class must stay under ...
CLASS_ERROR_LIMIT = 0.25
#: ... except these, which one efficiency per class does not fit today (issue 18, open): a ratchet
#: at their figure when it was set, so they may improve but not get worse. Prefill: 25.3 % over 8
#: points since llama.cpp's V100 prompt rate (about 0.32 of the fp16 peak) joined TensorRT-LLM
#: (0.64-0.68 of the A100 fp16 peak) and llama.cpp on an RTX 4090 (0.89): three software stacks.
KNOWN_OVER_LIMIT = {"prefill": 0.26}


@pytest.fixture(scope="module")
def report():
    return validate()


def test_held_out_median_error_within_limit(report):
    assert len(report.rows) >= MIN_COMPARED, report.table()
    assert report.held_out_median_abs_error <= HELD_OUT_ERROR_LIMIT, report.table()


def test_every_class_has_points_and_a_bounded_error(report):
    classes = report.by_class()
    assert {"decode", "prefill", "training", "batch_inference"} <= set(classes)
    # No class may be far off even if the overall median hides it.
    over = {cls: error for cls, error in classes.items()
            if error > KNOWN_OVER_LIMIT.get(cls, CLASS_ERROR_LIMIT)}
    assert not over, (over, classes)


def test_each_measurement_cites_a_verified_source_and_resolves():
    zoo = Zoo()
    catalog = zoo.catalog
    for m in load_measurements():
        assert m.source in catalog, m.id
        assert catalog.get(m.source).verified is not None, m.id
        zoo.resolve(m.workload)
        zoo.resolve(m.hardware)


def test_skips_say_why(report):
    for measurement, reason in report.skipped:
        assert reason and "not stated" in reason or "lists no" in reason, (measurement.id, reason)


def test_efficiencies_are_fixed_per_class_not_per_point(report):
    # Re-running with the class values passed explicitly gives the same predictions.
    from mlsysim.engine import calibration

    # Low-precision transformer points run at the class value x LowPrecisionComputeRatio, so
    # they are reproduced by the scaled pairs, every other point by the class pairs.
    classes = {row.workload_class for row in report.rows}
    plain = validate(efficiencies={cls: calibration.efficiency_for(cls) for cls in classes})
    scaled = validate(efficiencies={cls: calibration.efficiency_for(cls, "fp8") for cls in classes})
    low = [calibration.low_precision_ratio(r.workload_class, r.measurement.precision) != 1
           for r in report.rows]
    assert any(low) and not all(low)
    for row, again, low_precision in zip(report.rows, zip(plain.rows, scaled.rows), low):
        assert again[low_precision].predicted == row.predicted, row.measurement.id


def test_bad_measurement_file_names_entry_and_field(tmp_path):
    from mlsysim.errors import ZooError

    bad = tmp_path / "m.yaml"
    bad.write_text("- id: x\n  workload: Models.Vision.ResNet50\n  hardware: Hardware.Cloud.H100\n"
                   "  devices: 0\n  mode: inference\n  metric: throughput\n  measured: 1\n"
                   "  unit: samples/s\n  scope: system\n  source: s\n")
    with pytest.raises(ZooError) as info:
        load_measurements(bad)
    assert "entry x" in str(info.value) and "devices" in str(info.value)
