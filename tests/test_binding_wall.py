"""Every result of the engine and the serving, batching, tail-latency and distributed solvers
ends its trace with the wall that binds it, by number and name (issue 19)."""

from __future__ import annotations

import re

import pytest

from mlsysim import Engine
from mlsysim.solvers import (ContinuousBatchingModel, DistributedModel, ServingModel,
                             TailLatencyModel)
from mlsysim.units import parse_quantity
from mlsysim.walls import binding_line, walls

LINE = re.compile(r"^Binding wall: (\d+)\. (.+? wall)(?: \((.+)\))?$")


def _bound(result) -> str:
    match = LINE.match(result.constraint_trace[-1])
    assert match, result.constraint_trace[-1]
    number, name, _ = match.groups()
    item = walls()[int(number) - 1]
    assert item.name == name  # the number and the name are one wall
    return item.key


def test_the_line_names_the_walls_number_and_name():
    assert binding_line("tail_latency") == "Binding wall: 7. Tail latency wall"
    assert binding_line("memory", "it does not fit") == "Binding wall: 2. Memory wall (it does not fit)"


@pytest.mark.parametrize("model, batch, wall", [
    ("ResNet50", 256, "compute"),    # 4.1 GFLOP per image at batch 256: far right of the ridge
    ("Llama3_8B", 1, "memory"),      # one decode step reads 16 GB for 16 GFLOP
    ("Llama3_70B", 1, "memory"),     # 141 GB of fp16 weights on an 80 GB H100: does not fit
])
def test_engine_names_the_roof_or_the_capacity_that_binds(model, batch, wall):
    profile = Engine.solve(model, "H100", batch_size=batch)
    assert _bound(profile) == wall
    if wall == "memory":
        assert profile.bottleneck == "Memory" or not profile.feasible


def test_serving_binds_on_memory_only_when_it_does_not_fit():
    assert _bound(ServingModel().solve("Llama3_8B", "H100", seq_len=2048)) == "serving"
    too_big = ServingModel().solve("Llama3_70B", "H100", seq_len=2048)
    assert not too_big.feasible and _bound(too_big) == "memory"


def test_batching_names_the_slo_or_the_kv_cache():
    slo = ContinuousBatchingModel().solve("Llama3_70B", "H100", 1024, 256, tp_size=8,
                                          slo_itl=parse_quantity("50 ms"))
    assert slo.binding == "ITL SLO" and _bound(slo) == "batching"
    free = ContinuousBatchingModel().solve("Llama3_8B", "H100", 1024, 256)
    assert free.binding == "KV-cache memory" and _bound(free) == "memory"


def test_tail_latency_binds_stable_or_not():
    # M/M/1 at rho = 40 x 20 ms = 0.8: waiting is most of P99.
    assert _bound(TailLatencyModel().solve(parse_quantity("20 ms"), 40)) == "tail_latency"
    unstable = TailLatencyModel().solve(parse_quantity("20 ms"), 60)  # rho = 1.2
    assert not unstable.stable and _bound(unstable) == "tail_latency"


def test_distributed_names_the_largest_part_of_the_step_or_memory():
    fits = DistributedModel().solve("Llama3_70B", "Systems.Clusters.Research_1024_H100",
                                    batch_size=1024, tp_size=8, pp_size=4, microbatch_count=8)
    parts = {"compute": fits.compute_latency, "communication": fits.communication_latency,
             "bubble": fits.pipeline_bubble_latency}
    assert max(parts, key=parts.get) == "compute" and _bound(fits) == "compute"
    crowded = DistributedModel().solve("Llama3_8B", "Systems.Nodes.DGX_H100", batch_size=64,
                                       seq_len=4096, zero_stage=1)
    assert not crowded.feasible and _bound(crowded) == "memory"


def test_the_reason_is_the_step_before_the_binding_line():
    profile = Engine.solve("Llama3_70B", "H100", batch_size=1)
    assert profile.reason.startswith("Memory wall: needs 141")  # not the energy line after it
    assert Engine.solve("Llama3_8B", "H100").reason.startswith("Roofline: intensity")
    impossible = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256,
                                                 slo_itl=parse_quantity("1 ms"))
    assert impossible.reason.startswith("ITL SLO wall: no batch meets ITL <= 1 ms")
    assert impossible.constraint_trace[-1].startswith("Binding wall: 5. Batching wall")


def test_cli_prints_the_reason_not_the_binding_line():
    from typer.testing import CliRunner

    from mlsysim.cli import app

    result = CliRunner().invoke(app, ["eval", "Llama3_70B", "H100", "-b", "64"])
    assert result.exit_code == 2
    assert "infeasible: Memory wall: needs 184.1 GB" in result.output
    assert "Binding wall: 2. Memory wall (it does not fit)" in result.output  # in the trace


def test_an_arrival_rate_keeps_the_binding_line_last_and_names_the_tail_when_it_binds():
    from mlsysim.solvers import serve_request

    light = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                          arrival_rate="5 1/s")
    assert _bound(light) == "batching" and light.reason.startswith("TTFT at 5 requests/s")
    assert sum(line.startswith("Binding wall:") for line in light.constraint_trace) == 1
    # 100 requests/s against 91 slots each held 12.8 s (capacity 7.1 /s): the queue diverges.
    flooded = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                            arrival_rate="100 1/s")
    assert _bound(flooded) == "tail_latency" and "Stability wall" in flooded.reason


def test_a_given_batch_is_its_own_reason():
    over = ContinuousBatchingModel().solve("Llama3_70B", "H100", 2048, 256, tp_size=8,
                                           slo_itl=parse_quantity("50 ms"), batch_size=200)
    assert over.reason.startswith("Batch 200 (given): misses ITL <= 50 ms")
    assert _bound(over) == "batching"
