"""The optimizers (mlsysim.optimizers) and the Synthesis wall's SynthesisModel.

Each optimizer is checked against a brute-force loop over the same space that calls the
scalar solvers one configuration at a time; the Pareto helper by hand-worked fronts and
properties; every optimizer by bad input naming the value and the fix.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim.engine.checks import largest_node
from mlsysim.errors import InputError, UnknownNameError
from mlsysim.optimizers import (BatchingOptimizer, ParallelismOptimizer, PlacementOptimizer,
                                dominates, pareto_front)
from mlsysim.optimizers.parallelism import divisors
from mlsysim.solvers import (ContinuousBatchingModel, DistributedModel, EconomicsModel,
                             SustainabilityModel, SynthesisModel)
from mlsysim.systems.fleet import DeviceGroup, Fleet


def _front_is_clean(rows, keys, maximize=()):
    """No point of ``rows`` (dicts) on the front dominates another."""
    points = [[row[k] for k in keys] for row in rows]
    return not any(dominates(p, q, maximize) for p in points for q in points if p is not q)


# -- Pareto helper --------------------------------------------------------------------------

def test_pareto_front_of_a_hand_worked_set():
    # (3, 4) is beaten by (2, 3) on both objectives; the other three each win somewhere.
    points = [(1, 5), (2, 3), (3, 4), (4, 1)]
    assert pareto_front(points).tolist() == [0, 1, 3]
    # Maximising the second objective: (3, 5) loses to (1, 10) on both; (1, 10) and (2, 20)
    # trade (lower first vs higher second).
    assert pareto_front([(1, 10), (2, 20), (3, 5)], maximize=(False, True)).tolist() == [0, 1]
    assert pareto_front([(1, float("nan")), (2, 2)]).tolist() == [1]
    assert dominates((1, 1), (1, 2)) and not dominates((1, 2), (1, 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
                min_size=1, max_size=40))
def test_pareto_front_is_exactly_the_non_dominated_points(points):
    front = set(pareto_front(points).tolist())
    for i, p in enumerate(points):
        beaten = any(dominates(q, p) for q in points)
        assert (i in front) == (not beaten)


def test_pareto_front_bad_input_names_the_shape():
    with pytest.raises(InputError, match=r"n points x k objectives, got shape \(3,\)"):
        pareto_front([1, 2, 3])
    with pytest.raises(InputError, match="one flag per objective \\(2\\), got 3"):
        pareto_front([(1, 2)], maximize=(True, False, True))


# -- ParallelismOptimizer ------------------------------------------------------------------

def test_divisors_hand_worked():
    assert divisors(12) == [1, 2, 3, 4, 6, 12]
    assert divisors(1) == [1]


def _brute_force_layouts(model, fleet, batch, max_m):
    """Every (tp, pp, m) in 1..N x 1..N x 1..max_m that DistributedModel accepts and fits."""
    n = fleet.total_accelerators
    found = []
    for tp in range(1, n + 1):
        for pp in range(1, n + 1):
            for m in range(1, max_m + 1):
                try:
                    result = DistributedModel().solve(model, fleet, batch, tp_size=tp,
                                                      pp_size=pp, microbatch_count=m)
                except InputError:
                    continue
                if result.feasible:
                    found.append((float(result.step_latency_total.m_as("s")),
                                  float(result.memory_per_rank.m_as("B")), result.parallelism))
    return found


def test_parallelism_finds_the_brute_force_optimum():
    size, node = largest_node("Hardware.Cloud.H100")
    fleet = Fleet(node=node, count=2)
    found = _brute_force_layouts("Llama3_8B", fleet, 32, 4)
    result = ParallelismOptimizer().optimize("Llama3_8B", hardware="H100", devices=2 * size,
                                             batch_size=32, max_microbatches=4)
    assert result.feasible and result.devices == 16
    best = min(found, key=lambda row: (row[0], row[1]))
    assert result.parallelism == best[2]
    assert result.step_time.m_as("s") == pytest.approx(best[0], rel=1e-12)
    # The search saw every layout the brute force accepted, and no other.
    assert result.feasible_count == len(found)
    assert result.evaluated == result.feasible_count + sum(result.infeasible.values())


def test_parallelism_optimum_is_on_a_clean_front():
    result = ParallelismOptimizer().optimize("Llama3_8B", "Research_1024_H100", batch_size=512)
    keys = ("step_time_s", "memory_per_rank_B")
    assert _front_is_clean(result.front, keys)
    assert result.front[0]["step_time_s"] == result.step_time.m_as("s")
    assert {k: result.front[0][k] for k in result.parallelism} == result.parallelism
    assert all(row["step_time_s"] >= result.step_time.m_as("s") for row in result.front)


def test_parallelism_searches_expert_parallelism_for_a_mixture_of_experts():
    # 16 = tp x pp x dp with dp = 2^k: 5 - k (tp, pp) pairs; ep runs over the divisors of dp
    # up to Mixtral's 8 experts (min(k, 3) + 1 of them); m in {1, 2} (64 / dp is even).
    # Sum over k = 0..4 of (5 - k)(min(k, 3) + 1) x 2 = 10 + 16 + 18 + 16 + 8 = 68 layouts;
    # a dense model would have (5 + 4 + 3 + 2 + 1) x 2 = 30.
    result = ParallelismOptimizer().optimize("Mixtral8x7B", hardware="H100", devices=16,
                                             batch_size=64, max_microbatches=2, zero_stage=1)
    dense = ParallelismOptimizer().optimize("Llama3_8B", hardware="H100", devices=16,
                                            batch_size=64, max_microbatches=2, zero_stage=1)
    assert (result.evaluated, dense.evaluated) == (68, 30)
    assert result.feasible
    again = DistributedModel().solve(
        "Mixtral8x7B", Fleet(node=largest_node("Hardware.Cloud.H100")[1], count=2), 64,
        tp_size=result.parallelism["tp"], pp_size=result.parallelism["pp"],
        ep_size=result.parallelism["ep"], microbatch_count=result.parallelism["microbatches"],
        zero_stage=1)
    assert again.step_latency_total == result.step_time


def test_parallelism_reports_out_of_memory_when_nothing_fits():
    # 70B parameters x 16 bytes (fp16 weights and gradients, fp32 Adam) = 1.12 TB of state
    # over 8 x 80 GB = 640 GB without ZeRO: no layout fits.
    result = ParallelismOptimizer().optimize("Llama3_70B", "DGX_H100", batch_size=8)
    assert not result.feasible and result.parallelism is None and result.front == ()
    assert result.infeasible["out of memory"] == result.evaluated - sum(
        count for reason, count in result.infeasible.items() if reason != "out of memory")
    assert "No layout fits" in result.constraint_trace[-1]


def test_parallelism_bad_input():
    optimizer = ParallelismOptimizer()
    with pytest.raises(InputError, match="give a fleet .* or hardware=... with devices=N"):
        optimizer.optimize("Llama3_8B", batch_size=8)
    with pytest.raises(InputError, match="devices=12 is not a whole number of .* nodes of 8 .*"
                                         "use a multiple of 8"):
        optimizer.optimize("Llama3_8B", hardware="H100", devices=12, batch_size=8)
    with pytest.raises(InputError, match="objective must be one of step_time, throughput, got "
                                         "'speed'"):
        optimizer.optimize("Llama3_8B", "DGX_H100", batch_size=8, objective="speed")
    with pytest.raises(InputError, match="not a transformer"):
        optimizer.optimize("ResNet50", "DGX_H100", batch_size=8)
    with pytest.raises(UnknownNameError):
        optimizer.optimize("NoSuchModel", "DGX_H100", batch_size=8)
    with pytest.raises(InputError, match="batch_size must be a whole number >= 1, got 0"):
        optimizer.optimize("Llama3_8B", "DGX_H100", batch_size=0)


# -- BatchingOptimizer ---------------------------------------------------------------------

def _brute_force_batches(slo_itl, limit, **kw):
    rows = []
    for b in range(1, limit + 1):
        r = ContinuousBatchingModel().solve("Llama3_70B", "H100", 1024, 256, tp_size=2,
                                            slo_itl=slo_itl, batch_size=b, **kw)
        if r.feasible:
            rows.append((b, r.meets_slo, float(r.throughput.m_as("token/s"))))
    return rows


def test_batching_finds_the_brute_force_optimum():
    # Llama 3 70B on 2 x H100: the KV cache holds only a handful of 1280-token requests, so
    # every batch can be checked one by one.
    optimizer = BatchingOptimizer()
    probe = optimizer.optimize("Llama3_70B", "H100", 1024, 256, tp_size=2)
    limit = probe.max_concurrency
    assert 2 <= limit <= 16
    rows = _brute_force_batches("30 ms", limit + 2)
    assert max(b for b, _, _ in rows) == limit          # batches past the KV limit do not fit
    meeting = [(t, -b, b) for b, ok, t in rows if ok]
    result = optimizer.optimize("Llama3_70B", "H100", 1024, 256, tp_size=2, slo_itl="30 ms",
                                batch_sizes=range(1, limit + 3))
    assert result.batch_size == max(meeting)[2]
    assert result.throughput.m_as("token/s") == pytest.approx(max(meeting)[0], rel=1e-12)
    assert result.largest_batch == max(b for b, ok, _ in rows if ok)
    assert result.infeasible.get("KV-cache memory") == 2
    assert result.evaluated == limit + 2


def test_batching_best_is_on_a_clean_front():
    result = BatchingOptimizer().optimize("Llama3_8B", "H100", 512, 128, slo_itl="40 ms")
    keys, maximize = ("itl_s", "throughput_token_s"), (False, True)
    assert _front_is_clean(result.front, keys, maximize)
    best = [row for row in result.front if row["batch"] == result.batch_size]
    assert best and best[0]["meets_slo"]
    assert result.throughput.m_as("token/s") >= max(
        row["throughput_token_s"] for row in result.front if row["meets_slo"])


@settings(max_examples=6, deadline=None)
@given(st.floats(15, 60), st.floats(0.5, 0.95))
def test_tightening_the_slo_never_increases_the_best_batch(loose_ms, shrink):
    optimizer = BatchingOptimizer()
    kwargs = dict(objective="batch")
    loose = optimizer.optimize("Llama3_8B", "H100", 512, 128, slo_itl=f"{loose_ms} ms", **kwargs)
    tight = optimizer.optimize("Llama3_8B", "H100", 512, 128,
                               slo_itl=f"{loose_ms * shrink} ms", **kwargs)
    assert (tight.batch_size or 0) <= (loose.batch_size or 0)
    assert (tight.largest_batch or 0) <= (loose.largest_batch or 0)


def test_batching_reports_an_slo_nothing_meets():
    result = BatchingOptimizer().optimize("Llama3_8B", "H100", 512, 128, slo_itl="0.1 ms")
    assert result.feasible and not result.meets_slo and result.batch_size is None
    assert result.infeasible == {"ITL SLO": result.evaluated}
    assert "No searched batch meets ITL <= 100 µs" in result.constraint_trace[-1]


def test_batching_bad_input():
    optimizer = BatchingOptimizer()
    with pytest.raises(InputError, match="objective must be one of throughput, batch, got "
                                         "'fast'"):
        optimizer.optimize("Llama3_8B", "H100", 512, 128, objective="fast")
    with pytest.raises(InputError, match="batch_sizes is empty"):
        optimizer.optimize("Llama3_8B", "H100", 512, 128, batch_sizes=[])
    with pytest.raises(InputError, match="batch_sizes must be a list of whole numbers"):
        optimizer.optimize("Llama3_8B", "H100", 512, 128, batch_sizes="8")
    with pytest.raises(InputError, match="batch_sizes must be a whole number >= 1, got 0"):
        optimizer.optimize("Llama3_8B", "H100", 512, 128, batch_sizes=[0, 4])
    with pytest.raises(InputError, match="slo_itl must be a quantity convertible to s"):
        optimizer.optimize("Llama3_8B", "H100", 512, 128, slo_itl="5 kg")


# -- PlacementOptimizer --------------------------------------------------------------------

def test_placement_finds_the_brute_force_optima():
    from mlsysim import Engine

    # Iceland lists no PUE: the industry average stands in, as in SustainabilityModel.
    chips, grids, n, tokens = ["H100", "A100"], ["Norway", "Poland", "Iceland"], 8, 1e11
    rows = []
    for chip in chips:
        rate = Engine.solve("Llama3_8B", chip, batch_size=8, is_training=True).throughput
        days = tokens / (n * float(rate.m_as("token/s"))) / 86400
        rental = EconomicsModel().solve(DeviceGroup(chip, n), days).rental_cost
        for grid in grids:
            carbon = SustainabilityModel().solve(DeviceGroup(chip, n), days,
                                                 datacenter=grid).carbon_footprint
            rows.append((float(carbon.m_as("tCO2e")), float(rental.m_as("USD")), chip, grid))
    result = PlacementOptimizer().optimize("Llama3_8B", tokens, hardware=chips, grids=grids,
                                           devices=n)
    greenest, cheapest = min(rows), min(rows, key=lambda r: (r[1], r[0]))
    assert result.best_carbon["hardware_path"].endswith(greenest[2])
    assert result.best_carbon["grid_path"].endswith(greenest[3])
    assert result.carbon.m_as("tCO2e") == pytest.approx(greenest[0], rel=1e-12)
    assert result.best_cost["cost_USD"] == pytest.approx(cheapest[1], rel=1e-12)
    assert result.evaluated == 6 and len(result.front) >= 1
    for row in result.front:  # each front point is one of the brute force's, by value
        assert any(row["carbon_tCO2e"] == pytest.approx(r[0], rel=1e-12)
                   and row["cost_USD"] == pytest.approx(r[1], rel=1e-12) for r in rows)
    assert _front_is_clean(result.front, ("carbon_tCO2e", "cost_USD"))
    assert result.best_carbon in result.front and result.best_cost in result.front


def test_placement_tco_and_hardware_outside_a_datacenter_match_the_solvers():
    from mlsysim import Engine

    chips, grids, n, tokens = ["H100", "RTX4090"], ["Iceland", "Norway"], 4, 1e9
    rows = []
    for chip in chips:
        rate = Engine.solve("Llama3_8B", chip, batch_size=8).throughput  # decode tokens/s
        days = tokens / (n * float(rate.m_as("token/s"))) / 86400
        for grid in grids:
            group = DeviceGroup(chip, n)
            carbon = SustainabilityModel().solve(group, days, datacenter=grid).carbon_footprint
            tco = EconomicsModel().solve(group, days, grid=grid).tco
            rows.append((float(carbon.m_as("tCO2e")), float(tco.m_as("USD")), chip, grid))
    result = PlacementOptimizer().optimize("Llama3_8B", tokens, hardware=chips, grids=grids,
                                           devices=n, mode="serving", cost_basis="tco",
                                           objective="cost")
    cheapest = min(rows, key=lambda r: (r[1], r[0]))
    assert result.best == result.best_cost
    assert result.best_cost["hardware_path"].endswith(cheapest[2])
    assert result.cost.m_as("USD") == pytest.approx(cheapest[1], rel=1e-12)
    assert result.best_carbon["carbon_tCO2e"] == pytest.approx(min(rows)[0], rel=1e-12)


def test_placement_carbon_scales_with_each_grids_pue_and_intensity():
    # Same job on the same chips: carbon ratio Poland / Norway = (PUE x intensity) ratio =
    # (1.19 x 662) / (1.15 x 30.46) = 787.78 / 35.029 = 22.49.
    result = PlacementOptimizer().optimize("Llama3_8B", 1e11, hardware=["H100"],
                                           grids=["Norway", "Poland"], devices=8)
    # Renting costs the same anywhere, and Norway emits less: Poland is dominated.
    assert [row["grid_path"] for row in result.front] == ["Infrastructure.Grids.Norway"]
    assert result.best_carbon == result.front[0]
    poland = PlacementOptimizer().optimize("Llama3_8B", 1e11, hardware=["H100"],
                                           grids=["Poland"], devices=8)
    assert poland.carbon.m_as("tCO2e") / result.carbon.m_as("tCO2e") == pytest.approx(
        (1.19 * 662) / (1.15 * 30.46), rel=1e-9)
    assert poland.cost == result.cost


def test_placement_counts_what_it_cannot_run_or_price():
    result = PlacementOptimizer().optimize("Llama3_8B", 1e11, hardware=["B300", "GH200"],
                                           grids=["Norway"], devices=8)
    assert not result.feasible and result.best is None
    assert sum(result.infeasible.values()) == result.evaluated == 2
    assert "No candidate can run and be priced" in result.constraint_trace[-1]


def test_placement_bad_input():
    optimizer = PlacementOptimizer()
    with pytest.raises(InputError, match="objective must be one of carbon, cost, got 'green'"):
        optimizer.optimize("Llama3_8B", 1e11, objective="green")
    with pytest.raises(InputError, match="cost_basis must be one of rental, tco"):
        optimizer.optimize("Llama3_8B", 1e11, cost_basis="cheap")
    with pytest.raises(InputError, match="tokens must be"):
        optimizer.optimize("Llama3_8B", "lots")
    with pytest.raises(InputError, match="devices must be a whole number >= 1, got 0"):
        optimizer.optimize("Llama3_8B", 1e11, devices=0)
    with pytest.raises(UnknownNameError):
        optimizer.optimize("Llama3_8B", 1e11, grids=["Atlantis"])


# -- SynthesisModel (the Synthesis wall) ---------------------------------------------------

def _price(chip):
    from mlsysim import Infrastructure

    return float(Infrastructure.RentalPrices[chip].m_as("USD/hour"))


def test_synthesis_finds_the_brute_force_cheapest_design():
    target, chips = 5000.0, ["H100", "A100", "L40S"]
    designs = []
    for chip in chips:
        node = largest_node(f"Hardware.Cloud.{chip}")
        for tp in ([1, 2, 4, 8] if node else [1]):  # Llama 3 8B: 32 heads, nodes of 8
            r = ContinuousBatchingModel().solve("Llama3_8B", chip, 1024, 256, tp_size=tp,
                                                slo_itl="50 ms")
            if r.batch_size is None:
                continue
            replicas = math.ceil(target / float(r.throughput.m_as("token/s")))
            designs.append((replicas * tp * _price(chip), replicas * tp, chip, tp, replicas))
    cheapest = min(designs)
    result = SynthesisModel().solve("Llama3_8B", 1024, 256, throughput="5000 token/s",
                                    slo_itl="50 ms", hardware=chips)
    assert result.feasible
    assert result.hardware.endswith(cheapest[2])
    assert (result.tp_size, result.replicas) == (cheapest[3], cheapest[4])
    # cost = devices x the chip's hourly rental price
    assert result.cost_per_hour.m_as("USD/hour") == pytest.approx(
        result.devices * _price(cheapest[2]), rel=1e-12)
    assert result.throughput.m_as("token/s") >= target
    assert all(row["cost_per_hour_USD"] >= cheapest[0] for row in result.runner_ups)


@settings(max_examples=5, deadline=None)
@given(st.floats(1000, 20000), st.floats(1.1, 4))
def test_synthesis_cost_never_falls_as_the_target_rises(target, factor):
    model = SynthesisModel()
    low = model.solve("Llama3_8B", 512, 128, throughput=target, slo_itl="50 ms",
                      hardware=["H100", "A100"])
    high = model.solve("Llama3_8B", 512, 128, throughput=target * factor, slo_itl="50 ms",
                       hardware=["H100", "A100"])
    assert high.cost_per_hour.m_as("USD/hour") >= low.cost_per_hour.m_as("USD/hour")


def test_synthesis_says_why_each_accelerator_fails():
    result = SynthesisModel().solve("Llama3_8B", 1024, 256, slo_itl="0.1 ms",
                                    hardware=["H100", "B300", "TPUv5e"])
    assert not result.feasible and result.hardware is None
    assert "no batch meets the SLOs" in result.rejected["Hardware.Cloud.H100"]
    assert result.rejected["Hardware.Cloud.TPUv5e"] == "lists no fp16 peak"
    assert "no rental price in the Zoo" in result.rejected["Hardware.Cloud.B300"]
    budget = SynthesisModel().solve("Llama3_8B", 1024, 256, slo_itl="50 ms",
                                    hardware=["H100"], budget="1 USD/hour")
    assert not budget.feasible
    assert budget.rejected["Hardware.Cloud.H100"].startswith("over budget: 6.88 USD/hour > 1")


def test_synthesis_bad_input():
    model = SynthesisModel()
    with pytest.raises(InputError, match="throughput must be a quantity convertible to token/s"):
        model.solve("Llama3_8B", throughput="fast")
    with pytest.raises(InputError, match="not a decoder language model"):
        model.solve("ResNet50")
    with pytest.raises(InputError, match="hardware is empty"):
        model.solve("Llama3_8B", hardware=[])
    with pytest.raises(UnknownNameError):
        model.solve("Llama3_8B", hardware=["NoSuchChip"])


def test_the_synthesis_walls_example_runs():
    from mlsysim.walls import run_example, wall

    item = wall("synthesis")
    assert item.solver == "SynthesisModel"
    worked = run_example(item)  # as the site and `mlsysim walls synthesis` run it
    shown = {name: value for name, value, _ in worked.outputs}
    assert list(shown) == list(item.example.show)
    assert shown["hardware"].startswith("Hardware.") and "None" not in shown.values()



@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["Llama3_8B", "GPT2"]), st.sampled_from([8, 16, 32]),
       st.integers(0, 5), st.sampled_from([0, 1, 3]))
def test_parallelism_invariants(model, devices, log_batch, zero):
    result = ParallelismOptimizer().optimize(model, hardware="H100", devices=devices,
                                             batch_size=8 * 2 ** log_batch, max_microbatches=4,
                                             zero_stage=zero)
    assert result.evaluated == result.feasible_count + sum(result.infeasible.values())
    if result.feasible:
        assert _front_is_clean(result.front, ("step_time_s", "memory_per_rank_B"))
        assert result.front[0]["step_time_s"] == result.step_time.m_as("s")
        assert result.front[0]["memory_per_rank_B"] == result.memory_per_rank.m_as("B")


@settings(max_examples=6, deadline=None)
@given(st.floats(1e9, 1e12), st.floats(1.5, 10))
def test_placement_carbon_and_cost_scale_with_the_work(tokens, factor):
    # T = tokens / (devices x rate), and carbon and rental cost are both linear in T.
    kwargs = dict(hardware=["H100", "A100", "L40S"], grids=["Norway", "Poland"], devices=8)
    small = PlacementOptimizer().optimize("Llama3_8B", tokens, **kwargs)
    large = PlacementOptimizer().optimize("Llama3_8B", tokens * factor, **kwargs)
    assert large.carbon.m_as("tCO2e") == pytest.approx(small.carbon.m_as("tCO2e") * factor,
                                                       rel=1e-9)
    assert large.best_cost["cost_USD"] == pytest.approx(small.best_cost["cost_USD"] * factor,
                                                        rel=1e-9)
    assert _front_is_clean(large.front, ("carbon_tCO2e", "cost_USD"))
    assert large.best_carbon in large.front and large.best_cost in large.front
