"""Each formula: a hand-worked example on floats, and the right dimension on Quantities."""

from __future__ import annotations

import numpy as np
import pytest

from mlsysim.physics import communication, memory, pipeline, roofline, transformer
from mlsysim.units import Quantity as Q


def dim(q):
    return q.dimensionality


def test_roofline_hand_worked():
    # 1 TFLOP at 50 % of 1000 TFLOP/s = 2 ms; 6 GB at 3 TB/s = 2 ms; max = 2 ms.
    assert roofline.compute_time(1e12, 1000e12, 0.5) == pytest.approx(2e-3)
    assert roofline.memory_time(6e9, 3e12) == pytest.approx(2e-3)
    assert roofline.roofline_time(1e-3, 2e-3) == 2e-3
    assert roofline.ridge_point(989.5e12, 3.35e12) == pytest.approx(295.37, rel=1e-4)
    assert roofline.attainable_rate(10, 989.5e12, 3.35e12) == pytest.approx(33.5e12)
    assert roofline.utilization(1e12, 2e-3, 1000e12) == pytest.approx(0.5)


def test_roofline_quantities_have_dimensions():
    t = roofline.compute_time(Q(1, "TFLOP"), Q(1000, "TFLOP/s"), 0.5)
    assert dim(t) == dim(Q(1, "s"))
    t2 = roofline.memory_time(Q(6, "GB"), Q(3, "TB/s"))
    assert dim(roofline.roofline_time(t, t2)) == dim(Q(1, "s"))
    assert dim(roofline.arithmetic_intensity(Q(1, "FLOP"), Q(1, "B"))) == dim(Q(1, "FLOP/B"))
    assert dim(roofline.ridge_point(Q(1, "FLOP/s"), Q(1, "B/s"))) == dim(Q(1, "FLOP/B"))
    assert dim(roofline.attainable_rate(Q(10, "FLOP/B"), Q(1, "TFLOP/s"), Q(1, "TB/s"))) == \
        dim(Q(1, "FLOP/s"))
    assert dim(roofline.energy(Q(700, "W"), Q(2, "ms"))) == dim(Q(1, "J"))
    assert roofline.energy(Q(700, "W"), Q(2, "ms")).m_as("J") == pytest.approx(1.4)


def test_transformer_hand_worked():
    # Llama 3 8B: 32 layers, 8 KV heads of width 128, fp16: 2*32*8*128*2 = 131072 B per token.
    assert transformer.kv_cache_per_token(32, 8, 128, 2) == 131072
    # DeepSeek-V3 MLA: 61 layers * (512 + 64) * 2 B = 70272 B per token.
    assert transformer.mla_cache_per_token(61, 512, 64, 2) == 70272
    assert transformer.kv_cache_size(131072, 2048, 4) == 131072 * 2048 * 4
    assert transformer.linear_flops(8e9, 10) == 1.6e11
    assert transformer.attention_score_flops(32, 2048, 4096, 1) == 4 * 32 * 2048 * 4096
    assert transformer.training_flops(1.0) == 3.0
    # Korthikanti eq. 2 for s=2048, b=1, h=4096, a=32: s*b*h*(34 + 5*32*2048/4096).
    assert transformer.activation_memory_per_layer(2048, 1, 4096, 32) == 2048 * 4096 * (34 + 80)
    assert transformer.activation_memory_per_layer(2048, 1, 4096, 32, recompute=True) == \
        2 * 2048 * 4096


def test_transformer_quantities_have_dimensions():
    b = Q(2, "B")
    assert dim(transformer.kv_cache_per_token(32, 8, 128, b)) == dim(Q(1, "B"))
    assert dim(transformer.mla_cache_per_token(61, 512, 64, b)) == dim(Q(1, "B"))
    assert dim(transformer.linear_flops(Q(8e9, "param"), Q(1, "token")) * Q(1, "FLOP/param/token")) \
        == dim(Q(1, "FLOP"))
    assert dim(transformer.training_flops(Q(1, "FLOP"))) == dim(Q(1, "FLOP"))
    assert dim(transformer.kv_cache_size(Q(1, "B/token"), Q(2048, "token"), 4)) == dim(Q(1, "B"))
    assert dim(transformer.attention_score_flops(32, 2048, 4096, 1) * Q(1, "FLOP")) == dim(Q(1, "FLOP"))


