"""MLPerf Inference Offline and Server scenarios in the validation suite
(mlsysim/validation/mlperf.py): the server queue worked by hand, scenario points predicted
rather than skipped, and every measurement's source record naming its file and figure."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim.validation import load_measurements
from mlsysim.validation.measurements import Measurement
from mlsysim.validation.mlperf import largest_rate, p99_latency, server_bounds
from mlsysim.validation.predict import NotComparable, predict

BASE = dict(id="x", workload="Models.Vision.ResNet50", hardware="Hardware.Cloud.H100",
            devices=8, mode="inference", precision="int8", metric="throughput",
            unit="samples/s", scope="system", source="s", measured=1.0)


def test_server_p99_by_hand_one_device_batch_one():
    # One device, batch 1, S = 1 ms, Poisson arrivals at 500 /s, deterministic service
    # (cv 0): rho = 500 x 0.001 = 0.5; Erlang C with one server is rho = 0.5; the wait's
    # P99 (TailLatencyModel's Kingman form) is ln(C / 0.01) x (1 + 0) / 2 / (1/S - lambda)
    # = ln(50) x 0.5 / 500 s = 3.912 x 0.001 s = 3.912 ms; latency = 3.912 + 1 = 4.912 ms.
    assert p99_latency(500.0, 1, 1e-3, 1, 0.99) == pytest.approx(4.912e-3, rel=1e-3)


def test_server_qps_bound_by_hand_one_device_batch_one():
    # Same device with a 15 ms bound: the largest rate has 1 ms + 0.5 ln(100 rho) S / (1 - rho)
    # = 15 ms, i.e. 0.5 ln(100 rho) / (1 - rho) = 14. At rho = 0.85: 0.5 x ln 85 / 0.15
    # = 0.5 x 4.4427 / 0.15 = 14.81 > 14; at rho = 0.84: 0.5 x 4.4308 / 0.16 = 13.85 < 14,
    # so the rate is between 840 and 850 requests/s.
    rate = largest_rate(1, 1e-3, 1, 15e-3, 0.99)
    assert 840 < rate < 850
    assert p99_latency(rate, 1, 1e-3, 1, 0.99) == pytest.approx(15e-3, rel=1e-6)


def test_server_rate_by_hand_with_batching():
    # Batch 4 in S = 2 ms on one device, at 1000 samples/s: the batch fills in
    # (4 - 1) x 1 / 1000 = 3 ms; batches arrive at 250 /s, rho = 250 x 0.002 = 0.5, the wait's
    # P99 = ln(0.5 / 0.01) x 0.5 / (1 / 0.002 - 250) = 1.956 / 250 s = 7.824 ms; total
    # 3 + 7.824 + 2 = 12.82 ms.
    assert p99_latency(1000.0, 4, 2e-3, 1, 0.99) == pytest.approx(12.824e-3, rel=1e-3)
    # Bound 15 ms. At 1200 /s: fill 3/1200 = 2.5 ms, rho 0.6, wait ln(60) x 0.5 / (500 - 300)
    # = 2.047 / 200 = 10.24 ms, total 14.74 ms (meets). At 1250 /s: fill 2.4 ms, rho 0.625,
    # wait ln(62.5) x 0.5 / 187.5 = 11.03 ms, total 15.43 ms (misses).
    rate = largest_rate(4, 2e-3, 1, 15e-3, 0.99)
    assert 1200 < rate < 1250
    assert p99_latency(rate, 4, 2e-3, 1, 0.99) == pytest.approx(15e-3, rel=1e-6)
    # With a 10 ms bound no rate works at this batch: the fill wait and the queue wait trade
    # off (e.g. 6 + 4.29 + 2 = 12.3 ms at 500 /s, 4.29 + 5.47 + 2 = 11.8 ms at 700 /s).
    assert largest_rate(4, 2e-3, 1, 10e-3, 0.99) == 0.0


@settings(max_examples=30, deadline=None)
@given(service=st.floats(1e-5, 2e-3), devices=st.integers(1, 8), batch=st.sampled_from([1, 2, 8]))
def test_server_rate_meets_the_bound_and_stays_below_capacity(service, devices, batch):
    limit = 15e-3
    rate = largest_rate(batch, service, devices, limit, 0.99)
    assert 0 < rate < devices * batch / service
    assert p99_latency(rate, batch, service, devices, 0.99) <= limit * (1 + 1e-9)
    # A slightly higher rate misses the bound (the top of the admissible interval).
    assert p99_latency(rate * 1.001, batch, service, devices, 0.99) > limit * (1 - 1e-6)


def test_server_bounds_are_the_mlperf_rules_numbers():
    # inference_rules.adoc: ResNet50 15 ms; Llama2-70B TTFT/TPOT 2000 ms / 200 ms.
    assert server_bounds("Models.Vision.ResNet50") == pytest.approx((0.015,))
    assert server_bounds("Models.Language.Llama2_70B") == pytest.approx((2.0, 0.2))
    assert server_bounds("Models.Vision.MobileNetV2") is None


def test_offline_and_server_points_are_predicted_when_complete():
    offline = predict(Measurement(**BASE, scenario="offline"))
    server = predict(Measurement(**BASE, scenario="server"))
    assert offline.value > 0 and server.value > 0
    assert server.value <= offline.value * (1 + 1e-9)  # a latency bound never adds throughput
    assert "server" in server.detail and "offline" in offline.detail


def test_llm_offline_and_server_are_predicted_when_complete():
    llm = dict(BASE, workload="Models.Language.Llama2_7B", mode="decode", precision="fp16",
               devices=1, unit="tokens/s", seq_len=256, output_len=128)
    offline = predict(Measurement(**llm, scenario="offline"))
    assert offline.value > 0 and offline.feasible
    with pytest.raises(NotComparable, match="no MLPerf TTFT/TPOT bound"):
        predict(Measurement(**llm, scenario="server"))
    server = predict(Measurement(**dict(llm, workload="Models.Language.Llama2_70B",
                                        devices=8, tp_size=8), scenario="server"))
    assert server.value > 0 and "requests/s per replica" in server.detail


def test_llm_scenario_without_prompt_length_is_skipped_with_the_reason():
    llm = dict(BASE, workload="Models.Language.Llama2_70B", mode="decode", precision="fp8",
               unit="tokens/s", output_len=290)
    with pytest.raises(NotComparable, match="mean prompt tokens"):
        predict(Measurement(**llm, scenario="offline"))


def test_every_scenario_point_is_compared_or_skipped_for_a_stated_reason():
    from mlsysim.validation import validate

    points = [m for m in load_measurements() if m.scenario]
    assert len({m.scenario for m in points}) == 2
    report = validate(points, held_out=False)
    compared = {r.measurement.id for r in report.rows}
    resnet = [m for m in points if m.workload.endswith("ResNet50") and m.precision]
    assert resnet and all(m.id in compared for m in resnet)
    assert any(m.scenario == "server" for m in resnet)


def test_every_measurement_names_its_file_and_quoted_value_and_a_source_record():
    from mlsysim.zoo.registry import Zoo

    catalog = Zoo().catalog
    measurements = load_measurements()
    assert len(measurements) >= 100
    for m in measurements:
        assert m.source in catalog, m.id
        record = catalog.get(m.source)
        assert record.url and record.notes and record.verified, m.source  # what was read, where
        # The entry quotes the figure it read, or states the measured value itself.
        notes = (m.notes or "").replace(",", "")
        assert re.search(r"'[^']*\d[^']*'", notes) or f"{m.measured:g}" in notes, m.id
        if m.scenario:  # MLPerf results: the LoadGen summary's path and the VALID verdict
            assert "mlperf_log_summary.txt" in m.notes and "VALID" in m.notes, m.id
            assert not math.isnan(m.measured)


def test_mlperf_tiny_points_are_compared_in_their_own_class():
    from mlsysim.validation import validate

    tiny = [m for m in load_measurements() if m.hardware.startswith("Hardware.Tiny.")]
    assert len({m.source for m in tiny}) >= 2  # leave-one-source-out has something to fit on
    report = validate(tiny, held_out=False)
    assert len(report.rows) == len(tiny)
    assert {r.workload_class for r in report.rows} == {"tiny"}


def test_validate_flags_an_mlperf_configuration_the_model_calls_infeasible():
    from mlsysim.validation import validate

    # Llama2-70B in fp16 is 140 GB of weights; one 24 GB L4 cannot hold it.
    llm = dict(BASE, id="too-big", workload="Models.Language.Llama2_70B", mode="decode",
               hardware="Hardware.Cloud.L4", devices=1, precision="fp16", unit="tokens/s",
               seq_len=256, output_len=128, scenario="offline")
    report = validate([Measurement(**llm)], held_out=False)
    assert report.to_dict()["infeasible"] == ["too-big"]


def test_a_scenario_point_with_a_latency_metric_is_skipped_with_the_reason():
    with pytest.raises(NotComparable, match="MLPerf server results are throughputs, got "
                                            "metric 'latency'"):
        predict(Measurement(**dict(BASE, metric="latency", unit="ms"), scenario="server"))


def test_an_unknown_scenario_names_the_entry_and_field(tmp_path):
    from mlsysim.errors import ZooError
    from mlsysim.validation.measurements import load_measurements as load

    bad = tmp_path / "m.yaml"
    bad.write_text("- id: bad-scenario\n  workload: Models.Vision.ResNet50\n"
                   "  hardware: Hardware.Cloud.H100\n  devices: 1\n  mode: inference\n"
                   "  scenario: multistream\n  metric: throughput\n  measured: 1\n"
                   "  unit: samples/s\n  scope: system\n  source: s\n")
    with pytest.raises(ZooError, match="bad-scenario") as info:
        load(bad)
    assert "scenario" in str(info.value)


def test_long_ids_keep_their_scenario_in_the_table():
    from mlsysim.validation.report import _short

    ident = "mlperf-inf-v4.1-supermicro-as-8125gs-tnhr-h100-sxm-80gbx8-trt-resnet50-server"
    # 50 characters: the first 22, "...", the last 25.
    assert _short(ident) == ident[:22] + "..." + ident[-25:]
    assert len(_short(ident)) == 50 and _short(ident).endswith("resnet50-server")
    assert _short("short-id") == "short-id"
