"""Serving extensions (issue 19): ServingModel's per-phase costs (PhaseCosts), chunked prefill
(ChunkedPrefillModel), prefill/decode disaggregation (DisaggregatedServingModel) and prefix
caching (ContinuousBatchingModel's option, PrefixCachingModel): hand-worked arithmetic,
agreement with the models they build on, properties, bad input."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.errors import InputError, MlsysimError
from mlsysim.solvers import (ChunkedPrefillModel, ContinuousBatchingModel,
                             DisaggregatedServingModel, PrefixCachingModel, ServingModel)
from mlsysim.solvers.chunked_prefill import (chunk_candidates, chunk_schedule, occupied_slots,
                                             prefill_share, request_rate)
from mlsysim.solvers.disaggregation import pool_goodput
from mlsysim.solvers.serving import PhaseCosts

FEW = settings(max_examples=15, deadline=None)


# -- PhaseCosts: ServingModel's per-phase times ----------------------------------------------

@pytest.mark.parametrize("model, tp", [("Llama3_8B", 1), ("Llama3_70B", 8), ("Llama3_70B", 4)])
def test_phase_costs_are_serving_models_ttft_and_itl(model, tp):
    costs = PhaseCosts(model, "H100", tp_size=tp)
    prefill = ServingModel().solve(model, "H100", seq_len=1000, batch_size=1, tp_size=tp)
    decode = ServingModel().solve(model, "H100", seq_len=1500, batch_size=32, tp_size=tp)
    assert costs.prefill(1000).total == prefill.ttft.m_as("s")
    assert costs.decode(32, 1500).total == decode.itl.m_as("s")


def test_a_mixed_iteration_by_hand_llama3_8b_on_h100():
    costs = PhaseCosts("Llama3_8B", "H100", efficiency=1.0, memory_efficiency=1.0)
    step = costs.mixed(8, 1024, 512, 512)
    # Chunk of 512 queries after 512 cached tokens attends to 512 + 512/2 = 768 keys on average:
    # 15,009,849,344 FLOP/token x 512 = 7,685,042,864,128
    # + attention 4 x 32 layers x 768 x 4096 x 512 = 206,158,430,208 -> 7,891,201,294,336 FLOP.
    # Decode, 8 requests at context 1024: 15,009,849,344 x 8 = 120,078,794,752
    # + 4 x 32 x 1024 x 4096 x 8 = 4,294,967,296 -> 124,373,762,048 FLOP.
    # Compute = 8,015,575,056,384 FLOP / 989.5 TFLOP/s = 8.1006 ms.
    assert step.compute == pytest.approx(8_015_575_056_384 / 989.5e12)
    # Memory: weights 8,030,261,248 x 2 B = 16,060,522,496 B, read once; KV 131,072 B/token
    # (2 x 32 layers x 8 heads x 128 x 2 B): the chunk's 1024 tokens = 134,217,728 B, the
    # decode's 8 x 1024 = 1,073,741,824 B -> 17,268,482,048 B / 3.35 TB/s = 5.1548 ms.
    assert step.memory == pytest.approx(17_268_482_048 / 3.35e12)
    # total = max(8.1006 ms compute, 5.1548 ms memory) + no all-reduce (one GPU).
    assert step.comm == 0 and step.total == pytest.approx(8.1006e-3, rel=1e-4)


# -- chunked prefill --------------------------------------------------------------------------

def test_chunk_arithmetic_by_hand():
    # 1000 tokens in chunks of 300: three of 300 after 0, 300, 600 cached, then 100 after 900.
    assert chunk_schedule(1000, 300) == [(300, 0), (300, 300), (300, 600), (100, 900)]
    assert chunk_schedule(1000, 4096) == [(1000, 0)]
    # O = 256: a chunk per iteration admits a request every n = 4 iterations, each decodes 255
    # iterations, so floor(255 / 4) = 63 of 100 slots are busy; share = 63 x 4 / 255.
    assert occupied_slots(100, 4, 256) == 63
    assert occupied_slots(10, 4, 256) == 10
    assert occupied_slots(10, 1000, 256) == 1
    assert prefill_share(63, 4, 256) == pytest.approx(252 / 255)
    assert prefill_share(100, 4, 256) == 1.0
    # requests/s = min(63 / 255, 1 / 4) / 0.02 s = 12.35.
    assert request_rate(0.02, 63, 4, 256) == pytest.approx(63 / 255 / 0.02)
    assert chunk_candidates(100, 16) == [16, 32, 64, 100]
    assert chunk_candidates(64, 16) == [16, 32, 64]


def test_chunked_prefill_is_built_on_phase_costs_and_the_unchunked_baseline():
    r = ChunkedPrefillModel().solve("Llama3_8B", "H100", 2048, 256, chunk_size=512,
                                    batch_size=64)
    base = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, batch_size=64)
    costs = PhaseCosts("Llama3_8B", "H100")
    # n = 4 chunks; busy slots min(64, floor(255 / 4) = 63) = 63; context 2048 + 128.
    assert r.chunks_per_prompt == 4 and r.busy_slots == 63
    steps = [costs.mixed(63, 2176, 512, p).total for p in (0, 512, 1024, 1536)]
    assert r.ttft.m_as("s") == pytest.approx(sum(steps))
    assert r.max_step_time.m_as("s") == pytest.approx(max(steps)) == pytest.approx(steps[-1])
    share = 63 * 4 / 255
    itl = share * sum(steps) / 4 + (1 - share) * costs.decode(63, 2176).total
    assert r.itl.m_as("s") == pytest.approx(itl)
    assert r.throughput.m_as("token/s") == pytest.approx(256 * 63 / 255 / itl)
    assert r.prefill_stall == base.prefill_time and r.baseline_throughput == base.throughput
    # Unchunked, a decoding request can wait a whole decode step plus a whole prefill.
    assert r.baseline_worst_itl.m_as("s") == pytest.approx(
        base.decode_step_time.m_as("s") + base.prefill_time.m_as("s"))
    assert r.max_step_time < r.baseline_worst_itl


def test_the_chunk_search_keeps_the_highest_throughput_that_meets_the_itl_slo():
    r = ChunkedPrefillModel().solve("Llama3_8B", "H100", 2048, 256, slo_itl="30 ms")
    assert r.meets_slo and r.max_step_time.m_as("s") <= 0.030
    for size in chunk_candidates(2048, 16):
        other = ChunkedPrefillModel().solve("Llama3_8B", "H100", 2048, 256, chunk_size=size,
                                            batch_size=r.batch_size)
        if other.max_step_time.m_as("s") <= 0.030:
            assert other.throughput <= r.throughput
    tight = ChunkedPrefillModel().solve("Llama3_8B", "H100", 2048, 256, slo_itl="1 ms")
    assert not tight.meets_slo and tight.chunk_size == 16
    assert tight.reason.startswith("ITL SLO wall")


@FEW
@given(inp=st.integers(16, 4096), out=st.integers(2, 1024), chunk=st.integers(1, 4096),
       batch=st.integers(1, 64))
def test_chunked_ttft_is_at_least_the_unchunked_prefill(inp, out, chunk, batch):
    r = ChunkedPrefillModel().solve("Llama3_8B", "H100", inp, out, chunk_size=chunk,
                                    batch_size=batch)
    assert r.ttft.m_as("s") >= r.prefill_stall.m_as("s") * (1 - 1e-12)
    assert r.chunks_per_prompt == math.ceil(inp / min(chunk, inp))
    assert 1 <= r.busy_slots <= batch and 0 < r.prefill_share <= 1


def test_chunked_prefill_that_does_not_fit_says_so():
    r = ChunkedPrefillModel().solve("Llama3_70B", "H100", 2048, 256, chunk_size=256)
    assert not r.feasible and not r.meets_slo and r.batch_size is None
    assert r.throughput.m_as("token/s") == 0 and "KV-cache wall" in r.reason


@pytest.mark.parametrize("kwargs, message", [
    (dict(chunk_size=0), r"chunk_size must be a whole number >= 1, got 0"),
    (dict(chunk_size=2.5), r"chunk_size must be a whole number >= 1"),
    (dict(slo_itl="fast"), r"slo_itl must be a quantity convertible to s"),
    (dict(slo_itl="-5 ms"), r"slo_itl must be finite and > 0 s"),
    (dict(batch_size=0), r"batch_size must be a whole number >= 1, got 0"),
])
def test_chunked_prefill_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        ChunkedPrefillModel().solve("Llama3_8B", "H100", 1024, 128, **kwargs)


def test_chunked_prefill_needs_two_output_tokens():
    with pytest.raises(InputError, match=r"output_tokens must be >= 2"):
        ChunkedPrefillModel().solve("Llama3_8B", "H100", 1024, 1, chunk_size=64)


# -- disaggregation ---------------------------------------------------------------------------

def test_pool_goodput_by_hand():
    # 2 prefill replicas at 0.2 s -> 10 requests/s; 3 decode replicas x 10 requests, each
    # needing 99 steps of 20 ms -> 30 / 1.98 s = 15.15 requests/s; goodput = 10.
    assert pool_goodput(2, 3, 0.2, 10, 0.02, 100) == pytest.approx(10.0)
    assert pool_goodput(20, 3, 0.2, 10, 0.02, 100) == pytest.approx(30 / 1.98)
    assert pool_goodput(2, 3, 0.2, 0, 0.02, 100) == 0.0


def test_kv_transfer_by_hand_llama3_70b_over_ndr():
    r = DisaggregatedServingModel().solve("Llama3_70B", "H100", 2048, 256, prefill_gpus=4,
                                          decode_gpus=4, prefill_tp=4, decode_tp=4)
    # KV per token 2 x 80 layers x 8 heads x 128 x 2 B = 327,680 B; x 2048 = 671,088,640 B,
    # split min(4, 8) = 4 ways = 167,772,160 B per GPU over DGX H100's 8 NDR ports / 8 GPUs
    # = 400 Gb/s = 50 GB/s -> 3.3554 ms (NDR lists no latency).
    assert r.kv_transfer_bytes.m_as("B") == 671_088_640
    assert r.kv_transfer_time.m_as("s") == pytest.approx(167_772_160 / 50e9)
    assert any(line.startswith("KV transfer") and "InfiniBand_NDR" in line
               for line in r.constraint_trace)
    slow = DisaggregatedServingModel().solve("Llama3_70B", "H100", 2048, 256, prefill_gpus=4,
                                             decode_gpus=4, prefill_tp=4, decode_tp=4,
                                             fabric="Ethernet_100G", link_efficiency=0.5)
    # 100 Gb/s = 12.5 GB/s, one port per GPU, at 50%: 167,772,160 / 6.25e9 = 26.8 ms.
    assert slow.kv_transfer_time.m_as("s") == pytest.approx(167_772_160 / 6.25e9)


def test_disaggregated_pools_follow_their_parts():
    r = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256, prefill_gpus=2,
                                          decode_gpus=6, slo_ttft="1 s", slo_itl="40 ms")
    t_p = ServingModel().solve("Llama3_8B", "H100", seq_len=2048).ttft.m_as("s")
    assert r.ttft.m_as("s") == pytest.approx(t_p) == pytest.approx(r.prefill_time.m_as("s"))
    costs = PhaseCosts("Llama3_8B", "H100")
    t_kv = r.kv_transfer_time.m_as("s")
    itl = costs.decode(r.decode_batch, 2048 + 128).total + t_kv / 255
    assert r.itl.m_as("s") == pytest.approx(itl) and itl <= 0.040
    # One more request per replica breaks the ITL SLO or the KV cache.
    room = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, batch_size=1)
    assert r.decode_batch == room.max_concurrency or \
        costs.decode(r.decode_batch + 1, 2176).total + t_kv / 255 > 0.040
    assert r.goodput.m_as("1/s") == pytest.approx(pool_goodput(
        2, 6, t_p, r.decode_batch, r.decode_step_time.m_as("s"), 256))
    assert r.goodput_per_gpu.m_as("1/s") == pytest.approx(r.goodput.m_as("1/s") / 8)
    colocated = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256,
                                                slo_ttft="1 s", slo_itl="40 ms")
    # Colocated: 8 GPUs / tp 1 = 8 replicas at its request rate each, per GPU = one replica's.
    assert colocated.meets_slo
    assert r.colocated_goodput_per_gpu.m_as("1/s") == pytest.approx(
        colocated.request_rate.m_as("1/s"))


def test_the_best_split_beats_every_split_of_the_same_gpus():
    best = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256, gpus=8,
                                             slo_ttft="1 s", slo_itl="40 ms")
    assert best.prefill_gpus + best.decode_gpus == 8
    for n_p in range(1, 8):
        split = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256,
                                                  prefill_gpus=n_p, decode_gpus=8 - n_p,
                                                  slo_ttft="1 s", slo_itl="40 ms")
        assert split.goodput <= best.goodput


@FEW
@given(n_p=st.integers(1, 12), n_d=st.integers(1, 12), more=st.integers(1, 8),
       pool=st.sampled_from(["prefill", "decode"]))
def test_disaggregated_goodput_is_monotone_in_pool_size(n_p, n_d, more, pool):
    solve = DisaggregatedServingModel().solve
    small = solve("Llama3_8B", "H100", 1024, 128, prefill_gpus=n_p, decode_gpus=n_d,
                  slo_itl="30 ms")
    big = solve("Llama3_8B", "H100", 1024, 128, slo_itl="30 ms",
                prefill_gpus=n_p + more * (pool == "prefill"),
                decode_gpus=n_d + more * (pool == "decode"))
    assert big.goodput >= small.goodput


def test_slos_that_cannot_be_met_give_zero_goodput():
    ttft = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256, gpus=4,
                                             slo_ttft="10 ms")
    assert not ttft.meets_slo and ttft.goodput.m_as("1/s") == 0
    assert ttft.reason.startswith("TTFT SLO wall")
    itl = DisaggregatedServingModel().solve("Llama3_8B", "H100", 2048, 256, gpus=4,
                                            slo_itl="1 ms")
    assert not itl.meets_slo and itl.decode_batch == 0
    assert itl.reason.startswith("ITL SLO wall")
    oom = DisaggregatedServingModel().solve("Llama3_70B", "H100", 2048, 256, gpus=2)
    assert not oom.feasible and oom.reason.startswith("Memory wall")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(), InputError, r"give gpus \(the total, to search the best split\) or both"),
    (dict(prefill_gpus=2), InputError, r"or both prefill_gpus and decode_gpus"),
    (dict(gpus=8, prefill_gpus=2), InputError, r"give either gpus .* not both"),
    (dict(gpus=3, prefill_tp=2, decode_tp=2), InputError, r"gpus=3 is fewer than one prefill "
                                                          r"replica \(2\) plus one decode"),
    (dict(prefill_gpus=3, decode_gpus=4, prefill_tp=2), InputError,
     r"prefill_gpus=3 is not a multiple of its tensor-parallel size 2"),
    (dict(gpus=0), InputError, r"gpus must be a whole number >= 1, got 0"),
    (dict(gpus=8, link_efficiency=0), InputError, r"link_efficiency must be in \(0, 1\]"),
    (dict(gpus=8, fabric="NoSuchLink"), MlsysimError, r"fabric: unknown name 'NoSuchLink'"),
    (dict(gpus=8, prefill_tp=3), InputError, r"prefill_tp=3 does not divide"),
])
def test_disaggregation_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        DisaggregatedServingModel().solve("Llama3_8B", "H100", 1024, 128, **kwargs)


# -- prefix caching ---------------------------------------------------------------------------

def test_prefix_caching_by_hand_llama3_8b():
    r = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, prefix_hit_rate=0.5,
                                        prefix_len=1024, batch_size=100)
    # 26,674 blocks per GPU (see the KV trace line); 144 per request; the 1024-token prefix is
    # 64 full blocks stored once: floor((26,674 - 64) / (144 - 0.5 x 64)) = floor(237.6) = 237.
    assert r.kv_blocks == 26_674 and r.max_concurrency == 237
    # A hit prefills 1024 tokens after 1024 cached ones; the mean prefill is half of each.
    costs = PhaseCosts("Llama3_8B", "H100")
    mean = 0.5 * costs.prefill(2048).total + 0.5 * costs.prefill(1024, 1024).total
    assert r.prefill_time.m_as("s") == pytest.approx(mean)
    assert r.ttft.m_as("s") == pytest.approx(mean + r.decode_step_time.m_as("s"))
    assert r.prefix_hit_rate == 0.5 and r.prefix_len == 1024


@FEW
@given(prefix=st.integers(0, 2047), options=st.sampled_from([
    dict(), dict(slo_itl="60 ms"), dict(batch_size=50), dict(slo_ttft="120 ms", tp_size=2)]))
def test_prefix_hit_rate_zero_is_the_baseline_exactly(prefix, options):
    base = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, **options)
    zero = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, prefix_hit_rate=0.0,
                                           prefix_len=prefix, **options)
    assert zero.to_dict() == base.to_dict()
    gains = PrefixCachingModel().solve("Llama3_8B", "H100", 2048, 256, 0.0, prefix, **options)
    assert gains.ttft_speedup == 1.0 and gains.throughput_gain == 1.0


@FEW
@given(low=st.floats(0, 1), high=st.floats(0, 1), prefix=st.integers(1, 2047))
def test_more_hits_never_slow_a_given_batch(low, high, prefix):
    low, high = sorted((low, high))
    solve = ContinuousBatchingModel().solve
    a = solve("Llama3_8B", "H100", 2048, 256, prefix_hit_rate=low, prefix_len=prefix,
              batch_size=64)
    b = solve("Llama3_8B", "H100", 2048, 256, prefix_hit_rate=high, prefix_len=prefix,
              batch_size=64)
    assert b.ttft.m_as("s") <= a.ttft.m_as("s") * (1 + 1e-12)
    assert b.throughput.m_as("token/s") >= a.throughput.m_as("token/s") * (1 - 1e-12)
    assert b.max_concurrency >= a.max_concurrency


def test_prefix_caching_model_reports_both_operating_points():
    r = PrefixCachingModel().solve("Llama3_8B", "H100", 2048, 256, 0.8, 1536, slo_itl="80 ms")
    assert r.baseline.prefix_hit_rate == 0.0 and r.cached.prefix_hit_rate == 0.8
    assert r.ttft_speedup == pytest.approx(r.baseline_ttft.m_as("s") / r.ttft.m_as("s"))
    assert r.throughput_gain == pytest.approx(
        r.throughput.m_as("token/s") / r.baseline_throughput.m_as("token/s"))
    assert r.ttft_speedup > 1 and r.throughput_gain > 1
    assert r.max_concurrency > r.baseline_max_concurrency


@pytest.mark.parametrize("kwargs, message", [
    (dict(prefix_hit_rate=1.5, prefix_len=100), r"prefix_hit_rate must be in \[0, 1\], got 1.5"),
    (dict(prefix_hit_rate=-0.1, prefix_len=100), r"prefix_hit_rate must be in \[0, 1\]"),
    (dict(prefix_hit_rate="half", prefix_len=100), r"prefix_hit_rate must be in \[0, 1\]"),
    (dict(prefix_hit_rate=0.5, prefix_len=1024), r"prefix_len must be < input_tokens \(1024\)"),
    (dict(prefix_hit_rate=0.5, prefix_len=-3), r"prefix_len must be a whole number >= 1"),
    (dict(prefix_hit_rate=0.5, prefix_len=1.5), r"prefix_len must be a whole number >= 1"),
])
def test_prefix_caching_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        ContinuousBatchingModel().solve("Llama3_8B", "H100", 1024, 128, **kwargs)
    with pytest.raises(InputError, match=message):
        PrefixCachingModel().solve("Llama3_8B", "H100", 1024, 128, **kwargs)
