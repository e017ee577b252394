"""Held-out validation: leave-one-source-out really leaves the source out, and the headline
figure the scorecard uses is the held-out one."""

from __future__ import annotations

import numpy as np
import pytest

from mlsysim.validation import load_measurements, validate
from mlsysim.validation.calibrate import COMPUTE_GRID, MEMORY_GRID, fit, held_out, prediction_grid
from mlsysim.validation.report import summary


def _batch_inference_points():
    """The first six ResNet-50 batch-inference points (four sources). Kept small on purpose:
    the fit minimizes a median, so one wrong point among the ~30 such points the set now holds
    would not move it, and the test below needs a point that does."""
    from mlsysim.validation.predict import _entry, workload_class

    return [m for m in load_measurements() if m.precision
            and workload_class(m, _entry(m.workload)) == "batch_inference"
            and m.workload.endswith("ResNet50") and "H200" not in m.hardware][:6]


def test_summary_median_and_90th_percentile_by_hand():
    # |errors| sorted: 0.1 0.2 0.3 0.4 1.0 -> median 0.3; the 90th percentile sits at
    # position 0.9 * (5 - 1) = 3.6, i.e. 0.4 + 0.6 * (1.0 - 0.4) = 0.76.
    s = summary([0.1, -0.2, 0.3, -0.4, 1.0])
    assert s["median"] == pytest.approx(0.3)
    assert s["p90"] == pytest.approx(0.76)
    assert s["count"] == 5


def test_leave_one_source_out_never_sees_the_held_out_source():
    real = _batch_inference_points()
    assert len({m.source for m in real}) >= 2
    # A wildly wrong point (10x the real figure) from a source nobody else cites.
    template = real[0]
    fake = template.model_copy(update={"id": "fake-10x", "source": "fake-source",
                                       "measured": template.measured * 10})
    with_fake = real + [fake]

    clean_fit = fit(real)["batch_inference"]
    dirty_fit = fit(with_fake)["batch_inference"]
    # In-sample, the fake point pulls the fit (and so every in-sample prediction).
    assert (dirty_fit.compute, dirty_fit.memory) != (clean_fit.compute, clean_fit.memory)

    scored = {h.measurement.id: h for h in held_out(with_fake)}
    fake_row = scored["fake-10x"]
    # Held out, the fake point is predicted by exactly the fit that never saw it ...
    assert (fake_row.compute, fake_row.memory) == (clean_fit.compute, clean_fit.memory)
    grid = {p.measurement.id: p for p in prediction_grid(with_fake)}
    i = int(np.flatnonzero(COMPUTE_GRID == clean_fit.compute)[0])
    j = int(np.flatnonzero(MEMORY_GRID == clean_fit.memory)[0])
    assert fake_row.predicted == grid["fake-10x"].predicted[i, j]
    # ... so its held-out error is about -90 % (the real figure against ten times it).
    assert fake_row.error < -0.8

    report = validate(with_fake)
    clean = validate(real)
    assert report.median_abs_error != clean.median_abs_error  # in-sample moved


def test_a_source_alone_in_the_set_is_not_scored_and_others_use_their_class_fit():
    real = _batch_inference_points()
    lone = real[0].model_copy(update={"id": "lone", "source": "lone-source"})
    rows = {h.measurement.id: h for h in held_out(real + [lone])}
    assert rows["lone"].fitted_on == "batch_inference"
    only = [m for m in real if m.source == real[0].source]
    assert held_out(only) == []  # one source: nothing to fit on, nothing scored


@pytest.fixture(scope="module")
def report():
    return validate()


def test_report_carries_held_out_and_in_sample_in_json(report):
    data = report.to_dict()
    assert data["held_out"]["method"] == "leave-one-source-out"
    for section in ("held_out", "in_sample"):
        assert {"median", "p90", "count"} <= set(data[section]["overall"])
        assert {"decode", "prefill", "training"} <= set(data[section]["by_class"])
    assert data["held_out"]["overall"]["count"] == data["compared"]
    assert all("held_out_error" in row for row in data["rows"])
    text = report.table()
    assert text.index("held-out (leave-one-source-out") < text.index("in-sample (fitted")


def test_the_zoo_held_out_figure_is_the_one_validate_computes(report):
    from mlsysim.engine import calibration
    from mlsysim.scenarios.evaluate import SLA_WARNING_MARGIN

    stored = calibration.value("HeldOutMedianError")
    assert stored.provenance.kind.value == "derived"
    assert float(stored) == pytest.approx(report.held_out_median_abs_error, abs=5e-4)
    assert SLA_WARNING_MARGIN == float(stored)


def test_the_calibrated_values_are_the_in_sample_fit(report):
    from mlsysim.engine import calibration

    for cls, f in fit().items():
        assert calibration.efficiency_for(cls) == (f.compute, f.memory), cls


def test_validate_flags_measured_configurations_the_model_calls_infeasible():
    decode = next(m for m in load_measurements() if m.mode == "decode" and m.batch_size
                  and m.output_len and m.precision and (m.tp_size or 1) == 1)
    # 4096 x the batch: the KV cache alone overflows the GPU.
    huge = decode.model_copy(update={"id": "too-big", "batch_size": decode.batch_size * 4096})
    report = validate([decode, huge], held_out=False)
    assert report.to_dict()["infeasible"] == ["too-big"]
    assert "INFEASIBLE" in report.table() and "calls infeasible" in report.table()


def test_the_validation_guide_runs_and_is_in_the_site(capsys):
    """site/pages/guide/validation.md: its code runs and prints the held-out line first; the
    page is in the project site's nav and links the Zoo's held-out number."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[1]
    guide = (root / "site" / "pages" / "guide" / "validation.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    exec(compile(block, "validation.md", "exec"), {})  # noqa: S102 - the guide's own code
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("held-out (leave-one-source-out")
    assert re.match(r"held-out median \d+\.\d%, in-sample \d+\.\d%, \d+ measurements compared", printed[1])
    assert "guide/validation.md" in (root / "site" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "zoo/Literature/Calibration.md#HeldOutMedianError" in guide
