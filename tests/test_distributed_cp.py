"""DistributedModel: context parallelism (cp_size) and rank placement order (placement)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim import Models, Systems, ureg
from mlsysim.errors import InputError, MlsysimError
from mlsysim.physics import communication
from mlsysim.solvers import DistributedModel
from mlsysim.solvers.distributed import DEFAULT_PLACEMENT, node_share, placement_order
from mlsysim.systems import Fleet

LLAMA = Models.Language.Llama3_8B
#: The Zoo's DGX H100 joined by its own scale-out fabric. The figures the hand-worked cases use
#: are read from the fleet below (and checked there), not copied from a solver's output:
#: NVLink 450 GB/s per direction per GPU, NDR InfiniBand 400 Gb/s = 50 GB/s per GPU (one NIC
#: each), no latency listed for either (alpha = 0).
NVLINK, IB = 450e9, 50e9


def dgx(count: int) -> Fleet:
    return Fleet(node=Systems.Nodes.DGX_H100, count=count)


def solve(fleet, batch, **kw):
    kw.setdefault("efficiency", 0.5)
    return DistributedModel().solve(LLAMA, fleet, batch, **kw)


def seconds(q) -> float:
    return float(q.m_as("s"))


def test_the_fleet_figures_the_hand_worked_cases_use():
    fleet = dgx(2)
    assert fleet.accelerators_per_node == 8
    assert fleet.intra_node_bandwidth_per_accelerator() == NVLINK
    assert fleet.inter_node_bandwidth_per_accelerator() == IB
    assert fleet.intra_node_latency() == fleet.inter_node_latency() == 0.0
    # Llama 3 8B: 32 layers, d 4096, 32 query heads, 8 K/V heads of 128.
    assert (LLAMA.layers, LLAMA.hidden_dim, LLAMA.heads, LLAMA.kv_heads, LLAMA.head_dim) == \
        (32, 4096, 32, 8, 128)


# -- physics ----------------------------------------------------------------------------------

def test_ring_exchange_hand_worked():
    # 4 ranks: 3 steps of (2 us + 1 MB / 1 GB/s = 1 ms) = 3.006 ms.
    assert communication.ring_exchange_time(1e6, 4, 1e9, 2e-6) == pytest.approx(3.006e-3)
    assert communication.ring_exchange_time(1e6, 1, 1e9, 2e-6) == 0


def test_ring_exchange_has_the_dimension_of_time():
    t = communication.ring_exchange_time(ureg.Quantity(1, "MB"), 2, ureg.Quantity(1, "GB/s"),
                                         ureg.Quantity(1, "us"))
    assert t.to("ms").magnitude == pytest.approx(1.001)


# -- context parallelism: hand-worked ----------------------------------------------------------

def test_cp2_in_one_node_hand_worked():
    # Llama 3 8B, seq 8192, one DGX H100 (8 GPUs): tp 4 x cp 2, dp 1, batch 1, fp16, eta 0.5.
    # Placement tp-cp-pp-dp: the cp pair spans 4 x 2 = 8 ranks, one node -> NVLink.
    # K/V chunk per layer on one rank: 8192/2 = 4096 tokens x (2 x 8 x 128 values) x 2 B
    #   / min(tp 4, 8 K/V heads) = 4096 x 4096 / 4 = 4,194,304 B.
    # Ring: (cp-1) = 1 exchange, 3 passes (forward, backward K/V again and dK/dV), 32 layers:
    #   T_cp = 3 x 32 x 4,194,304 / 450e9 = 402,653,184 / 450e9 = 8.9478e-4 s.
    # Attention FLOPs (causal: s/2 keys): 4 x 32 x 4096 x (32 x 128) x 8192 = 1.7592e13 forward,
    #   x3 for training = 5.2777e13, / 8 GPUs at 0.5 x 989.5 TFLOP/s = 0.013334 s; the one
    #   block computed while the chunk travels hides half of it, 6.667 ms > T_cp: exposed 0.
    # Memory: state 8,030,261,248 params / tp 4 x (2 + 2 + 12) B = 32,121,044,992 B;
    #   activations 32 layers x 34 x 8192 x 4096 / tp 4 / cp 2 (FlashAttention, 16-bit)
    #   = 4,563,402,752 B; total 36,684,447,744 B.
    r = solve(dgx(1), 1, tp_size=4, cp_size=2, seq_len=8192)
    assert r.parallelism["cp"] == 2 and r.parallelism["dp"] == 1
    assert seconds(r.cp_communication_latency) == pytest.approx(402_653_184 / 450e9, rel=1e-12)
    assert seconds(r.cp_exposed_latency) == 0
    assert float(r.memory_per_rank.m_as("B")) == pytest.approx(36_684_447_744, rel=1e-12)
    assert any("Context-parallel K/V ring: 3 passes" in line and "scale-up link" in line
               for line in r.constraint_trace)
    assert any(line.startswith("Placement tp-cp-pp-dp") and "cp 2 in one node" in line
               for line in r.constraint_trace)


def test_cp2_across_nodes_hand_worked():
    # Same model and sequence on 2 DGX H100 (16 GPUs): tp 8 x cp 2. The cp pair spans
    # 8 x 2 = 16 ranks: it crosses nodes and pays InfiniBand, 50 GB/s per GPU.
    # K/V chunk: 4096 tokens x 4096 B / min(8, 8) = 2,097,152 B.
    # T_cp = 3 x 32 x 2,097,152 / 50e9 = 201,326,592 / 50e9 = 4.02653e-3 s.
    # Attention: 5.27766e13 FLOPs / 16 / 494.75e12 = 6.66709e-3 s, half of it hides:
    #   exposed = 4.02653e-3 - 3.33354e-3 = 6.9299e-4 s.
    attention = 3 * 4 * 32 * 4096 * 4096 * 8192 / 16 / (0.5 * 989.5e12)
    r = solve(dgx(2), 1, tp_size=8, cp_size=2, seq_len=8192)
    assert seconds(r.cp_communication_latency) == pytest.approx(201_326_592 / 50e9, rel=1e-12)
    assert seconds(r.cp_exposed_latency) == pytest.approx(201_326_592 / 50e9 - attention / 2,
                                                          rel=1e-9)
    assert seconds(r.cp_exposed_latency) == pytest.approx(6.9299e-4, rel=1e-4)
    assert any("Context-parallel" in line and "scale-out fabric" in line
               for line in r.constraint_trace)


def test_recomputation_adds_a_fourth_ring_pass():
    # The recomputed forward gathers the K/V once more: 4 passes instead of 3.
    plain = solve(dgx(1), 1, tp_size=4, cp_size=2, seq_len=8192)
    again = solve(dgx(1), 1, tp_size=4, cp_size=2, seq_len=8192, activation_recomputation=True)
    assert seconds(again.cp_communication_latency) == pytest.approx(
        seconds(plain.cp_communication_latency) * 4 / 3, rel=1e-12)


def test_gradient_allreduce_runs_over_dp_times_cp():
    # 2 DGX, tp 8, cp 2, dp 1: the two cp ranks hold the same weights and all-reduce their
    # gradients across the nodes: ring over 2 ranks of 8.03e9 x 2 B / 8 = 2,007,565,312 B:
    # 2 x 1/2 x 2,007,565,312 / 50e9 = 0.04015 s.
    r = solve(dgx(2), 1, tp_size=8, cp_size=2, seq_len=8192)
    assert seconds(r.dp_communication_latency) == pytest.approx(2_007_565_312 / 50e9, rel=1e-12)
    assert any("over 2 ranks (dp x cp)" in line for line in r.constraint_trace)


def test_communication_adds_the_exposed_parts():
    r = solve(dgx(4), 8, tp_size=4, cp_size=4, pp_size=2, seq_len=8192, overlap=0.5)
    parts = (r.tp_communication_latency + r.pp_communication_latency
             + r.ep_communication_latency + r.cp_exposed_latency)
    exposed_dp = r.communication_latency - parts
    assert 0 <= seconds(exposed_dp) <= seconds(r.dp_communication_latency) + 1e-15
    assert 0 <= seconds(r.cp_exposed_latency) <= seconds(r.cp_communication_latency)


# -- context parallelism: invariants -------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2]), cp=st.sampled_from([1, 2, 4]),
       zero=st.sampled_from([0, 1, 2, 3]), recompute=st.booleans(),
       seq=st.sampled_from([4096, 8192, 16384]))
def test_memory_per_rank_does_not_grow_with_cp(tp, pp, cp, zero, recompute, seq):
    # Doubling cp on (at least) as many GPUs, one sequence a replica (batch = dp): each rank
    # holds half the tokens, and ZeRO shards over as many or more dp x cp replicas.
    def memory(c):
        nodes = max(1, tp * pp * c * 2 // 8)
        fleet = dgx(nodes)
        dp = fleet.total_accelerators // (tp * pp * c)
        return solve(fleet, dp, tp_size=tp, pp_size=pp, cp_size=c, seq_len=seq,
                     zero_stage=zero, activation_recomputation=recompute).memory_per_rank
    assert memory(2 * cp) <= memory(cp)


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(["tp", "pp", "dp"]), at=st.integers(0, 3),
       tp=st.sampled_from([1, 2, 8]), pp=st.sampled_from([1, 2, 4]), nodes=st.sampled_from([1, 2, 4]),
       allreduce=st.sampled_from(["ring", "tree", "hierarchical"]))
def test_cp1_is_the_same_wherever_cp_is_placed(order, at, tp, pp, nodes, allreduce):
    # A size-1 axis changes no stride: the answer with cp named anywhere equals the one
    # without it (and the default placement is today's tp-pp-dp with cp beside tp).
    fleet = dgx(nodes)
    if fleet.total_accelerators % (tp * pp):
        return
    dp = fleet.total_accelerators // (tp * pp)
    without = "-".join(order)
    with_cp = "-".join([*order[:at], "cp", *order[at:]])
    a = solve(fleet, dp, tp_size=tp, pp_size=pp, allreduce=allreduce, placement=without)
    b = solve(fleet, dp, tp_size=tp, pp_size=pp, allreduce=allreduce, placement=with_cp,
              cp_size=1)
    assert a.step_latency_total == b.step_latency_total
    assert a.memory_per_rank == b.memory_per_rank
    assert seconds(b.cp_communication_latency) == 0


def test_default_placement_is_tp_then_cp_then_pp_then_dp():
    assert DEFAULT_PLACEMENT == "tp-cp-pp-dp"
    fleet = dgx(4)
    for tp, pp in ((8, 1), (2, 4), (1, 2), (4, 4)):
        dp = 32 // (tp * pp)
        a = solve(fleet, dp, tp_size=tp, pp_size=pp)
        b = solve(fleet, dp, tp_size=tp, pp_size=pp, placement="tp-pp-dp")
        assert a.step_latency_total == b.step_latency_total


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(["tp", "cp", "pp", "dp"]), tp=st.sampled_from([1, 2]),
       cp=st.sampled_from([1, 2]), pp=st.sampled_from([1, 2]))
def test_placement_cannot_matter_inside_one_node(order, tp, cp, pp):
    fleet = dgx(1)
    dp = 8 // (tp * cp * pp)
    a = solve(fleet, dp, tp_size=tp, cp_size=cp, pp_size=pp, seq_len=4096)
    b = solve(fleet, dp, tp_size=tp, cp_size=cp, pp_size=pp, seq_len=4096,
              placement="-".join(order))
    assert a.step_latency_total == b.step_latency_total


# -- placement: hand-worked --------------------------------------------------------------------

def test_placement_moves_dp_into_the_node_and_tp_out_of_it():
    # 8 DGX H100 (64 GPUs), tp 8 x dp 8, seq 4096, batch 8 (one sequence a replica).
    # Gradient all-reduce: 8.03e9 x 2 B / tp 8 = 2,007,565,312 B, ring over 8 ranks moves
    #   2 x 7/8 x 2,007,565,312 = 3,513,239,296 B per rank.
    # TP all-reduces: 1 x 4096 x 4096 x 2 B = 33,554,432 B each, ring over 8 moves
    #   2 x 7/8 x that = 58,720,256 B; 4 a layer (2 forward, 2 backward) x 32 layers
    #   = 7,516,192,768 B.
    # tp-cp-pp-dp (default): tp spans 8 ranks, in node (NVLink); dp has stride 8, one rank a
    #   node -> ring over InfiniBand.
    # dp-tp-pp: dp spans 8 ranks, in node; tp has stride 8 and spans 64 ranks -> InfiniBand.
    fleet = dgx(8)
    default = solve(fleet, 8, tp_size=8, seq_len=4096)
    swapped = solve(fleet, 8, tp_size=8, seq_len=4096, placement="dp-tp-pp")
    assert seconds(default.dp_communication_latency) == pytest.approx(3_513_239_296 / IB)
    assert seconds(default.tp_communication_latency) == pytest.approx(7_516_192_768 / NVLINK)
    assert seconds(swapped.dp_communication_latency) == pytest.approx(3_513_239_296 / NVLINK)
    assert seconds(swapped.tp_communication_latency) == pytest.approx(7_516_192_768 / IB)
    # Same compute and memory: only the links moved.
    assert default.compute_latency == swapped.compute_latency
    assert default.memory_per_rank == swapped.memory_per_rank
    line = next(x for x in swapped.constraint_trace if x.startswith("Placement dp-tp-pp"))
    assert "tp 8 across nodes (scale-out fabric)" in line and "dp 8 in one node" in line


def test_megatron_order_puts_pp_outermost():
    # 4 DGX, tp 4, pp 2, dp 4. Default tp-cp-pp-dp: a pp pair spans 4 x 2 = 8 ranks, in node;
    # Megatron's tp-cp-dp-pp puts pp outermost: stride 16, across nodes.
    # Boundary 1 seq x 4096 x 4096 x 2 B = 33,554,432 B; 2 m v = 2 transfers a microbatch
    # (m = 1): 67,108,864 B over NVLink or InfiniBand.
    fleet = dgx(4)
    ours = solve(fleet, 4, tp_size=4, pp_size=2, seq_len=4096)
    megatron = solve(fleet, 4, tp_size=4, pp_size=2, seq_len=4096, placement="tp-cp-dp-pp")
    assert seconds(ours.pp_communication_latency) == pytest.approx(67_108_864 / NVLINK)
    assert seconds(megatron.pp_communication_latency) == pytest.approx(67_108_864 / IB)


def test_node_share_hand_worked():
    # 8 a node, tp 2 x cp 2 x pp 4 x dp 4 in that order: tp room 8 (share 2), cp room 4
    # (share 2), pp room 2 (share 2 of 4: crosses), dp room 0 (share 1).
    share, room = node_share(("tp", "cp", "pp", "dp"), {"tp": 2, "cp": 2, "pp": 4, "dp": 4}, 8)
    assert share == {"tp": 2, "cp": 2, "pp": 2, "dp": 1}
    assert room == {"tp": 8, "cp": 4, "pp": 2, "dp": 0}


# -- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("placement, words", [
    ("tp-xp-pp-dp", ["unknown axis 'xp'", "tp, cp, pp, dp", "tp-cp-pp-dp"]),
    ("tp-ep-pp-dp", ["unknown axis 'ep'", "experts shard inside dp"]),
    ("tp-tp-pp-dp", ["repeats tp", "once each"]),
    ("tp-pp", ["leaves out dp", "once each"]),
    ("", ["unknown axis ''"]),
])
def test_bad_placement(placement, words):
    with pytest.raises(InputError) as info:
        solve(dgx(2), 2, tp_size=8, placement=placement)
    assert info.value.name == "placement"
    for word in words:
        assert word in str(info.value)


def test_placement_must_name_cp_when_cp_is_used():
    with pytest.raises(InputError, match=r"leaves out cp \(cp_size=2\)"):
        solve(dgx(2), 1, tp_size=8, cp_size=2, seq_len=8192, placement="tp-pp-dp")
    assert placement_order("tp-pp-dp", 1) == ("tp", "pp", "dp", "cp")


def test_placement_must_be_a_string():
    with pytest.raises(InputError, match="placement must be a string such as"):
        solve(dgx(1), 8, placement=["tp", "pp", "dp"])


def test_cp_must_divide_the_sequence():
    with pytest.raises(InputError) as info:
        solve(dgx(1), 1, tp_size=2, cp_size=3, seq_len=8192)
    message = str(info.value)
    assert info.value.name == "cp_size"
    assert "cp_size=3 does not divide seq_len=8192" in message and "such as 2" in message


def test_cp_must_fit_the_fleet():
    with pytest.raises(InputError) as info:
        solve(dgx(1), 1, tp_size=8, cp_size=2, seq_len=8192)
    assert "tp_size x pp_size x cp_size = 16 does not divide the fleet's 8 accelerators" \
        in str(info.value)
    assert info.value.name == "cp_size"


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_cp_size_must_be_a_count(bad):
    with pytest.raises(MlsysimError, match="cp_size"):
        solve(dgx(1), 8, cp_size=bad, seq_len=4096)


def test_solve_stays_fast_with_cp():
    import time

    fleet = Systems.Clusters.Research_1024_H100
    solver = DistributedModel()
    solver.solve(LLAMA, fleet, 1024, tp_size=8, cp_size=4, seq_len=32768, efficiency=0.5)
    start = time.perf_counter()
    for cp, placement in itertools.product((1, 2, 4), ("tp-cp-pp-dp", "cp-tp-dp-pp")):
        solver.solve(LLAMA, fleet, 1024, tp_size=8, cp_size=cp, seq_len=32768,
                     efficiency=0.5, placement=placement)
    assert (time.perf_counter() - start) / 6 < 0.05


# -- scenarios and plans -------------------------------------------------------------------------

def test_a_training_plan_passes_cp_and_placement_to_the_solver():
    from mlsysim.scenarios.plan import PlanFile, evaluate_plan

    plan = PlanFile(workload="Llama3_8B", hardware="H100", mode="training",
                    fleet="Research_1024_H100", devices=1024, batch_size=256, seq_len=16384,
                    tp_size=8, cp_size=4, placement="tp-cp-dp-pp", efficiency=0.5)
    evaluation, _ = evaluate_plan(plan)
    result = evaluation.results["distributed"]
    direct = DistributedModel().solve(LLAMA, Systems.Clusters.Research_1024_H100, 256,
                                      tp_size=8, cp_size=4, seq_len=16384, efficiency=0.5,
                                      placement="tp-cp-dp-pp")
    assert result.parallelism["cp"] == 4 and result.parallelism["dp"] == 32
    assert result.step_latency_total == direct.step_latency_total
    assert any(line.startswith("Placement tp-cp-dp-pp") for line in result.constraint_trace)


def test_a_plan_with_a_bad_placement_names_it():
    from mlsysim.scenarios.plan import PlanFile, evaluate_plan

    plan = PlanFile(workload="Llama3_8B", hardware="H100", mode="training",
                    fleet="Research_1024_H100", devices=1024, batch_size=256, tp_size=8,
                    placement="tp-pp")
    with pytest.raises(InputError, match="placement 'tp-pp' leaves out dp"):
        evaluate_plan(plan)


# -- the parallelism optimizer -------------------------------------------------------------------

def test_optimizer_with_cp_finds_the_brute_force_optimum():
    from mlsysim.optimizers import ParallelismOptimizer

    # One 128K-token sequence on 16 GPUs: every (tp, pp, cp, m) DistributedModel accepts and
    # fits, tried one by one, against the search with max_cp_size=4.
    fleet, seq, max_cp = dgx(2), 131072, 4
    found = []
    for tp, pp, cp, m in itertools.product(range(1, 17), range(1, 17), range(1, max_cp + 1),
                                           (1, 2)):
        try:
            r = DistributedModel().solve(LLAMA, fleet, 2, tp_size=tp, pp_size=pp, cp_size=cp,
                                         microbatch_count=m, seq_len=seq)
        except InputError:
            continue
        if r.feasible:
            found.append((seconds(r.step_latency_total), float(r.memory_per_rank.m_as("B")),
                          r.parallelism))
    result = ParallelismOptimizer().optimize("Llama3_8B", fleet, batch_size=2, seq_len=seq,
                                             max_microbatches=2, max_cp_size=max_cp)
    best = min(found, key=lambda row: (row[0], row[1]))
    assert result.parallelism == best[2] and result.parallelism["cp"] > 1
    assert result.feasible_count == len(found)
    without = ParallelismOptimizer().optimize("Llama3_8B", fleet, batch_size=2, seq_len=seq,
                                              max_microbatches=2)
    assert not without.feasible  # at batch 2 only splitting the sequence fits


def test_optimizer_max_cp_size_must_be_a_count():
    from mlsysim.optimizers import ParallelismOptimizer

    with pytest.raises(InputError, match="max_cp_size"):
        ParallelismOptimizer().optimize("Llama3_8B", dgx(1), batch_size=8, max_cp_size=0)


def test_cli_optimize_parallelism_tries_cp_when_asked():
    from typer.testing import CliRunner

    from mlsysim.cli import app

    args = ["optimize", "parallelism", "Llama3_8B", "H100", "--devices", "16", "-b", "2",
            "--seq-len", "131072", "--max-microbatches", "2"]
    without = CliRunner().invoke(app, args)
    assert without.exit_code == 2  # nothing fits without splitting the sequence
    with_cp = CliRunner().invoke(app, [*args, "--max-cp", "4"])
    assert with_cp.exit_code == 0, with_cp.output
    headline = with_cp.output.splitlines()[0]
    assert headline.startswith("Fastest layout of 16 accelerators") and ", cp " in headline
