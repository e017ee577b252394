"""Solvers for more of the textbook's walls: complexity (scaling laws), inference-time compute
(reasoning), fidelity (compression), MoE routing and sensitivity. Each has a hand-worked case,
a property and a bad input checked by its message."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.errors import InputError
from mlsysim.solvers import CompressionModel, MoERoutingModel, ReasoningModel, SensitivityModel, ScalingLawModel, ServingModel, registry


# -- ScalingLawModel ------------------------------------------------------------------------

def test_chinchillas_own_budget_gives_chinchilla():
    # Chinchilla: 70e9 parameters x 1.4e12 tokens x 6 = 5.88e23 FLOP. With r = 20 from the
    # Zoo, N = sqrt(5.88e23 / 120) = sqrt(4.9e21) = 7e10 and D = 20 N = 1.4e12.
    result = ScalingLawModel().solve(5.88e23)
    assert result.optimal_parameters.m_as("param") == pytest.approx(70e9)
    assert result.optimal_tokens.m_as("token") == pytest.approx(1.4e12)
    assert result.tokens_per_parameter == 20
    assert result.training_time is None and result.accelerators is None
    assert "Literature.Scaling.ChinchillaTokensPerParameter" in result.constraint_trace[0]


def test_training_time_on_a_cluster_by_hand():
    # 1e24 FLOP on 1024 H100 (989.5 TFLOP/s bf16 dense) at the Zoo's MFU 0.462:
    # 1e24 / (1024 x 989.5e12 x 0.462) = 2.1362e6 s = 24.72 days.
    result = ScalingLawModel().solve("1e24 FLOP", fleet="Research_1024_H100")
    assert result.accelerators == 1024 and result.mfu == pytest.approx(0.462)
    assert result.training_time.m_as("day") == pytest.approx(1e24 / (1024 * 989.5e12 * 0.462)
                                                             / 86400)
    assert "Literature.Training.MfuHigh" in result.constraint_trace[-1]
    given_mfu = ScalingLawModel().solve(1e24, fleet="Research_1024_H100", mfu=0.231)
    assert given_mfu.training_time.m_as("day") == pytest.approx(
        2 * result.training_time.m_as("day"))


@settings(max_examples=40, deadline=None)
@given(st.floats(1e18, 1e28), st.floats(1.0, 1000.0), st.floats(1.01, 100.0))
def test_optimal_split_spends_the_budget_and_grows_as_its_square_root(compute, ratio, factor):
    model = ScalingLawModel()
    one = model.solve(compute, tokens_per_parameter=ratio)
    n, d = one.optimal_parameters.m_as("param"), one.optimal_tokens.m_as("token")
    assert 6 * n * d == pytest.approx(compute, rel=1e-9)
    assert d / n == pytest.approx(ratio, rel=1e-9)
    more = model.solve(compute * factor, tokens_per_parameter=ratio)
    assert more.optimal_parameters.m_as("param") / n == pytest.approx(math.sqrt(factor),
                                                                      rel=1e-9)


def test_scaling_law_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"compute_budget must be a quantity convertible to "
                                         r"FLOP"):
        ScalingLawModel().solve("3 s")
    with pytest.raises(InputError, match=r"compute_budget must be finite and > 0 FLOP, got -1"):
        ScalingLawModel().solve(-1)
    with pytest.raises(InputError, match=r"mfu must be in \(0, 1\]"):
        ScalingLawModel().solve(1e24, fleet="Research_1024_H100", mfu=46.2)


# -- ReasoningModel -------------------------------------------------------------------------

def test_one_reasoning_answer_by_hand_from_servings_step_costs():
    # Llama 3 8B on an H100, 500-token prompt, 4000 generated tokens, one sample:
    # latency = TTFT(batch 1, 500) + 3999 x ITL(batch 1, context 500 + 2000).
    serve = ServingModel()
    t_p = serve.solve("Llama3_8B", "H100", seq_len=500).ttft.m_as("s")
    t_d = serve.solve("Llama3_8B", "H100", seq_len=2500).itl.m_as("s")
    one = ReasoningModel().solve("Llama3_8B", "H100", answer_tokens=4000, prompt_tokens=500)
    assert one.answer_latency.m_as("s") == pytest.approx(t_p + 3999 * t_d)
    assert one.latency_ratio == 1 and one.tokens_per_answer == 4000
    # FLOPs of one 4500-token causal sequence: 4500 x (2N - 2Vd) (2N = 16,060,522,496 FLOP
    # per token less the input embedding, a lookup: 2 x 128,256 x 4096 = 1,050,673,152; the
    # untied output projection stays: the Zoo's 15,009,849,344) + 4 x 32 layers x 2250 mean
    # keys x 4096 x 4500 tokens.
    per_token = 16_060_522_496 - 2 * 128_256 * 4096
    by_hand = 4500 * per_token + 4 * 32 * 2250 * 4096 * 4500
    assert one.flops_per_answer.m_as("FLOP") == pytest.approx(by_hand)
    # Eight samples in turn cost exactly eight times; batched, less (decode is memory-bound).
    turn = ReasoningModel().solve("Llama3_8B", "H100", 4000, 500, samples=8, parallel=False)
    assert turn.answer_latency.m_as("s") == pytest.approx(8 * (t_p + 3999 * t_d))
    assert turn.flops_per_answer.m_as("FLOP") == pytest.approx(8 * by_hand)
    batched = ReasoningModel().solve("Llama3_8B", "H100", 4000, 500, samples=8,
                                     latency_budget="20 s")
    assert 1 < batched.latency_ratio < 8 and batched.within_budget is False
    assert any(line.startswith("Latency budget 20 s: exceeded") for line in
               batched.constraint_trace)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 16), st.integers(1, 16), st.integers(2, 2000))
def test_more_samples_or_tokens_never_cost_less(samples, extra, tokens):
    model = ReasoningModel()
    few = model.solve("Llama3_8B", "H100", tokens, 256, samples=samples)
    more = model.solve("Llama3_8B", "H100", tokens, 256, samples=samples + extra)
    longer = model.solve("Llama3_8B", "H100", tokens + extra, 256, samples=samples)
    for bigger in (more, longer):
        assert bigger.flops_per_answer > few.flops_per_answer
        assert bigger.answer_latency >= few.answer_latency


def test_reasoning_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"samples must be a whole number >= 1, got 0"):
        ReasoningModel().solve("Llama3_8B", "H100", 100, 100, samples=0)
    with pytest.raises(InputError, match=r"prompt_tokens \+ answer_tokens"):
        ReasoningModel().solve("Llama3_8B", "H100", 10**6, 100)
    with pytest.raises(InputError, match=r"ResNet-50 is not a decoder language model"):
        ReasoningModel().solve("ResNet50", "H100", 100, 100)


# -- CompressionModel -----------------------------------------------------------------------

def test_int4_weights_of_llama3_8b_by_hand():
    # Llama 3 8B: 8,030,261,248 parameters; KV cache 2 x 32 layers x 8 heads x 128 x 2 B =
    # 131,072 B per token, x 2048 tokens = 268,435,456 B. One decode step is memory-bound on
    # an H100 (3.35 TB/s at the calibrated decode memory efficiency, 75% today): it reads the
    # weights and the KV cache.
    from mlsysim.engine import calibration

    params, kv = 8_030_261_248, 131_072 * 2048
    bandwidth = calibration.efficiency_for("decode")[1] * 3.35e12
    result = CompressionModel().solve("Llama3_8B", "H100", seq_len=2048, weight_bits=4)
    assert result.weights_size.m_as("B") == pytest.approx(params * 0.5)
    assert result.compression_ratio == pytest.approx(4)
    assert result.baseline_itl.m_as("s") == pytest.approx((params * 2 + kv) / bandwidth)
    assert result.itl.m_as("s") == pytest.approx((params * 0.5 + kv) / bandwidth)
    assert result.decode_speedup == pytest.approx((2 * params + kv) / (0.5 * params + kv))
    assert result.accuracy.startswith("not modelled")
    assert result.constraint_trace[-1].startswith("Accuracy not modelled")
    # Structured pruning at fp16 halves the weights read and the matmul FLOPs alike.
    pruned = CompressionModel().solve("Llama3_8B", "H100", seq_len=2048, weight_bits=16,
                                      sparsity=0.5)
    assert pruned.weights_size.m_as("B") == pytest.approx(params)


def test_int4_lets_llama3_70b_fit_one_h100():
    result = CompressionModel().solve("Llama3_70B", "H100", seq_len=2048, weight_bits=4)
    assert result.feasible and not result.baseline_feasible
    assert any(line.startswith("Memory wall removed") for line in result.constraint_trace)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 16), st.floats(0.0, 0.95), st.integers(1, 64))
def test_compression_never_grows_memory_or_slows_decode(bits, sparsity, batch):
    result = CompressionModel().solve("Llama3_8B", "H100", seq_len=1024, weight_bits=bits,
                                      sparsity=sparsity, batch_size=batch)
    assert result.weights_size <= result.baseline_weights_size
    assert result.compression_ratio == pytest.approx(16 / (bits * (1 - sparsity)))
    assert result.decode_speedup >= 1 - 1e-12
    assert result.ttft <= result.baseline_ttft * (1 + 1e-12)


def test_compression_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"weight_bits must be at most 16, the bits of the "
                                         r"serving precision fp16, got 32"):
        CompressionModel().solve("Llama3_8B", "H100", seq_len=1024, weight_bits=32)
    with pytest.raises(InputError, match=r"sparsity must be below 1"):
        CompressionModel().solve("Llama3_8B", "H100", seq_len=1024, sparsity=1)
    with pytest.raises(InputError, match=r"sparsity must be in \[0, 1\], got -0.1"):
        CompressionModel().solve("Llama3_8B", "H100", seq_len=1024, sparsity=-0.1)


# -- MoERoutingModel ------------------------------------------------------------------------

def test_mixtral_routing_by_hand():
    # Mixtral 8x7B: top-2 of 8 experts, hidden 4096, 32 layers. Zipf skew a = 1:
    # H_8 = 1 + 1/2 + ... + 1/8 = 2.717857, so p_1 = 0.367937, p_2 = 0.183968, p_3 = 0.122646.
    result = MoERoutingModel().solve("Mixtral8x7B", 4096, capacity_factor=1.25, skew=1.0)
    harmonic = sum(1 / i for i in range(1, 9))
    assert harmonic == pytest.approx(2.717857, abs=1e-6)
    assert result.load_imbalance == pytest.approx(8 / harmonic)          # 2.9435
    # Capacity 1.25 x 4096 x 2 / 8 = 1280 slots; each expert keeps 1.25 / 8 = 0.15625 of them:
    # dropped = (0.367937 - 0.15625) + (0.183968 - 0.15625) = 0.239405.
    assert result.capacity_per_expert == 1280
    assert result.dropped_fraction == pytest.approx(1 / harmonic + 1 / (2 * harmonic)
                                                    - 2 * 0.15625)
    assert result.dropped_fraction == pytest.approx(0.239405, abs=1e-6)
    # All-to-all: 2 x 4096 x 2 B = 16,384 B per token each way; x 2 x 32 = 1,048,576 B.
    assert result.all_to_all_bytes_per_token.m_as("B") == 16_384
    assert result.all_to_all_bytes_per_token_forward.m_as("B") == 1_048_576
    assert result.all_to_all_bytes_per_batch.m_as("B") == 1_048_576 * 4096
    assert any(line.startswith("Load-imbalance wall: 23.9% of routed slots are dropped") for line in
               result.constraint_trace)
    balanced = MoERoutingModel().solve("Mixtral8x7B", 4096)
    assert balanced.load_imbalance == pytest.approx(1) and balanced.dropped_fraction == 0


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.1, 10.0), st.floats(0.0, 0.5))
def test_routing_shares_sum_to_one_and_capacity_drops_monotonically(skew, factor, extra):
    low = MoERoutingModel().solve("Mixtral8x7B", 1024, capacity_factor=factor, skew=skew)
    high = MoERoutingModel().solve("Mixtral8x7B", 1024, capacity_factor=factor + extra,
                                   skew=skew)
    assert sum(low.expert_shares) == pytest.approx(1)
    assert list(low.expert_shares) == sorted(low.expert_shares, reverse=True)
    assert 1 - 1e-12 <= low.load_imbalance <= 8 / 2 + 1e-12
    assert 0 <= high.dropped_fraction <= low.dropped_fraction <= 1
    no_drop = MoERoutingModel().solve("Mixtral8x7B", 1024, skew=skew,
                                      capacity_factor=low.capacity_factor_for_no_drops)
    assert no_drop.dropped_fraction == pytest.approx(0, abs=1e-12)


def test_moe_routing_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"needs a mixture-of-experts model; Llama 3"):
        MoERoutingModel().solve("Llama3_8B", 1024)
    with pytest.raises(InputError, match=r"with top-2 routing a token reaches an expert at "
                                         r"most once, so no expert gets more than 1/2"):
        MoERoutingModel().solve("Mixtral8x7B", 1024, skew=5)
    with pytest.raises(InputError, match=r"capacity_factor must be a number > 0"):
        MoERoutingModel().solve("Mixtral8x7B", 1024, capacity_factor=0)


# -- SensitivityModel -----------------------------------------------------------------------

def test_training_time_tornado_by_hand():
    # T = C / (n P MFU): 1e24 / (1024 x 989.5e12 x 0.5) s = 22.84 days. At +/-10%, C gives
    # 0.9 T and 1.1 T (swing 0.2 T); MFU gives T / 1.1 and T / 0.9 (swing 0.20202 T), so MFU
    # leads the tornado.
    t = 1e24 / (1024 * 989.5e12 * 0.5) / 86400
    result = SensitivityModel().solve("ScalingLawModel", "training_time",
                                      {"compute_budget": 1e24, "fleet": "Research_1024_H100",
                                       "mfu": 0.5})
    assert result.baseline == pytest.approx(t) and result.unit == "d"
    assert [row["input"] for row in result.tornado] == ["mfu", "compute_budget"]
    mfu, compute = result.tornado
    assert (mfu["low"], mfu["high"]) == (pytest.approx(t / 0.9), pytest.approx(t / 1.1))
    assert mfu["swing"] == pytest.approx(t * (1 / 0.9 - 1 / 1.1))
    assert compute["swing"] == pytest.approx(0.2 * t)
    assert result.most_sensitive == "mfu"
    assert "Not perturbed (not numeric): fleet" in result.constraint_trace
    assert "Not perturbed (a whole number that +/-10% does not move): devices" in \
        result.constraint_trace
    assert result.to_dict()["tornado"][0]["low_input"] == 0.45


def test_a_refused_perturbation_is_reported_not_hidden():
    result = SensitivityModel().solve("ScalingLawModel", "training_time",
                                      {"compute_budget": 1e24, "fleet": "Research_1024_H100",
                                       "mfu": 0.95})
    row = next(row for row in result.tornado if row["input"] == "mfu")
    assert row["high"] is None and row["swing"] == pytest.approx(row["low"] - result.baseline)
    assert any(line.startswith("Refused by ScalingLawModel: mfu = 1.045: mfu must be in (0, 1]")
               for line in result.constraint_trace)


@settings(max_examples=30, deadline=None)
@given(st.floats(1e20, 1e26), st.floats(0.01, 0.9))
def test_tornado_rows_are_sorted_and_square_root_swings_match(compute, x):
    result = SensitivityModel().solve("ScalingLawModel", "optimal_parameters",
                                      {"compute_budget": f"{compute!r} FLOP",
                                       "tokens_per_parameter": 20.0}, perturbation=x)
    swings = [row["swing"] for row in result.tornado]
    assert swings == sorted(swings, reverse=True)
    assert all(row["swing"] == pytest.approx(abs(row["high"] - row["low"]))
               for row in result.tornado)
    n = result.baseline
    by_input = {row["input"]: row for row in result.tornado}
    # N = sqrt(C / 120): C moves N by sqrt(1 +/- x); r by 1 / sqrt(1 +/- x).
    assert by_input["compute_budget"]["swing"] == pytest.approx(
        n * (math.sqrt(1 + x) - math.sqrt(1 - x)), rel=1e-9)
    assert by_input["tokens_per_parameter"]["swing"] == pytest.approx(
        n * (1 / math.sqrt(1 - x) - 1 / math.sqrt(1 + x)), rel=1e-9)


def test_sensitivity_bad_inputs_say_what_to_pass():
    with pytest.raises(InputError, match=r"ScalingLawModel has no output 'latency'; its "
                                         r"outputs: compute_budget, optimal_parameters"):
        SensitivityModel().solve("ScalingLawModel", "latency", {"compute_budget": 1e24})
    with pytest.raises(InputError, match=r"perturbation must be a share in \(0, 1\), got 1.5"):
        SensitivityModel().solve("ScalingLawModel", "optimal_tokens", {"compute_budget": 1e24},
                                 perturbation=1.5)
    with pytest.raises(InputError, match=r"SensitivityModel cannot study itself"):
        SensitivityModel().solve("SensitivityModel", "baseline", {})
    with pytest.raises(InputError, match=r"ScalingLawModel.accelerators is None, not a number"):
        SensitivityModel().solve("ScalingLawModel", "accelerators", {"compute_budget": 1e24})


def test_the_new_solvers_are_registered_with_their_results():
    assert registry.get("ScalingLawModel").result.__name__ == "ScalingLawResult"
    assert registry.get("ReasoningModel").result.__name__ == "ReasoningResult"
    assert registry.get("CompressionModel").result.__name__ == "CompressionResult"
    assert registry.get("MoERoutingModel").result.__name__ == "MoERoutingResult"
    assert registry.get("SensitivityModel").result.__name__ == "SensitivityResult"
