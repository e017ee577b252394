"""Hand-worked checks of the physics fixes of issue 18 (each number worked out in comments)."""

from __future__ import annotations

import pytest

from mlsysim import Engine, Models
from mlsysim.physics import communication, pipeline, transformer
from mlsysim.solvers import DistributedModel, ServingModel

CLUSTER = "Research_1024_H100"  # 128 DGX H100 nodes (8 GPUs, NVLink 4, 8 NDR ports), 1:1
N_8B = 8_030_261_248            # Llama 3.1 8B parameters


def test_hierarchical_allreduce_inter_node_term_uses_per_gpu_nic_bandwidth():
    # dp = 1024 (tp = pp = 1) over 128 nodes of 8: the gradient S = 2 B x 8.03 B = 16.06 GB.
    # Intra: NVLink 4, 900 GB/s both ways -> 450 GB/s per direction; inter: one 400 Gb/s NDR
    # port per GPU -> 50 GB/s per direction. No latencies in the Zoo (alpha = 0).
    # T = 2 (7/8) S / 450e9 + 2 (127/128) (S / 8) / 50e9
    #   = 2 * 0.875 * 16.06e9 / 450e9 + 2 * 0.9921875 * 2.0076e9 / 50e9
    #   = 62.46 ms + 79.68 ms = 142.1 ms
    # (the old code passed 8 x 50 GB/s for the inter-node rings: 9.96 ms, 8x too fast).
    s = 2 * N_8B
    expected = 2 * 7 / 8 * s / 450e9 + 2 * 127 / 128 * (s / 8) / 50e9
    result = DistributedModel().solve("Llama3_8B", CLUSTER, batch_size=1024, efficiency=0.5)
    assert result.dp_communication_latency.m_as("s") == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.1421, rel=1e-3)


def test_zero3_adds_weight_all_gathers_one_and_a_half_times_the_data_parallel_volume():
    # ZeRO-3: reduce-scatter (S) + all-gather forward (S) + all-gather backward (S) = 3 S
    # against an all-reduce's 2 S: 142.1 ms x 1.5 = 213.2 ms.
    assert communication.zero_data_parallel_time(2.0, 3) == 3.0
    assert communication.zero_data_parallel_time(2.0, 2) == 2.0
    base = DistributedModel().solve("Llama3_8B", CLUSTER, batch_size=1024, efficiency=0.5)
    z3 = DistributedModel().solve("Llama3_8B", CLUSTER, batch_size=1024, efficiency=0.5,
                                  zero_stage=3)
    assert z3.dp_communication_latency.m_as("s") == pytest.approx(
        1.5 * base.dp_communication_latency.m_as("s"), rel=1e-12)
    assert any("ZeRO-3" in line for line in z3.constraint_trace)


def test_full_recomputation_costs_8n_flops_and_six_tp_allreduces_per_layer():
    # Forward F; without recomputation 3F (6N per token), with it 4F (8N per token).
    assert transformer.training_flops(1.0) == 3.0
    assert transformer.training_flops(1.0, recompute=True) == 4.0
    # Llama 3.1 8B, 1024 GPUs as dp 128 x tp 8, global batch 128 of 2048 tokens:
    # compute time grows by 4/3 and the TP all-reduces from 4 to 6 per layer (x 1.5);
    # MFU keeps counting model FLOPs (6N), so it falls as the step lengthens.
    kw = dict(batch_size=128, efficiency=0.5, tp_size=8, seq_len=2048)
    plain = DistributedModel().solve("Llama3_8B", CLUSTER, **kw)
    recomputed = DistributedModel().solve("Llama3_8B", CLUSTER, activation_recomputation=True,
                                          **kw)
    assert recomputed.compute_latency.m_as("s") == pytest.approx(
        plain.compute_latency.m_as("s") * 4 / 3, rel=1e-12)
    assert recomputed.tp_communication_latency.m_as("s") == pytest.approx(
        plain.tp_communication_latency.m_as("s") * 1.5, rel=1e-12)
    assert recomputed.mfu < plain.mfu


