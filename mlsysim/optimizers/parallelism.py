"""ParallelismOptimizer: the tensor x pipeline x data (x expert) layout and microbatch count
that trains a model fastest on a fleet, with the step-time / memory Pareto front."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from pydantic import Field

from ..engine.checks import check_count, resolve_entry, show
from ..engine.figures import workload_figures
from ..errors import InputError
from ..formatting import number, si
from ..solvers.base import Quantity
from .base import OptimizerResult
from .pareto import pareto_front

OBJECTIVES = ("step_time", "throughput")

#: Why a layout was not kept, as ``infeasible`` counts it.
TP_NODE = "tp exceeds one node"
TP_HEADS = "tp does not divide the attention heads"
PP_LAYERS = "pp exceeds the layers"
BATCH_SPLIT = "global batch does not split into dp replicas"
OUT_OF_MEMORY = "out of memory"


class ParallelismResult(OptimizerResult):
    """The fastest feasible layout of a training step, the front and what was ruled out."""

    solver = "ParallelismOptimizer"

    feasible: bool = Field(description="Whether any layout fits in memory.")
    objective: str = Field(description="What was optimised: 'step_time' or 'throughput' (the "
                                       "same layout at a fixed global batch).")
    parallelism: dict[str, int] | None = Field(description="The best layout: dp, tp, pp, ep, cp, "
                                                           "microbatches, microbatch_size, "
                                                           "interleave; None when none fits.")
    step_time: Quantity | None = Field(description="Step time of the best layout (s).")
    throughput: Quantity | None = Field(description="Training tokens per second of the best "
                                                    "layout (token/s).")
    memory_per_rank: Quantity | None = Field(description="Memory one accelerator holds in the "
                                                         "best layout (B).")
    mfu: float | None = Field(description="Model FLOPs utilization of the best layout.")
    front: tuple[dict[str, Any], ...] = Field(description="Pareto front of step time (s) vs "
                                                          "memory per rank (B) over the layouts "
                                                          "that fit, fastest first: each a "
                                                          "layout with step_time_s, "
                                                          "memory_per_rank_B, "
                                                          "throughput_token_s.")
    evaluated: int = Field(description="Layouts enumerated (feasible or not).")
    feasible_count: int = Field(description="Layouts that pass every check and fit in memory.")
    infeasible: dict[str, int] = Field(description="Layouts ruled out, counted per reason.")
    devices: int = Field(description="Accelerators in the fleet.")


class ParallelismOptimizer:
    """Search the layouts DistributedModel accepts for the fastest training step.

    The space: every tp x pp dividing the fleet's N accelerators (dp = N / (tp pp)), every
    ep dividing dp for a mixture-of-experts model (ep = 1 otherwise), and every microbatch
    count m dividing the per-replica batch up to ``max_microbatches``; with ``max_cp_size`` above
    1 also every context-parallel size cp up to it dividing N / (tp pp) and the sequence
    (dp = N / (tp pp cp)). A layout is ruled out,
    with the first reason that applies, when tp leaves a node or splits the heads unevenly,
    pp exceeds the layers, the global batch does not split into dp replicas, or the rank's
    memory does not fit (DistributedModel's own checks and memory model). The rest are costed
    by ``DistributedModel.solve``, so the search and a single call agree by construction.
    """

    def optimize(self, model: Any, fleet: Any = None, batch_size: int = 1,
                 seq_len: int | None = None, *, hardware: Any = None, devices: int | None = None,
                 precision: str = "fp16", efficiency: float | None = None,
                 objective: str = "step_time", zero_stage: int = 0,
                 activation_recomputation: bool = False, max_microbatches: int = 64,
                 allreduce: str = "hierarchical", overlap: float = 0.0,
                 max_cp_size: int = 1) -> ParallelismResult:
        """The layout minimising the step time T_step (DistributedModel) of a global batch::

            minimise T_step(tp, pp, cp, dp, ep, m)  s.t.  tp pp cp dp = N, tp | heads,
                                                          tp <= node, pp <= layers,
                                                          cp | seq, cp <= max_cp_size,
                                                          dp m | batch,
                                                          memory_per_rank <= capacity

        Throughput = batch x seq / T_step, so at a fixed global batch both objectives pick
        the same layout; ties go to the smaller memory per rank.

        Args:
            model: A transformer (a Models entry or its name).
            fleet: A Systems.Clusters or Systems.Nodes entry, or a Fleet; or None with
                ``hardware`` and ``devices``.
            batch_size: Global batch in sequences.
            seq_len: Tokens per sequence (None: DistributedModel's default).
            hardware: An accelerator; the fleet is ``devices`` of them in the Zoo's largest
                node built from it.
            devices: Accelerators, with ``hardware``; a multiple of that node's size.
            precision: Training precision.
            efficiency: Share of peak compute (None: the calibrated training value).
            objective: "step_time" or "throughput".
            zero_stage: ZeRO stage for every layout (0-3).
            activation_recomputation: Recompute activations in every layout.
            max_microbatches: Largest microbatch count tried.
            allreduce: Gradient all-reduce algorithm.
            overlap: Share of backward compute hiding the gradient all-reduce.
            max_cp_size: Largest context-parallel size tried (1: none, the default).

        Returns:
            ParallelismResult: the best layout, the front, evaluated/infeasible counts.
        """
        from ..solvers.distributed import DistributedModel

        fleet = _fleet(fleet, hardware, devices)
        entry = resolve_entry(model, "Models", "model")
        w = workload_figures(entry)
        if w.kind == "per_sample":
            raise InputError(f"ParallelismOptimizer lays out transformer training; {w.name} is "
                             "not a transformer", name="model", value=w.path)
        batch = check_count(batch_size)
        max_m = check_count(max_microbatches, "max_microbatches")
        max_cp = check_count(max_cp_size, "max_cp_size")
        seq = None
        if max_cp > 1:  # cp must divide the sequence, so the search needs its length
            from ..engine.engine import default_seq_len

            seq = default_seq_len(w) if seq_len is None else check_count(seq_len, "seq_len")
        if not isinstance(objective, str) or objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got "
                             f"{show(objective)}", name="objective", value=objective)
        n = fleet.total_accelerators
        per_node = fleet.accelerators_per_node
        moe = entry.experts is not None
        solver = DistributedModel()
        options = dict(precision=precision, efficiency=efficiency, zero_stage=zero_stage,
                       activation_recomputation=activation_recomputation, seq_len=seq_len,
                       allreduce=allreduce, overlap=overlap)
        reasons: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []
        evaluated = 0
        for tp, pp, cp in _layouts(n, max_cp, seq):
            dp = n // (tp * pp * cp)
            eps = [e for e in divisors(dp) if e <= entry.experts] if moe else [1]
            if batch % dp:
                count = len(eps)
                evaluated += count
                reasons[_first_reason(tp, pp, w, per_node) or BATCH_SPLIT] += count
                continue
            ms = [m for m in divisors(batch // dp) if m <= max_m]
            for ep in eps:
                for m in ms:
                    evaluated += 1
                    reason = _first_reason(tp, pp, w, per_node)
                    if reason:
                        reasons[reason] += 1
                        continue
                    result = solver.solve(entry, fleet, batch, tp_size=tp, pp_size=pp,
                                          ep_size=ep, microbatch_count=m, cp_size=cp,
                                          **options)
                    if not result.feasible:
                        reasons[OUT_OF_MEMORY] += 1
                        continue
                    rows.append({**result.parallelism,
                                 "step_time_s": float(result.step_latency_total.m_as("s")),
                                 "memory_per_rank_B": float(result.memory_per_rank.m_as("B")),
                                 "throughput_token_s":
                                     float(result.effective_throughput.m_as("token/s")),
                                 "mfu": result.mfu})
        return _result(rows, reasons, evaluated, objective, n, fleet, w.name, batch)


def divisors(n: int) -> list[int]:
    """The divisors of ``n`` in increasing order."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def layout_text(parallelism: dict[str, int]) -> str:
    """'dp 16, tp 8, pp 8, ep 1, microbatches 32' (', cp 2' when context parallel): a layout as
    the optimizer's trace and the command line print it."""
    text = ", ".join(f"{key} {parallelism[key]}" for key in ("dp", "tp", "pp", "ep",
                                                             "microbatches"))
    return text + (f", cp {parallelism['cp']}" if parallelism["cp"] > 1 else "")


def _layouts(n: int, max_cp: int, seq: int | None):
    """(tp, pp, cp) with tp x pp x cp dividing ``n``, cp up to ``max_cp`` and dividing ``seq``."""
    for tp in divisors(n):
        for pp in divisors(n // tp):
            for cp in divisors(n // (tp * pp)):
                if cp == 1 or (cp <= max_cp and seq % cp == 0):
                    yield tp, pp, cp


def _first_reason(tp: int, pp: int, w: Any, per_node: int) -> str | None:
    if tp > per_node:
        return TP_NODE
    if w.heads and w.heads % tp:
        return TP_HEADS
    if pp > w.layers:
        return PP_LAYERS
    return None


def _fleet(fleet: Any, hardware: Any, devices: Any) -> Any:
    """The Fleet to search: the one given, or ``devices`` accelerators of ``hardware`` in the
    Zoo's largest node built from it."""
    from ..engine.checks import largest_node
    from ..systems.fleet import Fleet, as_fleet

    if fleet is not None and hardware is not None:
        raise InputError("give a fleet or hardware with devices, not both", name="hardware",
                         value=hardware)
    if fleet is None:
        if hardware is None or devices is None:
            raise InputError("give a fleet (a Systems.Clusters entry such as "
                             "Research_1024_H100) or hardware=... with devices=N",
                             name="fleet", value=None)
        chip = resolve_entry(hardware, "Hardware", "hardware")
        count = check_count(devices, "devices")
        node = largest_node(chip.path)
        if node is None:
            raise InputError(f"the Zoo has no node built from {chip.name}, so its devices "
                             "cannot be joined into a fleet; give a Systems.Clusters entry or "
                             "a Fleet", name="hardware", value=chip.path)
        size, path = node
        if count % size:
            raise InputError(f"devices={count} is not a whole number of {path} nodes of "
                             f"{size} {chip.name}; use a multiple of {size}", name="devices",
                             value=count)
        return Fleet(node=path, count=count // size)
    if not isinstance(fleet, Fleet):
        fleet = as_fleet(fleet)
    if not isinstance(fleet, Fleet):
        raise InputError(f"fleet must be a Systems.Clusters or Systems.Nodes entry or a Fleet, "
                         f"got {fleet.hardware.path} (stand-alone devices); pass "
                         "hardware=... with devices=N instead", name="fleet",
                         value=fleet.hardware.path)
    return fleet


def _result(rows, reasons, evaluated, objective, n, fleet, model_name, batch):
    from ..units import Quantity as Q

    infeasible = {reason: reasons[reason] for reason in
                  (TP_NODE, TP_HEADS, PP_LAYERS, BATCH_SPLIT, OUT_OF_MEMORY) if reasons[reason]}
    where = fleet.node.name if fleet.count == 1 else f"{fleet.count} x {fleet.node.name}"
    trace = [f"Searched {evaluated} layouts of {n} accelerators ({where}) for {model_name} at "
             f"a global batch of {batch}: {len(rows)} fit"
             + ("; ruled out: " + ", ".join(f"{count} {reason}" for reason, count in
                                            infeasible.items()) if infeasible else "")]
    if not rows:
        trace.append("No layout fits: " + (
            "every layout that passes the divisibility checks runs out of memory; use ZeRO "
            "(zero_stage), activation recomputation, more devices or a smaller batch"
            if reasons[OUT_OF_MEMORY] else "no layout passes the divisibility checks; choose "
            "a global batch that is a multiple of the data-parallel sizes"))
        return ParallelismResult(
            feasible=False, objective=objective, parallelism=None, step_time=None,
            throughput=None, memory_per_rank=None, mfu=None, front=(), evaluated=evaluated,
            feasible_count=0, infeasible=infeasible, devices=n, constraint_trace=tuple(trace))
    table = np.array([[r["step_time_s"], r["memory_per_rank_B"]] for r in rows])
    best = rows[int(np.lexsort((table[:, 1], table[:, 0]))[0])]
    front = tuple(rows[i] for i in pareto_front(table))
    trace.append(f"Best ({objective}): {layout_text(best)} -> step {si(best['step_time_s'], 's')}, "
                 f"{number(best['throughput_token_s'])} tokens/s, MFU "
                 f"{number(100 * best['mfu'], 3)}%, {si(best['memory_per_rank_B'], 'B')} per "
                 "rank (DistributedModel)")
    trace.append(f"Pareto front (step time vs memory per rank): {len(front)} layouts, from "
                 f"{si(front[0]['step_time_s'], 's')} at {si(front[0]['memory_per_rank_B'], 'B')}"
                 f" to {si(front[-1]['step_time_s'], 's')} at "
                 f"{si(front[-1]['memory_per_rank_B'], 'B')}")
    keys = ("dp", "tp", "pp", "ep", "cp", "microbatches", "microbatch_size", "interleave")
    return ParallelismResult(
        feasible=True, objective=objective, parallelism={k: best[k] for k in keys},
        step_time=Q(best["step_time_s"], "s"),
        throughput=Q(best["throughput_token_s"], "token/s"),
        memory_per_rank=Q(best["memory_per_rank_B"], "B"), mfu=best["mfu"], front=front,
        evaluated=evaluated, feasible_count=len(rows), infeasible=infeasible, devices=n,
        constraint_trace=tuple(trace))



