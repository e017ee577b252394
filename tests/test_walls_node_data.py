"""Solvers for the software (3), ingestion (8), transformation (9) and locality (10) walls:
each with a hand-worked case, a property and bad inputs checked by their messages, and the
walls' worked examples run as the site would run them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim import Engine, Literature
from mlsysim.errors import InputError
from mlsysim.solvers import (DataPipelineModel, DistributedModel, LocalityModel,
                             SoftwareEfficiencyModel)
from mlsysim.solvers.software import FACTORS

FACTOR_NAMES = [name for name, _ in FACTORS]


def _product(result) -> float:
    return math.prod(getattr(result, name) for name in FACTOR_NAMES)


# -- SoftwareEfficiencyModel ----------------------------------------------------------------

def test_a_compute_bound_pass_loses_only_its_kernel_efficiency():
    # ResNet-50 training at batch 256 on an H100 is compute-bound (its FLOPs at half of
    # 989.5 TFLOP/s take far longer than its bytes at 3.35 TB/s), so the roofline share is 1
    # and MFU = eta x 1 x 1 x 1 x 1 = 0.5, i.e. 494.75 TFLOP/s achieved.
    result = SoftwareEfficiencyModel().solve("ResNet50", "H100", batch_size=256, efficiency=0.5,
                                             is_training=True)
    assert result.roofline_share == 1 and result.matmul_efficiency == 0.5
    assert result.mfu == pytest.approx(0.5)
    assert result.achieved_rate.m_as("TFLOP/s") == pytest.approx(494.75)
    assert result.largest_loss == "matmul_efficiency"
    assert result.configuration == "single device"
    # A host overhead as long as the pass itself halves the MFU: r_overhead = T / (T + T).
    t_pass = Engine.solve("ResNet50", "H100", batch_size=256, efficiency=0.5,
                          is_training=True).latency_s
    slowed = SoftwareEfficiencyModel().solve("ResNet50", "H100", batch_size=256, efficiency=0.5,
                                             is_training=True, step_overhead=t_pass)
    assert slowed.overhead_share == pytest.approx(0.5)
    assert slowed.mfu == pytest.approx(0.25)


def test_a_memory_bound_decode_step_is_limited_by_its_roofline_share():
    # One decode step: T_c = F / (eta P), T_m = B / (eta_m BW), T = T_m when memory-bound, so
    # r_roofline = T_c / T_m and MFU = eta r_roofline = F / (P T_m) = F eta_m BW / (P B), read
    # from the engine's own pass costs F and B.
    # eta_m is the calibrated decode memory efficiency (75% today), the solver's default.
    from mlsysim.engine import calibration

    eta_m = calibration.efficiency_for("decode")[1]
    p = Engine.solve("Llama3_8B", "H100", batch_size=1, efficiency=0.5, memory_efficiency=eta_m)
    result = SoftwareEfficiencyModel().solve("Llama3_8B", "H100", batch_size=1, efficiency=0.5)
    assert p.bottleneck == "Memory"
    expected = p.flops_count * eta_m * 3.35e12 / (989.5e12 * p.traffic_bytes)
    assert result.mfu == pytest.approx(expected, rel=1e-9)
    assert result.roofline_share == pytest.approx(expected / 0.5, rel=1e-9)
    assert result.largest_loss == "roofline_share"


def test_a_pipelined_step_by_hand_bubble_and_recomputation():
    # Llama 3 70B over 1024 H100, tp 8 x pp 4, 8 microbatches, no interleaving: the bubble is
    # (p - 1)/(v m) = 3/8 of compute, so r_bubble = 1 / (1 + 3/8) = 8/11. Recomputing the
    # forward executes 8N FLOPs per token for the 6N the model needs: r_work = 6/8 = 0.75
    # (80 layers split evenly over 4 stages, so no imbalance).
    args = dict(fleet="Research_1024_H100", batch_size=1024, tp_size=8, pp_size=4,
                microbatch_count=8, efficiency=0.4)
    plain = SoftwareEfficiencyModel().solve("Llama3_70B", **args)
    assert plain.bubble_share == pytest.approx(8 / 11)
    assert plain.work_share == pytest.approx(1.0)
    assert plain.configuration == "fleet"
    recompute = SoftwareEfficiencyModel().solve("Llama3_70B", activation_recomputation=True,
                                                **args)
    assert recompute.work_share == pytest.approx(0.75)
    # Over a fleet, the decomposition times DistributedModel's own MFU by the roofline share
    # of the engine's microbatch pass.
    step = DistributedModel().solve("Llama3_70B", args["fleet"], 1024, tp_size=8, pp_size=4,
                                    microbatch_count=8, efficiency=0.4)
    share = step.node_profile.compute_time_s / step.node_profile.latency_s
    assert plain.mfu == pytest.approx(step.mfu * share, rel=1e-9)
    assert plain.communication_share == pytest.approx(
        (step.compute_latency + step.pipeline_bubble_latency).m_as("s")
        / step.step_latency_total.m_as("s"))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["Llama3_8B", "ResNet50", "GPT2", "MobileNetV2"]),
       st.integers(1, 512), st.floats(0.05, 1.0), st.booleans(), st.floats(0, 1.0))
def test_the_factors_multiply_to_the_mfu_on_one_device(model, batch, eta, training, overhead):
    result = SoftwareEfficiencyModel().solve(model, "H100", batch_size=batch, efficiency=eta,
                                             is_training=training, step_overhead=overhead)
    assert _product(result) == pytest.approx(result.mfu, rel=1e-12)
    assert all(0 < getattr(result, name) <= 1 + 1e-12 for name in FACTOR_NAMES)
    assert result.largest_loss == min(FACTOR_NAMES, key=lambda name: getattr(result, name))
    engine = Engine.solve(model, "H100", batch_size=batch, efficiency=eta,
                          is_training=training)
    assert result.mfu == pytest.approx(
        engine.mfu * engine.latency_s / (engine.latency_s + overhead), rel=1e-9)


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([(8, 1, 1), (8, 4, 8), (4, 2, 4), (1, 8, 16)]), st.booleans(),
       st.floats(0.1, 0.9))
def test_the_factors_multiply_to_the_mfu_over_a_fleet(layout, recompute, eta):
    tp, pp, m = layout
    result = SoftwareEfficiencyModel().solve(
        "Llama3_70B", fleet="Research_1024_H100", batch_size=2048, tp_size=tp, pp_size=pp,
        microbatch_count=m, activation_recomputation=recompute, efficiency=eta)
    assert _product(result) == pytest.approx(result.mfu, rel=1e-12)
    assert all(0 < getattr(result, name) <= 1 + 1e-12 for name in FACTOR_NAMES)


def test_software_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"needs hardware \(one device\) or fleet .* got "
                                         r"neither; pass e.g. hardware='H100'"):
        SoftwareEfficiencyModel().solve("Llama3_8B")
    with pytest.raises(InputError, match=r"efficiency must be in \(0, 1\]"):
        SoftwareEfficiencyModel().solve("Llama3_8B", "H100", efficiency=1.5)
    with pytest.raises(InputError, match=r"is_training must be True or False, got 'yes'"):
        SoftwareEfficiencyModel().solve("Llama3_8B", "H100", is_training="yes")
    with pytest.raises(InputError, match=r"step_overhead must be finite and >= 0 s, got "
                                         r"'-1 ms'"):
        SoftwareEfficiencyModel().solve("Llama3_8B", "H100", step_overhead="-1 ms")
    with pytest.raises(InputError, match=r"does not split into dp="):
        SoftwareEfficiencyModel().solve("Llama3_70B", fleet="Research_1024_H100", batch_size=3,
                                        tp_size=8)


# -- DataPipelineModel ----------------------------------------------------------------------

def test_ingestion_binds_by_hand():
    # 10,000 samples/s x 100 kB = 1 GB/s needed; one reader at 500 MB/s gives half of it:
    # utilisation 2, storage delivers 500e6 / 100e3 = 5,000 samples/s, idle 1 - 5000/10000.
    result = DataPipelineModel().solve("100 kB", consumption_rate=10_000,
                                       read_bandwidth="500 MB/s")
    assert result.required_bandwidth.m_as("GB/s") == pytest.approx(1.0)
    assert result.available_bandwidth.m_as("MB/s") == pytest.approx(500)
    assert result.ingestion_utilization == pytest.approx(2.0)
    assert result.ingestion_rate.m_as("sample/s") == pytest.approx(5000)
    assert result.ingestion_binds and result.binding_stage == "ingestion"
    assert result.accelerator_idle_share == pytest.approx(0.5)
    assert result.transformation_binds is None and result.preprocessing_rate is None


def test_transformation_binds_by_hand_with_the_zoo_decode_rate():
    # Four readers at 500 MB/s deliver 20,000 samples/s of 100 kB, above the 10,000 demanded.
    # 8 cores x 577 images/s (Pillow, one thread) = 4,616 samples/s, so decode binds:
    # idle 1 - 4616/10000 = 0.5384; ceil(10000 / 577) = ceil(17.33) = 18 cores keep up.
    result = DataPipelineModel().solve("100 kB", consumption_rate="10000 sample/s",
                                       read_bandwidth="500 MB/s", readers=4, cpu_cores=8)
    assert Literature.DataPipeline.PillowJpegDecodePerThread.m_as("sample/s") == 577
    assert not result.ingestion_binds
    assert result.preprocessing_rate.m_as("sample/s") == pytest.approx(4616)
    assert result.transformation_binds and result.binding_stage == "transformation"
    assert result.accelerator_idle_share == pytest.approx(0.5384)
    assert result.cores_needed == 18
    assert "Literature.DataPipeline.PillowJpegDecodePerThread" in result.constraint_trace[2]


def test_demand_from_the_engine_is_its_throughput_times_the_accelerators():
    per_gpu = Engine.solve("ResNet50", "H100", batch_size=256, is_training=True)
    result = DataPipelineModel().solve("110 kB", model="ResNet50", hardware="H100",
                                       batch_size=256, accelerators=8)
    assert result.demand.m_as("sample/s") == pytest.approx(8 * per_gpu.throughput_per_s)
    # One NVMe drive from the Zoo: Hardware.Tech.NvmeGen4SequentialRead = 7,450 MB/s.
    assert result.available_bandwidth.m_as("MB/s") == pytest.approx(7450)


def test_data_read_over_the_network_at_a_fabrics_one_way_bandwidth():
    # Two NDR InfiniBand links (400 Gb/s = 50 GB/s each way) deliver 100 GB/s; 100,000
    # samples/s of 110 kB need 11 GB/s: 11% used, 100e9 / 110e3 = 909,091 samples/s.
    result = DataPipelineModel().solve("110 kB", consumption_rate=100_000,
                                       read_bandwidth="InfiniBand_NDR", readers=2)
    assert result.available_bandwidth.m_as("GB/s") == pytest.approx(100)
    assert result.ingestion_utilization == pytest.approx(0.11)
    assert result.ingestion_rate.m_as("sample/s") == pytest.approx(100e9 / 110e3)
    assert "Systems.Fabrics.InfiniBand_NDR" in result.constraint_trace[1]


@settings(max_examples=60, deadline=None)
@given(st.floats(1e2, 1e6), st.floats(1e3, 1e7), st.floats(1e7, 1e10), st.integers(1, 16),
       st.integers(1, 256), st.floats(10, 5000))
def test_the_pipeline_delivers_its_slowest_stage(demand, size, bandwidth, readers, cores, rate):
    model = DataPipelineModel()
    result = model.solve(size, consumption_rate=demand, read_bandwidth=bandwidth,
                         readers=readers, cpu_cores=cores, per_core_rate=rate)
    slowest = min(demand, readers * bandwidth / size, cores * rate)
    assert result.delivered_rate.m_as("sample/s") == pytest.approx(slowest)
    assert 0 <= result.accelerator_idle_share < 1
    assert result.cores_needed * rate >= demand * (1 - 1e-12)
    assert (result.cores_needed - 1) * rate < demand
    more = model.solve(size, consumption_rate=demand, read_bandwidth=bandwidth,
                       readers=readers + 1, cpu_cores=cores + 1, per_core_rate=rate)
    assert more.accelerator_idle_share <= result.accelerator_idle_share + 1e-12


def test_data_pipeline_bad_inputs_say_what_to_pass():
    model = DataPipelineModel()
    with pytest.raises(InputError, match=r"bytes_per_sample must be a quantity convertible "
                                         r"to B"):
        model.solve("3 s", consumption_rate=100)
    with pytest.raises(InputError, match=r"needs consumption_rate \(samples/s\) or a model and "
                                         r"hardware"):
        model.solve("100 kB")
    with pytest.raises(InputError, match=r"readers must be a whole number >= 1, got 0"):
        model.solve("100 kB", consumption_rate=100, readers=0)
    with pytest.raises(InputError, match=r"cpu_cores must be a whole number >= 1, got -2"):
        model.solve("100 kB", consumption_rate=100, cpu_cores=-2)
    with pytest.raises(InputError, match=r"read_bandwidth: 'DGX_H100' is Systems.Nodes.DGX_H100, "
                                         r"not a fabric"):
        model.solve("100 kB", consumption_rate=100, read_bandwidth="DGX_H100")
    with pytest.raises(InputError, match=r"read_bandwidth must be a quantity convertible to "
                                         r"B/s"):
        model.solve("100 kB", consumption_rate=100, read_bandwidth="fast")
    with pytest.raises(InputError, match=r"per_core_rate must be finite and > 0"):
        model.solve("100 kB", consumption_rate=100, per_core_rate=0)


# -- LocalityModel --------------------------------------------------------------------------

def test_one_gigabyte_from_each_level_of_an_h100_by_hand():
    model = LocalityModel()
    # Host: PCIe Gen5 x16 at 128 GB/s both ways = 64 GB/s one way: 1e9 / 64e9 = 15.625 ms.
    # DRAM read energy: 1e9 / 8 B x 1.3 nJ = 0.1625 J. Device memory 3.35 TB/s:
    # 1e9 / 3.35e12 = 0.2985 ms, so the host is 3350 / 64 = 52.34x slower.
    host = model.solve("H100", data="1 GB", level="host")
    assert host.bandwidth.m_as("GB/s") == pytest.approx(64)
    assert host.transfer_time.m_as("ms") == pytest.approx(15.625)
    assert host.energy.m_as("J") == pytest.approx(0.1625)
    assert host.slowdown == pytest.approx(3350 / 64)
    # Peer: NVLink 4 at 900 GB/s both ways = 450 GB/s one way: 2.222 ms.
    assert model.solve("H100", data="1 GB", level="peer").transfer_time.m_as("ms") == \
        pytest.approx(1e3 / 450)
    # Network: NDR InfiniBand 400 Gb/s = 50 GB/s each way; 1 GB in 20 ms, +5 us given latency.
    net = model.solve("H100", data="1 GB", level="network", fabric="InfiniBand_NDR",
                      latency="5 us")
    assert net.transfer_time.m_as("ms") == pytest.approx(20.005)
    assert net.energy is None
    # Storage: one NVMe drive at 7,450 MB/s: 1e9 / 7.45e9 = 134.2 ms.
    assert model.solve("H100", data="1 GB", level="storage").transfer_time.m_as("ms") == \
        pytest.approx(1e3 / 7.45)


def test_weight_streaming_from_host_memory_by_hand():
    # Llama 3.1 8B in fp16: 8,030,261,248 x 2 B = 16.06 GB read once per decode step over
    # 64 GB/s: 16.0605e9 / 64e9 = 0.25094 s per token, 3.985 tokens/s for one sequence.
    result = LocalityModel().solve("H100", model="Llama3_8B", level="host")
    assert result.bytes_moved.m_as("B") == 8_030_261_248 * 2
    assert result.decode_time_per_token.m_as("s") == pytest.approx(8_030_261_248 * 2 / 64e9)
    assert result.tokens_per_second.m_as("token/s") == pytest.approx(64e9 / (8_030_261_248 * 2))
    # GH200: the same weights over NVLink-C2C, 900 GB/s both ways = 450 GB/s from the Grace
    # CPU's memory: 16.0605e9 / 450e9 = 35.69 ms, against 4.9 TB/s HBM3e: 4900/450 = 10.89x.
    c2c = LocalityModel().solve("GH200", model="Llama3_8B", level="host")
    assert c2c.decode_time_per_token.m_as("s") == pytest.approx(8_030_261_248 * 2 / 450e9)
    assert c2c.slowdown == pytest.approx(4900 / 450)
    sram = LocalityModel().solve("GroqLPU", data="230 MB", level="sram")
    # Groq's 80 TB/s on-die SRAM: 230e6 / 80e12 = 2.875 us; 1 MB SRAM read energy 0.1 nJ/8 B.
    assert sram.transfer_time.m_as("us") == pytest.approx(2.875)
    assert sram.energy.m_as("J") == pytest.approx(230e6 / 8 * 0.1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 1e13), st.floats(1.01, 100.0), st.floats(0, 1e-3))
def test_transfer_time_is_bytes_over_bandwidth_plus_latency(size, factor, lat):
    model = LocalityModel()
    times = {level: model.solve("H100", data=size, level=level, fabric="InfiniBand_NDR",
                                latency=lat).transfer_time.m_as("s")
             for level in ("device_memory", "peer", "host", "network", "storage")}
    assert list(times) == sorted(times, key=times.get)  # nearer levels are faster
    one = model.solve("H100", data=size, level="host", latency=lat)
    assert one.transfer_time.m_as("s") == pytest.approx(size / 64e9 + lat)
    bigger = model.solve("H100", data=size * factor, level="host", latency=lat)
    assert bigger.transfer_time > one.transfer_time
    assert bigger.energy.m_as("J") == pytest.approx(factor * one.energy.m_as("J"))


def test_locality_bad_inputs_say_what_to_pass():
    model = LocalityModel()
    with pytest.raises(InputError, match=r"level must be one of sram, device_memory, peer, "
                                         r"host, network, storage, got 'L3'"):
        model.solve("H100", data="1 GB", level="L3")
    with pytest.raises(InputError, match=r"Hardware.Cloud.H100 has no on-chip SRAM bandwidth "
                                         r"\(its memory is HBM3\); pass bandwidth="):
        model.solve("H100", data="1 GB", level="sram")
    with pytest.raises(InputError, match=r"B200 lists no interconnect.host link; pass "
                                         r"bandwidth="):
        model.solve("B200", data="1 GB", level="host")
    with pytest.raises(InputError, match=r"the network level needs a fabric"):
        model.solve("H100", data="1 GB", level="network")
    with pytest.raises(InputError, match=r"needs data .* or a model whose weights stream; got "
                                         r"neither"):
        model.solve("H100")
    with pytest.raises(InputError, match=r"data must be finite and > 0 B, got -5"):
        model.solve("H100", data=-5)
    with pytest.raises(InputError, match=r"latency must be finite and >= 0 s"):
        model.solve("H100", data="1 GB", latency="-1 s")


# -- the walls' worked examples ---------------------------------------------------------------

@pytest.mark.parametrize("key", ["software", "ingestion", "transformation", "locality"])
def test_each_walls_example_runs_and_shows_real_fields(key):
    from mlsysim.walls import run_example, wall

    item = wall(key)
    worked = run_example(item)  # as the site and `mlsysim walls KEY` run it
    assert [name for name, _, _ in worked.outputs] == list(item.example.show)
    assert all(value not in ("", "None") for _, value, _ in worked.outputs), worked.outputs


def test_scenarios_run_the_software_and_locality_solvers_by_name():
    from mlsysim import Scenarios

    training = Scenarios.FrontierTraining.evaluate(solvers=["SoftwareEfficiencyModel"])
    result = training.solvers["SoftwareEfficiencyModel"]
    assert result.configuration == "fleet"
    assert _product(result) == pytest.approx(result.mfu, rel=1e-12)
    # A scenario of stand-alone devices decomposes one device's pass.
    vision = Scenarios.DatacenterVision.evaluate(solvers=["SoftwareEfficiencyModel",
                                                          "LocalityModel"])
    assert vision.solvers["SoftwareEfficiencyModel"].configuration == "single device"
    assert vision.solvers["LocalityModel"].level == "host"
