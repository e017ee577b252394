"""ServingModel and DistributedModel: hand-worked cases, invariants, and errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import mlsysim
from mlsysim.errors import InputError
from mlsysim.solvers import DistributedModel, ServingModel
from mlsysim.systems import FabricSpec, Fleet, SystemNode


def _fabric(name, bandwidth, direction, latency=None, scope="scale_out"):
    data = {"name": name, "technology": "InfiniBand" if scope == "scale_out" else "NVLink",
            "scope": scope, "bandwidth": bandwidth, "direction": direction}
    if latency:
        data["latency"] = latency
    return FabricSpec.model_validate(data)


NDR = _fabric("NDR", "400 Gbit/s", "per_direction", "1 us")
NVLINK4 = _fabric("NVLink 4", "900 GB/s", "bidirectional_total", scope="scale_up")


def _fleet(nodes, fabric=NDR):
    node = SystemNode.model_validate({
        "name": "Test 8x H100 node", "vendor": "test", "accelerator": "Hardware.Cloud.H100",
        "accelerators_per_node": 8, "scale_out_ports": 8})
    return Fleet(node=node, count=nodes, fabric=fabric)


# -- ServingModel -------------------------------------------------------------
def test_serving_hand_worked_llama3_8b():
    # Prefill of 1 x 1024 tokens: (2N - 2Vd)*1024 + 4*L*(1024/2)*4096*1024 FLOPs (the untied
    # input embedding, V d = 128,256 x 4096, is a lookup; causal: each query sees half the
    # prompt on average) at 50 % of 989.5 TFLOP/s.
    flops = (16_060_522_496 - 1_050_673_152) * 1024 + 4 * 32 * 512 * 4096 * 1024
    result = ServingModel().solve("Llama3_8B", "H100", seq_len=1024, batch_size=1,
                                  precision="fp16", efficiency=0.5, memory_efficiency=1.0)
    assert result.ttft.m_as("s") == pytest.approx(flops / (0.5 * 989.5e12), rel=1e-9)
    kv = 2 * 32 * 8 * 128 * 2 * 1024
    assert result.kv_cache_size.m_as("B") == kv
    assert result.itl.m_as("s") == pytest.approx((16_060_522_496 + kv) / 3.35e12, rel=1e-9)
    assert result.feasible and result.model_weights_size.m_as("GB") == pytest.approx(16.06, 1e-3)
    assert any("GQA" in line for line in result.constraint_trace)


def test_serving_70b_needs_tensor_parallelism():
    alone = ServingModel().solve("Llama3_70B", "H100", seq_len=4096, batch_size=8)
    split = ServingModel().solve("Llama3_70B", "H100", seq_len=4096, batch_size=8, tp_size=4)
    assert not alone.feasible and split.feasible
    assert any(line.startswith("Memory wall") for line in alone.constraint_trace)
    assert split.itl < alone.itl


@settings(max_examples=50, deadline=None)
@given(model=st.sampled_from(["Llama3_8B", "Llama3_70B", "GPT3"]), seq=st.integers(1, 32768),
       batch=st.integers(1, 64), tp=st.sampled_from([1, 2, 4]))
def test_memory_per_gpu_non_increasing_with_more_tensor_parallelism(model, seq, batch, tp):
    # tp stays inside an 8-GPU node and seq inside the context window (else an InputError)
    seq = min(seq, mlsysim.Models.Language[model].context_length)
    fewer = ServingModel().solve(model, "H100", seq_len=seq, batch_size=batch, tp_size=tp)
    more = ServingModel().solve(model, "H100", seq_len=seq, batch_size=batch, tp_size=tp * 2)
    assert more.memory_per_gpu <= fewer.memory_per_gpu


@settings(max_examples=50, deadline=None)
@given(seq=st.integers(1, 16384), extra=st.integers(1, 16384), batch=st.integers(1, 64))
def test_kv_cache_and_ttft_grow_with_context(seq, extra, batch):
    short = ServingModel().solve("Llama3_8B", "H100", seq_len=seq, batch_size=batch)
    long = ServingModel().solve("Llama3_8B", "H100", seq_len=seq + extra, batch_size=batch)
    assert long.kv_cache_size > short.kv_cache_size and long.ttft > short.ttft


def test_serving_rejects_non_decoders_and_bad_tp():
    with pytest.raises(InputError, match="ResNet-50 is not a decoder language model"):
        ServingModel().solve("ResNet50", "H100", seq_len=128)
    with pytest.raises(InputError, match="tp_size must be a whole number >= 1, got 0"):
        ServingModel().solve("Llama3_8B", "H100", seq_len=128, tp_size=0)


# -- DistributedModel ---------------------------------------------------------
def test_data_parallel_hand_worked():
    # 2 nodes x 8 H100, pure data parallelism (dp=16), global batch 16 x 2048 tokens of Llama 3 8B.
    fleet = _fleet(2)
    result = DistributedModel().solve("Llama3_8B", fleet, batch_size=16, seq_len=2048,
                                      efficiency=0.5, allreduce="ring")
    tokens = 16 * 2048
    flops = 3 * ((16_060_522_496 - 1_050_673_152) * tokens  # no FLOPs for the input lookup
                 + 4 * 32 * 1024 * 4096 * tokens)  # causal: s/2 keys
    t_compute = flops / 16 / (0.5 * 989.5e12)
    assert result.compute_latency.m_as("s") == pytest.approx(t_compute, rel=1e-9)
    # Ring over 16 ranks, each with one 400 Gb/s port (50 GB/s per direction), 1 us per hop.
    grads = 16_060_522_496
    t_ring = 2 * 15 / 16 * grads / 50e9 + 2 * 15 * 1e-6
    assert result.dp_communication_latency.m_as("s") == pytest.approx(t_ring, rel=1e-9)
    assert result.step_latency_total.m_as("s") == pytest.approx(t_compute + t_ring, rel=1e-9)
    assert result.scaling_efficiency == pytest.approx(t_compute / (t_compute + t_ring))
    assert result.parallelism["dp"] == 16


def test_pipeline_bubble_follows_megatron():
    fleet = _fleet(4)
    result = DistributedModel().solve("Llama3_70B", fleet, batch_size=64, tp_size=8, pp_size=4,
                                      microbatch_count=16, seq_len=2048)
    compute = result.compute_latency.m_as("s")
    assert result.pipeline_bubble_latency.m_as("s") == pytest.approx(compute * 3 / 16)


@settings(max_examples=30, deadline=None)
@given(nodes=st.sampled_from([2, 4, 8, 16, 64]), more=st.sampled_from([2, 4]))
def test_more_data_parallel_ranks_lower_scaling_efficiency(nodes, more):
    small = DistributedModel().solve("Llama3_8B", _fleet(nodes), batch_size=nodes * 8 * 4 * more)
    large = DistributedModel().solve("Llama3_8B", _fleet(nodes * more),
                                     batch_size=nodes * 8 * 4 * more)
    assert large.scaling_efficiency <= small.scaling_efficiency
    assert large.step_latency_total < small.step_latency_total


def test_zero_and_recomputation_shrink_memory_per_rank():
    fleet = _fleet(4)
    args = dict(batch_size=32, tp_size=8, seq_len=4096)
    plain = DistributedModel().solve("Llama3_70B", fleet, **args)
    zero3 = DistributedModel().solve("Llama3_70B", fleet, zero_stage=3, **args)
    recompute = DistributedModel().solve("Llama3_70B", fleet, zero_stage=3,
                                         activation_recomputation=True, **args)
    assert plain.memory_per_rank > zero3.memory_per_rank > recompute.memory_per_rank


def test_overlap_hides_communication():
    fleet = _fleet(8)
    none = DistributedModel().solve("Llama3_8B", fleet, batch_size=64, overlap=0.0)
    full = DistributedModel().solve("Llama3_8B", fleet, batch_size=64, overlap=1.0)
    assert full.communication_latency < none.communication_latency


@pytest.mark.parametrize("kwargs, fragment", [
    ({"tp_size": 3}, "does not divide the fleet's 16 accelerators"),
    ({"batch_size": 17}, "does not split into dp=16 replicas"),
    ({"zero_stage": 4}, "zero_stage must be 0, 1, 2 or 3, got 4"),
    ({"allreduce": "butterfly"}, "allreduce must be one of ring, tree, hierarchical"),
    ({"overlap": 2}, "overlap must be in [0, 1], got 2"),
])
def test_distributed_errors_name_the_input(kwargs, fragment):
    args = {"batch_size": 16, **kwargs}
    with pytest.raises(InputError) as info:
        DistributedModel().solve("Llama3_8B", _fleet(2), **args)
    assert fragment in str(info.value)


def test_fleet_rejects_bad_count():
    with pytest.raises(InputError, match="whole number of nodes >= 1, got 0"):
        _fleet(0)


def test_distributed_default_sequence_fits_the_models_context():
    # The calibrated 2048-token default would exceed GPT-2's 1024-token context; unset, it
    # takes the context, and the trace says so. A seq_len given beyond the context is refused.
    import mlsysim
    from mlsysim.errors import InputError
    from mlsysim.systems import Fleet

    fleet = Fleet(node=mlsysim.Systems.Nodes.DGX_H100, count=2)
    result = DistributedModel().solve("GPT2", fleet, 64)
    assert any("x 1024 tokens per replica" in line for line in result.constraint_trace)
    assert any("x 2048 tokens per replica" in line
               for line in DistributedModel().solve("Llama3_8B", fleet, 64).constraint_trace)
    with pytest.raises(InputError, match="seq_len"):
        DistributedModel().solve("GPT2", fleet, 64, seq_len=2048)