def test_interleaved_pipeline_multiplies_p2p_transfers_by_the_chunks():
    # 2 m v transfers per step: m = 8 microbatches, v = 2 chunks -> 32 transfers of T_p2p.
    assert pipeline.pipeline_p2p_time(8, 2, 1e-3) == pytest.approx(32e-3)
    kw = dict(batch_size=256, efficiency=0.5, tp_size=8, pp_size=4, microbatch_count=8)
    one = DistributedModel().solve("Llama3_70B", CLUSTER, **kw)
    two = DistributedModel().solve("Llama3_70B", CLUSTER, interleave=2, **kw)
    assert two.pp_communication_latency.m_as("s") == pytest.approx(
        2 * one.pp_communication_latency.m_as("s"), rel=1e-12)
    # Each microbatch boundary: 1 sequence x 2048 tokens x 8192 x 2 B = 33.55 MB over one
    # GPU's 50 GB/s NDR share (tp x pp = 32 > 8 GPUs per node): 0.671 ms; x 2 x 8 x 2 = 21.5 ms.
    boundary = 1 * 2048 * 8192 * 2
    assert two.pp_communication_latency.m_as("s") == pytest.approx(
        2 * 8 * 2 * boundary / 50e9, rel=1e-9)


def test_kv_cache_per_gpu_is_total_over_min_of_tp_and_kv_heads():
    assert transformer.kv_cache_shards(4, 8) == 4     # GQA, 8 KV heads over 4 GPUs
    assert transformer.kv_cache_shards(16, 8) == 8    # more GPUs than KV heads: replicated
    assert transformer.kv_cache_shards(8, 1) == 1     # MQA / MLA: every GPU holds it all
    # DeepSeek-V3 (MLA: 61 layers x (512 + 64) values x 2 B = 70,272 B per token), 1 request
    # of 1024 tokens, tp 8 on H100: the latent is replicated, so each GPU holds all
    # 70,272 x 1024 = 71.96 MB of it, plus 1/8 of the fp16 weights.
    model = Models.Language.DeepSeekV3
    params = model.parameters.m_as("param")
    result = ServingModel().solve("DeepSeekV3", "H100", seq_len=1024, batch_size=1, tp_size=8,
                                  efficiency=0.5, memory_efficiency=1.0)
    kv = 61 * (512 + 64) * 2 * 1024
    assert result.kv_cache_size.m_as("B") == kv
    assert result.memory_per_gpu.m_as("B") == pytest.approx(params * 2 / 8 + kv, rel=1e-12)
    # Llama 3 70B has 8 KV heads: at tp 8 the cache splits 8 ways, as before.
    gqa = ServingModel().solve("Llama3_70B", "H100", seq_len=1024, batch_size=1, tp_size=8,
                               efficiency=0.5, memory_efficiency=1.0)
    kv70 = 2 * 80 * 8 * 128 * 2 * 1024
    weights70 = Models.Language.Llama3_70B.parameters.m_as("param") * 2
    assert gqa.memory_per_gpu.m_as("B") == pytest.approx(weights70 / 8 + kv70 / 8, rel=1e-12)


def test_tensor_parallel_serving_allreduce_pays_the_fabric_latency(monkeypatch):
    # Llama 3 70B decode, batch 1, tp 8: 2 all-reduces x 80 layers, each a ring with
    # 2 (8 - 1) = 14 latency steps. With alpha = 1 us the ITL grows by 160 x 14 us = 2.24 ms.
    from mlsysim.solvers import serving

    kw = dict(seq_len=1024, batch_size=1, tp_size=8, efficiency=0.5, memory_efficiency=1.0)
    without = ServingModel().solve("Llama3_70B", "H100", **kw)
    assert any("lists no latency" in line for line in without.constraint_trace)
    monkeypatch.setattr(serving, "_scale_up_latency", lambda node: (1e-6, ""))
    with_latency = ServingModel().solve("Llama3_70B", "H100", **kw)
    assert (with_latency.itl - without.itl).m_as("s") == pytest.approx(160 * 14e-6, rel=1e-9)


# -- defaults that reach users ------------------------------------------------------------
def test_engine_default_efficiency_is_the_calibrated_class_value_and_is_cited():
    from mlsysim.engine import calibration

    eta, eta_mem = calibration.efficiency_for("decode")
    result = Engine.solve("Llama3_8B", "H100", batch_size=8)
    assert (result.efficiency, result.memory_efficiency) == (eta, eta_mem)
    assert "Literature.Calibration.DecodeComputeEfficiency" in result.constraint_trace[0]
    explicit = Engine.solve("Llama3_8B", "H100", batch_size=8, efficiency=0.45)
    assert explicit.efficiency == 0.45 and explicit.memory_efficiency == eta_mem


def test_engine_and_serving_defaults_agree_with_the_scenario():
    from mlsysim import Scenarios

    vision = Scenarios.DatacenterVision.evaluate()
    profile = Engine.solve("ResNet50", "L4", batch_size=128, precision="int8")
    assert vision.results["engine"].latency_s == profile.latency_s

    chat = Scenarios.ChatbotServing.evaluate()
    served = ServingModel().solve("Llama3_70B", "H100", seq_len=2048, batch_size=4, tp_size=8)
    assert chat.performance.metrics["ttft"] == served.ttft
    assert chat.performance.metrics["itl"] == served.itl