def test_memory_hand_worked_and_dimensions():
    # ZeRO paper: 7.5B parameters, mixed-precision Adam = 16 bytes/param = 120 GB; stage 3 over
    # 64 ranks = 1.875 GB (Rajbhandari et al. 2020, Figure 1).
    assert memory.training_state_memory(7.5e9, 2, 12) == pytest.approx(120e9)
    assert memory.zero_sharded_state_memory(7.5e9, 2, 12, 64, 3) == pytest.approx(1.875e9)
    assert memory.zero_sharded_state_memory(7.5e9, 2, 12, 64, 1) == pytest.approx(31.4e9, rel=1e-3)
    assert memory.zero_sharded_state_memory(7.5e9, 2, 12, 64, 2) == pytest.approx(16.6e9, rel=1e-2)
    per_param = Q(2, "B/param")
    assert dim(memory.weight_memory(Q(8e9, "param"), per_param)) == dim(Q(1, "B"))
    assert dim(memory.training_state_memory(Q(8e9, "param"), per_param, Q(12, "B/param"))) == \
        dim(Q(1, "B"))
    assert dim(memory.zero_sharded_state_memory(Q(8e9, "param"), per_param, Q(12, "B/param"),
                                                8, 3)) == dim(Q(1, "B"))


def test_communication_hand_worked():
    # Ring all-reduce of 1 GB over 4 ranks at 100 GB/s, 10 us: 2*3/4*0.01 s + 6*10 us.
    assert communication.ring_allreduce_time(1e9, 4, 100e9, 10e-6) == pytest.approx(0.015 + 60e-6)
    assert communication.tree_allreduce_time(1e9, 8, 100e9, 10e-6) == pytest.approx(0.02 + 60e-6)
    assert communication.alltoall_time(1e9, 4, 100e9, 0.0) == pytest.approx(0.0075)
    assert communication.point_to_point_time(1e9, 100e9, 1e-6) == pytest.approx(0.01 + 1e-6)
    assert communication.effective_bandwidth(400e9, 2) == 200e9
    # Hierarchical with one node equals two intra-node halves (a ring).
    flat = communication.ring_allreduce_time(1e9, 8, 100e9, 0.0)
    hier = communication.hierarchical_allreduce_time(1e9, 8, 1, 100e9, 0.0, 50e9, 0.0)
    assert hier == pytest.approx(flat)


def test_communication_quantities_have_dimensions():
    s, bw, lat = Q(1, "GB"), Q(100, "GB/s"), Q(10, "µs")
    for value in (communication.ring_allreduce_time(s, 4, bw, lat),
                  communication.tree_allreduce_time(s, 8, bw, lat),
                  communication.alltoall_time(s, 4, bw, lat),
                  communication.point_to_point_time(s, bw, lat),
                  communication.hierarchical_allreduce_time(s, 8, 4, bw, lat, Q(50, "GB/s"), lat)):
        assert dim(value) == dim(Q(1, "s"))
    assert dim(communication.effective_bandwidth(bw, 2)) == dim(bw)


def test_pipeline_hand_worked_and_dimensions():
    # Megatron-LM: p=8 stages, m=32 microbatches -> bubble 7/32; interleaved v=2 -> 7/64.
    assert pipeline.pipeline_bubble_fraction(8, 32) == pytest.approx(7 / 32)
    assert pipeline.pipeline_bubble_fraction(8, 32, 2) == pytest.approx(7 / 64)
    assert pipeline.data_parallel_efficiency(3.0, 1.0) == 0.75
    assert pipeline.exposed_communication(1.0, 2.0, 0.25) == pytest.approx(0.5)
    assert pipeline.exposed_communication(1.0, 2.0, 1.0) == 0.0
    t = pipeline.exposed_communication(Q(1, "s"), Q(2, "s"), 0.25)
    assert dim(t) == dim(Q(1, "s")) and t.m_as("s") == pytest.approx(0.5)
    assert dim(pipeline.data_parallel_efficiency(Q(3, "s"), Q(1, "s"))) == dim(Q(1, ""))


def test_formulas_run_on_arrays():
    batches = np.array([1.0, 2.0, 4.0])
    times = roofline.roofline_time(roofline.compute_time(batches * 1e12, 1e15, 0.5),
                                   roofline.memory_time(16e9 + batches * 1e8, 3.35e12))
    assert times.shape == (3,) and np.all(np.diff(times) >= 0)
