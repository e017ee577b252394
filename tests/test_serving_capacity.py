"""Serving capacity under continuous batching (ContinuousBatchingModel, serve_request):
hand-worked arithmetic, agreement with ServingModel's step costs, properties, bad input."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.errors import InputError
from mlsysim.solvers import ContinuousBatchingModel, ServingModel, serve_request
from mlsysim.solvers.continuous_batching import StepCosts, largest_batch
from mlsysim.units import Quantity


class FakeStep:
    """A ServingModel stand-in: prefill 100 ms; decode step 10 ms + 1 ms per request."""

    def __call__(self, seq_len, batch_size):
        class R:
            ttft = Quantity(0.100 * batch_size, "s")
            itl = Quantity(0.010 + 0.001 * batch_size, "s")
        return R()


def test_scheduling_arithmetic_by_hand():
    steps = StepCosts(FakeStep(), input_tokens=100, output_tokens=11)
    # ITL(B) = t_d(B) + (B-1) t_p / (O-1) = 0.010 + 0.001 B + 0.010 (B - 1) = 0.011 B.
    assert steps.itl(4) == pytest.approx(0.044)
    # TTFT(B) = t_p + t_d(B) = 0.100 + 0.014 = 0.114 s at B = 4.
    assert steps.ttft(4) == pytest.approx(0.114)
    # Cycle = (O-1) t_d + B t_p = 10 x 0.014 + 4 x 0.1 = 0.54 s; 44 tokens -> 81.48 tokens/s.
    assert steps.cycle(4) == pytest.approx(0.54)
    assert steps.throughput(4) == pytest.approx(44 / 0.54)
    # ITL SLO 50 ms: 0.011 B <= 0.050 -> B <= 4.54, so 4.
    assert largest_batch(lambda b: steps.itl(b) <= 0.050, 1000) == 4
    assert largest_batch(lambda b: steps.itl(b) <= 0.005, 1000) == 0
    assert largest_batch(lambda b: True, 7) == 7


def test_kv_cache_capacity_by_hand_llama3_70b_on_8_h100():
    r = ContinuousBatchingModel().solve("Llama3_70B", "H100", 2048, 256, tp_size=8)
    # KV per token: 2 (K, V) x 80 layers x 8 KV heads x 128 dims x 2 bytes = 327,680 B, split
    # over min(8, 8) = 8 GPUs = 40,960 B; a 16-token block = 655,360 B per GPU.
    assert r.kv_block_bytes.m_as("B") == pytest.approx(655_360)
    # Weights: 70,553,706,496 params x 2 B / 8 = 17,638,426,624 B per GPU; KV memory =
    # 0.9 x 80 GB - that = 54,361,573,376 B -> floor(/ 655,360) = 82,949 blocks.
    assert r.kv_memory.m_as("B") == pytest.approx(54_361_573_376)
    assert r.kv_blocks == 82_949
    # ceil(2304 / 16) = 144 blocks per request -> 82,949 // 144 = 576 requests.
    assert r.blocks_per_request == 144 and r.max_concurrency == 576
    assert r.batch_size == 576 and r.binding == "KV-cache memory"
    assert any(line.startswith("KV-cache memory wall") for line in r.constraint_trace)


def test_step_costs_are_serving_models():
    r = ContinuousBatchingModel().solve("Llama3_8B", "H100", 1024, 128, batch_size=32)
    t_p = ServingModel().solve("Llama3_8B", "H100", seq_len=1024, batch_size=1).ttft.m_as("s")
    t_d = ServingModel().solve("Llama3_8B", "H100", seq_len=1024 + 64, batch_size=32).itl.m_as("s")
    assert r.prefill_time.m_as("s") == pytest.approx(t_p)
    assert r.decode_step_time.m_as("s") == pytest.approx(t_d)
    assert r.ttft.m_as("s") == pytest.approx(t_p + t_d)
    assert r.itl.m_as("s") == pytest.approx(t_d + 31 * t_p / 127)
    cycle = 127 * t_d + 32 * t_p
    assert r.throughput.m_as("token/s") == pytest.approx(32 * 128 / cycle)
    assert r.request_rate.m_as("1/s") == pytest.approx(32 / cycle)


def test_serve_request_gives_end_to_end_latency_and_throughput_per_gpu():
    r = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_ttft="2 s",
                      slo_itl="50 ms")
    assert r.end_to_end_latency.m_as("s") == pytest.approx(
        r.ttft.m_as("s") + 255 * r.itl.m_as("s"))
    assert r.throughput_per_gpu.m_as("token/s") == pytest.approx(
        r.throughput.m_as("token/s") / 8)
    assert r.itl.m_as("s") <= 0.050 and r.ttft.m_as("s") <= 2 and r.meets_slo
    assert r.binding == "ITL SLO"
    assert any(line.startswith("ITL SLO wall") for line in r.constraint_trace)
    document = r.to_dict()
    assert document["batch_size"] == r.batch_size
    assert document["itl"] == {"value": pytest.approx(r.itl.m_as("s")), "unit": "s"}
    assert "ITL SLO wall" in str(r) and "| itl |" in r._repr_markdown_()


def test_no_batch_meets_an_impossible_slo():
    r = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, slo_itl="1 ms")
    assert r.batch_size is None and not r.meets_slo and r.feasible
    assert r.reason.startswith("ITL SLO wall: no batch meets ITL <= 1 ms")
    ttft = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, slo_ttft="1 ms")
    assert ttft.binding == "TTFT SLO" and ttft.batch_size is None


def test_weights_that_do_not_fit_are_a_kv_cache_wall():
    r = ContinuousBatchingModel().solve("Llama3_70B", "H100", 2048, 256)
    assert not r.feasible and r.max_concurrency == 0 and r.batch_size is None
    assert r.reason.startswith("KV-cache wall: the weights (141.1 GB per GPU)")


def test_a_given_batch_is_evaluated_against_the_slo():
    model = ContinuousBatchingModel()
    best = model.solve("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms")
    over = model.solve("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                       batch_size=best.batch_size + 1)
    assert not over.meets_slo and over.binding == "given"
    assert any(f"the largest batch meeting ITL <= 50 ms is {best.batch_size}" in line
               for line in over.constraint_trace)
    too_many = model.solve("Llama3_70B", "H100", 2048, 256, tp_size=8, batch_size=577)
    assert not too_many.feasible and "KV-cache wall: batch_size=577" in \
        too_many.reason


def test_max_batch_caps_the_search():
    r = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, max_batch=64)
    assert r.batch_size == 64 and r.binding == "max_batch"


@pytest.mark.parametrize("kwargs,words", [
    (dict(output_tokens=1), ["output_tokens must be >= 2", "got 1"]),
    (dict(input_tokens=131_000, output_tokens=1_000), ["input_tokens + output_tokens=132000",
                                                       "131,072"]),
    (dict(slo_itl="2 GB"), ["slo_itl", "'2 GB'", "convertible to s"]),
    (dict(slo_ttft=-1), ["slo_ttft must be finite and > 0 s"]),
    (dict(block_size=0), ["block_size must be a whole number >= 1, got 0"]),
    (dict(memory_fraction=1.5), ["memory_fraction must be in (0, 1]", "1.5"]),
    (dict(max_batch="8"), ["max_batch must be a whole number", "pass max_batch=8"]),
    (dict(tp_size=3), ["tp_size=3", "32 attention heads"]),
])
def test_bad_input_names_the_argument(kwargs, words):
    args = dict(model="Llama3_8B", hardware="H100", input_tokens=2048, output_tokens=256)
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        ContinuousBatchingModel().solve(**args)
    for word in words:
        assert word in str(err.value)


@pytest.fixture(scope="module")
def llama8b_steps():
    solve = lambda **kw: ServingModel().solve("Llama3_8B", "H100", **kw)  # noqa: E731
    return StepCosts(solve, 2048, 256)


def test_throughput_never_falls_as_the_batch_grows_to_the_kv_limit(llama8b_steps):
    concurrency = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256).max_concurrency
    rates = [llama8b_steps.throughput(b) for b in range(1, concurrency + 1)]
    assert all(b >= a * (1 - 1e-12) for a, b in zip(rates, rates[1:]))
    itls = [llama8b_steps.itl(b) for b in range(1, concurrency + 1)]
    assert all(b >= a for a, b in zip(itls, itls[1:]))


slos = st.floats(0.005, 0.3)


@settings(max_examples=25, deadline=None)
@given(slos, slos, st.floats(0.05, 1.0))
def test_a_tighter_slo_never_gives_a_larger_batch(itl1, itl2, ttft):
    tight, loose = sorted((itl1, itl2))
    model = ContinuousBatchingModel()
    a = model.solve("Llama3_8B", "H100", 2048, 256, slo_itl=tight, slo_ttft=ttft)
    b = model.solve("Llama3_8B", "H100", 2048, 256, slo_itl=loose, slo_ttft=ttft)
    assert (a.batch_size or 0) <= (b.batch_size or 0)


@settings(max_examples=15, deadline=None)
@given(slos, st.floats(0.05, 0.5))
def test_the_slo_batch_is_the_brute_force_one(llama8b_steps, itl, ttft):
    r = ContinuousBatchingModel().solve("Llama3_8B", "H100", 2048, 256, slo_itl=itl,
                                        slo_ttft=ttft)
    meeting = [b for b in range(1, r.max_concurrency + 1)
               if llama8b_steps.itl(b) <= itl and llama8b_steps.ttft(b) <= ttft]
    assert (r.batch_size or 0) == (max(meeting) if meeting else 0)
    if r.batch_size:
        assert r.itl.m_as("s") <= itl and r.ttft.m_as("s") <= ttft


# --- mlsysim serve --slo-ttft/--slo-itl/--output-tokens --------------------------------------

import json  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from mlsysim.cli import app  # noqa: E402

runner = CliRunner()
SERVE_70B = ["serve", "Llama3_70B", "H100", "--tp", "8"]


def test_serve_with_slo_prints_the_largest_batch_and_throughput():
    result = runner.invoke(app, [*SERVE_70B, "--slo-ttft", "2s", "--slo-itl", "50ms"])
    assert result.exit_code == 0, result.output
    api = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_ttft="2 s",
                        slo_itl="50 ms")
    first = result.output.splitlines()[0]
    assert first.startswith(f"Largest batch meeting TTFT <= 2 s and ITL <= 50 ms: "
                            f"{api.batch_size} (ITL SLO binds) -> ")
    assert "per GPU" in first and "requests/s" in first
    assert "ITL SLO wall: the batch stops at" in result.output


def test_serve_slo_json_is_one_document_with_the_exit_code():
    result = runner.invoke(app, [*SERVE_70B, "--slo-itl", "50ms", "--output-tokens", "128",
                                 "-o", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["output_tokens"] == 128 and document["exit_code"] == 0
    assert document["binding"] == "ITL SLO" and document["itl"]["value"] <= 0.050
    assert document["throughput_per_gpu"]["unit"] == "tok / s"


def test_serve_exits_3_when_no_batch_meets_the_slo():
    result = runner.invoke(app, [*SERVE_70B, "--slo-itl", "1ms"])
    assert result.exit_code == 3
    assert result.output.startswith("No batch meets ITL <= 1 ms")
    assert "constraint violated: ITL SLO wall: no batch meets ITL <= 1 ms" in result.output
    as_json = runner.invoke(app, [*SERVE_70B, "--slo-itl", "1ms", "-o", "json"])
    document = json.loads(as_json.stdout)  # one document, NaN written as null
    assert as_json.exit_code == 3 and document["exit_code"] == 3
    assert document["batch_size"] is None and document["itl"]["value"] is None


def test_serve_exits_2_when_the_weights_leave_no_room_and_3_for_a_given_batch_over_slo():
    alone = runner.invoke(app, ["serve", "Llama3_70B", "H100", "--slo-itl", "50ms"])
    assert alone.exit_code == 2 and "infeasible: KV-cache wall" in alone.output
    over = runner.invoke(app, [*SERVE_70B, "--slo-itl", "50ms", "-b", "200"])
    assert over.exit_code == 3 and over.output.startswith("Batch 200 (given) -> ")
    assert "constraint violated: Batch 200 (given): misses ITL <= 50 ms" in over.output


def test_serve_without_slo_is_unchanged():
    result = runner.invoke(app, ["serve", "Llama3_8B", "H100", "-o", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["tp_size"] == 1
    assert "ttft" in json.loads(result.stdout)


@pytest.mark.parametrize("args,words", [
    (["--slo-itl", "2GB"], ["--slo-itl must be a time", "'2GB'", "(GB)", "--slo-itl 50ms"]),
    (["--slo-ttft", "2"], ["--slo-ttft must be a time", "'2' (no unit)", "--slo-ttft 2s"]),
    (["--slo-ttft", "-1s"], ["--slo-ttft must be > 0", "'-1s'"]),
    (["--slo-itl", "fast"], ["--slo-itl must be a time such as 50ms", "'fast'"]),
    (["--output-tokens", "1"], ["--output-tokens must be >= 2", "got 1"]),
    (["--output-tokens", "x"], ["--output-tokens", "'x'"]),
])
def test_serve_bad_slo_input_is_one_line_naming_the_option(args, words):
    result = runner.invoke(app, [*SERVE_70B, *args])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    as_json = runner.invoke(app, [*SERVE_70B, *args, "-o", "json"])
    assert json.loads(as_json.stdout)["exit_code"] == 1


# --- speculative decoding (mlsysim.physics.speculative) -------------------------------------

from mlsysim.physics import speculative  # noqa: E402


def test_speculative_decoding_by_hand():
    # alpha = 0.8, k = 4: (1 - 0.8^5) / (1 - 0.8) = (1 - 0.32768) / 0.2 = 3.3616 tokens/step.
    assert speculative.expected_tokens_per_step(0.8, 4) == pytest.approx(3.3616)
    # Draft 20x cheaper (c = 0.05): 4 drafts cost 0.2 of a target step -> 3.3616 / 1.2 = 2.8013.
    assert speculative.speedup(0.8, 4, 0.05) == pytest.approx(2.80133, rel=1e-5)
    # alpha = 0: only the target's own token; alpha = 1: all k plus one.
    assert speculative.expected_tokens_per_step(0.0, 4) == 1
    assert speculative.expected_tokens_per_step(1.0, 4) == 5
    # alpha = 0.6, c = 0.05: k = 2: 1.96 / 1.1 = 1.782; k = 3: 2.176 / 1.15 = 1.892;
    # k = 4: 2.3056 / 1.2 = 1.921; k = 5: 2.3834 / 1.25 = 1.907 -> the best is k = 4.
    assert speculative.best_draft_tokens(0.6, 0.05, 10) == 4


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.integers(1, 16))
def test_speculative_tokens_grow_with_acceptance_and_stay_within_k_plus_one(a1, a2, k):
    lo, hi = sorted((a1, a2))
    e_lo, e_hi = (speculative.expected_tokens_per_step(a, k) for a in (lo, hi))
    assert 1 <= e_lo <= e_hi * (1 + 1e-12) <= (k + 1) * (1 + 1e-12)
    assert speculative.expected_tokens_per_step(hi, k + 1) >= e_hi * (1 - 1e-12)


@pytest.mark.parametrize("call,words", [
    (lambda: speculative.expected_tokens_per_step(1.2, 4), ["alpha must be in [0, 1]", "1.2"]),
    (lambda: speculative.expected_tokens_per_step(0.5, 0), ["draft_tokens k", "got 0"]),
    (lambda: speculative.speedup(0.5, 4, -1), ["cost_ratio c", "got -1"]),
])
def test_speculative_bad_input(call, words):
    with pytest.raises(InputError) as err:
        call()
    for word in words:
        assert word in str(err.value)


# --- arrival rate: queueing for a slot -------------------------------------------------------

from mlsysim.physics import queueing  # noqa: E402


def test_arrival_rate_adds_the_wait_for_a_slot_to_ttft():
    base = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms")
    assert base.ttft_p99 is None and base.queueing is None
    slot = base.batch_size / base.request_rate.m_as("1/s")  # B slots, each held one cycle
    rate = 0.95 * base.request_rate.m_as("1/s")
    r = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                      slo_ttft="2 s", arrival_rate=rate)
    wait = queueing.wait_percentile(0.99, rate, slot, base.batch_size, 1.0, 0.0)
    assert r.ttft_p99.m_as("s") == pytest.approx(base.ttft.m_as("s") + wait)
    assert r.queueing.utilization == pytest.approx(0.95)
    assert wait > 2 and not r.meets_slo  # near saturation the P99 wait breaks a 2 s TTFT SLO
    assert r.reason.startswith("Tail latency wall: P99 TTFT")
    light = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                          slo_ttft="2 s", arrival_rate=0.2 * rate)
    assert light.meets_slo and light.ttft_p99.m_as("s") == pytest.approx(light.ttft.m_as("s"))


def test_arrival_rate_over_capacity_is_a_stability_wall():
    r = serve_request("Llama3_70B", "H100", 2048, 256, tp_size=8, slo_itl="50 ms",
                      arrival_rate="100 1/s")
    assert not r.meets_slo and math.isinf(r.ttft_p99.m_as("s"))
    assert "Stability wall" in r.reason
    document = r.to_dict()
    assert document["queueing"]["stable"] is False
    with pytest.raises(InputError, match="arrival_rate must be"):
        serve_request("Llama3_8B", "H100", 128, 128, arrival_rate="5 GB")


def test_serve_arrival_rate_reports_ttft_percentiles_and_exits_3_on_the_tail_wall():
    light = runner.invoke(app, [*SERVE_70B, "--slo-ttft", "2s", "--slo-itl", "50ms",
                                "--arrival-rate", "2"])
    assert light.exit_code == 0, light.output
    assert "; at 2 requests/s TTFT P50 " in light.output.splitlines()[0]
    busy = runner.invoke(app, [*SERVE_70B, "--slo-ttft", "2s", "--slo-itl", "50ms",
                               "--arrival-rate", "8.9", "-o", "json"])  # 96% of 9.24/s
    document = json.loads(busy.stdout)
    assert busy.exit_code == 3 and document["exit_code"] == 3 and not document["meets_slo"]
    assert document["ttft_p99"]["value"] > 2 and document["queueing"]["stable"]
    over = runner.invoke(app, [*SERVE_70B, "--slo-itl", "50ms", "--arrival-rate", "60"])
    assert over.exit_code == 3 and "Stability wall: rho = " in over.output
    bad = runner.invoke(app, [*SERVE_70B, "--arrival-rate", "-1"])
    assert bad.exit_code == 1 and bad.output.startswith("error: --arrival-rate must be")


def test_results_display_in_notebooks():
    r = serve_request("Llama3_8B", "H100", 512, 128, slo_itl="20 ms")
    html = r._repr_html_()
    assert "ContinuousBatchingModel" in html and "ITL SLO wall" in html
    from mlsysim.solvers import TailLatencyModel

    assert "Tail latency wall" in TailLatencyModel().solve(0.01, 90)._repr_html_()