def test_distributed_default_efficiency_is_the_calibrated_training_value():
    from mlsysim.engine import calibration

    result = DistributedModel().solve("Llama3_8B", CLUSTER, batch_size=1024)
    explicit = DistributedModel().solve("Llama3_8B", CLUSTER, batch_size=1024,
                                        efficiency=calibration.efficiency_for("training")[0])
    assert result.step_latency_total == explicit.step_latency_total
    assert "TrainingComputeEfficiency" in result.constraint_trace[0]


def test_new_formulas_keep_their_dimensions():
    from mlsysim.units import Quantity as Q

    t = Q(2, "ms")
    assert communication.zero_data_parallel_time(t, 3).m_as("ms") == pytest.approx(3.0)
    assert pipeline.pipeline_p2p_time(8, 2, t).m_as("ms") == pytest.approx(64.0)
    assert transformer.training_flops(Q(1, "FLOP"), recompute=True).m_as("FLOP") == 4.0
    # KV shards are a count: 1 GB of cache over min(8, 2) = 2 shards is 0.5 GB per GPU.
    assert (Q(1, "GB") / transformer.kv_cache_shards(8, 2)).m_as("GB") == 0.5


def test_expert_all_to_all_counts_top_k_and_stays_on_nvlink_inside_a_node():
    # Mixtral 8x7B (32 layers, d 4096, top-2), ep 8 inside one DGX H100 (ep x tp x pp = 8):
    # per microbatch of 1 x 2048 tokens the dispatch carries 2048 x 4096 x 2 B x k=2
    # = 33.55 MB; all-to-all over 8 ranks at NVLink's 450 GB/s: 7/8 x 33.55e6 / 450e9
    # = 65.24 us; 4 all-to-alls (dispatch and combine, forward and backward) x 32 layers x
    # 1 microbatch = 8.35 ms.
    message = 2048 * 4096 * 2 * 2
    expected = 4 * 32 * (7 / 8) * message / 450e9
    result = DistributedModel().solve("Mixtral8x7B", CLUSTER, batch_size=1024, ep_size=8,
                                      efficiency=0.5)
    assert result.ep_communication_latency.m_as("s") == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(8.35e-3, rel=1e-3)


def test_flash_attention_keeps_no_attention_scores_for_backward():
    # Llama 3 8B layer, s 8192, b 1, h 4096, a 32: without FlashAttention
    # s b h (34 + 5 a s / h) = 8192 x 4096 x (34 + 320) = 11.88 GB; with it 34 s b h = 1.141 GB.
    plain = transformer.activation_memory_per_layer(8192, 1, 4096, 32)
    flash = transformer.activation_memory_per_layer(8192, 1, 4096, 32, flash_attention=True)
    assert plain == 8192 * 4096 * 354
    assert flash == 8192 * 4096 * 34 == pytest.approx(1.141e9, rel=1e-3)


def test_causal_attention_is_halved_for_whole_sequences_not_for_decode_steps():
    # Llama 3 8B training at s 8192: 3 x (2 N - 2 V d) + 3 x 4 L (s/2) d_attn per token (the
    # untied input embedding is a lookup: 2 V d = 2 x 128,256 x 4096 = 1.051 GFLOP less)
    # = 3 x (16.061 - 1.051) + 12 x 32 x 4096 x 4096 = 45.03 + 6.44 = 51.47 GFLOP per token.
    assert transformer.causal_mean_context(8192) == 4096
    result = Engine.solve("Llama3_8B", "H100", batch_size=1, seq_len=8192, is_training=True,
                          efficiency=0.5, memory_efficiency=1.0)
    per_token = 3 * (2 * N_8B - 2 * 128_256 * 4096 + 4 * 32 * 4096 * 4096)
    assert result.flops.m_as("FLOP") == pytest.approx(per_token * 8192, rel=1e-9)
    assert per_token == pytest.approx(51.47e9, rel=1e-3)
    # A decode step's one query still reads all 8192 keys: 2 N - 2 V d + 4 L s d_attn.
    step = Engine.solve("Llama3_8B", "H100", batch_size=1, seq_len=8192, efficiency=0.5,
                        memory_efficiency=1.0)
    assert step.flops.m_as("FLOP") == pytest.approx(2 * N_8B - 2 * 128_256 * 4096
                                                     + 4 * 32 * 8192 * 4096, rel=1e-9)
