"""BatchingOptimizer: the continuous batch that serves the most tokens per second within a
TTFT and an ITL SLO, and the throughput-latency front across batch sizes."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Sequence

import numpy as np
from pydantic import Field

from ..engine.checks import check_count, check_quantity, show
from ..errors import InputError
from ..formatting import number, si
from ..solvers.base import Quantity
from .base import OptimizerResult
from .pareto import pareto_front

OBJECTIVES = ("throughput", "batch")
KV_WALL, CAP, ITL_WALL, TTFT_WALL = "KV-cache memory", "max_batch", "ITL SLO", "TTFT SLO"


class BatchingResult(OptimizerResult):
    """The best batch under the SLOs, the largest such batch, and the front across batches."""

    solver = "BatchingOptimizer"

    feasible: bool = Field(description="The weights and at least one request's KV cache fit.")
    meets_slo: bool = Field(description="Some batch of the searched ones meets every SLO.")
    objective: str = Field(description="'throughput' (most tokens/s) or 'batch' (largest "
                                       "batch) among the batches meeting the SLOs.")
    batch_size: int | None = Field(description="The best batch; None when none meets the SLOs.")
    throughput: Quantity | None = Field(description="Output tokens per second at the best "
                                                    "batch (token/s).")
    throughput_per_gpu: Quantity | None = Field(description="throughput / tp_size (token/s).")
    ttft: Quantity | None = Field(description="TTFT at the best batch (s).")
    itl: Quantity | None = Field(description="Mean ITL at the best batch (s).")
    largest_batch: int | None = Field(description="The largest batch of all (1 to the KV-cache "
                                                  "limit) meeting the SLOs, by "
                                                  "ContinuousBatchingModel's binary search.")
    binding: str = Field(description="The constraint that stops largest_batch growing.")
    max_concurrency: int = Field(description="Requests whose KV cache fits at once.")
    front: tuple[dict[str, Any], ...] = Field(description="Pareto front of throughput "
                                                          "(token/s, higher is better) vs ITL "
                                                          "(s) over the searched batches that "
                                                          "fit, lowest ITL first: batch, "
                                                          "ttft_s, itl_s, "
                                                          "end_to_end_s, throughput_token_s, "
                                                          "meets_slo.")
    evaluated: int = Field(description="Batch sizes searched.")
    infeasible: dict[str, int] = Field(description="Searched batches ruled out, per first "
                                                   "reason (KV-cache memory, max_batch, ITL "
                                                   "SLO, TTFT SLO).")


class BatchingOptimizer:
    """Search batch sizes of a continuously batched server for the best one under SLOs."""

    def optimize(self, model: Any, hardware: Any, input_tokens: int, output_tokens: int,
                 tp_size: int = 1, precision: str = "fp16", slo_ttft: Any = None,
                 slo_itl: Any = None, *, objective: str = "throughput",
                 batch_sizes: Sequence[int] | None = None, efficiency: float | None = None,
                 memory_efficiency: float | None = None,
                 max_batch: int | None = None) -> BatchingResult:
        """The batch B maximising throughput (or B itself) subject to the SLOs, on
        ContinuousBatchingModel's costs (t_p the prefill, t_d(B) a decode step)::

            maximise  B O / ((O - 1) t_d(B) + B t_p)
            s.t.      t_d(B) + (B - 1) t_p / (O - 1) <= ITL SLO,  t_d(B) + t_p <= TTFT SLO,
                      B <= KV-cache concurrency (and max_batch)

        The batches searched are ``batch_sizes``, or powers of two up to the KV-cache limit
        plus that limit and the largest batch meeting the SLOs (found exactly by binary
        search); for the throughput objective, every batch between the grid neighbours of the
        grid's best is then searched too, so the answer is exact when throughput rises then
        falls with B. Each batch costs one ServingModel decode step.

        Args:
            model: A decoder language model.
            hardware: The accelerator.
            input_tokens: Prompt tokens per request.
            output_tokens: Generated tokens per request (>= 2).
            tp_size: Tensor-parallel GPUs per replica.
            precision: Serving precision.
            slo_ttft: TTFT target (e.g. "2 s"), or None.
            slo_itl: ITL target (e.g. "50 ms"), or None.
            objective: "throughput" or "batch".
            batch_sizes: The batches to search (default: see above).
            efficiency: Share of peak compute (None: calibrated).
            memory_efficiency: Share of peak bandwidth (None: calibrated).
            max_batch: Largest batch the server admits.

        Returns:
            BatchingResult: the best batch, its throughput and latencies, the largest SLO
            batch, the front and the counts of ruled-out batches.
        """
        from ..solvers.continuous_batching import ContinuousBatchingModel, StepCosts
        from ..solvers.serving import ServingModel
        from ..units import Quantity as Q

        if not isinstance(objective, str) or objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got "
                             f"{show(objective)}", name="objective", value=objective)
        base = ContinuousBatchingModel().solve(
            model, hardware, input_tokens, output_tokens, tp_size=tp_size, precision=precision,
            slo_ttft=slo_ttft, slo_itl=slo_itl, efficiency=efficiency,
            memory_efficiency=memory_efficiency, max_batch=max_batch)
        slo_t = check_quantity(slo_ttft, "s", "slo_ttft") if slo_ttft is not None else None
        slo_i = check_quantity(slo_itl, "s", "slo_itl") if slo_itl is not None else None
        concurrency = base.max_concurrency
        cap = max_batch if max_batch is not None else concurrency
        given = batch_sizes is not None
        grid = _grid(batch_sizes, min(concurrency, cap), base.batch_size)
        common = dict(objective=objective, largest_batch=base.batch_size,
                      binding=base.binding, max_concurrency=concurrency)
        trace = list(base.constraint_trace[:-1])
        if not base.feasible:
            trace.append(base.reason)
            return BatchingResult(feasible=False, meets_slo=False, batch_size=None,
                                  throughput=None, throughput_per_gpu=None, ttft=None,
                                  itl=None, front=(), evaluated=len(grid),
                                  infeasible={KV_WALL: len(grid)}, constraint_trace=tuple(trace),
                                  **common)
        solve = functools.partial(ServingModel().solve, model, hardware, precision=precision,
                                  efficiency=efficiency, tp_size=base.tp_size,
                                  memory_efficiency=memory_efficiency)
        steps = StepCosts(solve, base.input_tokens, base.output_tokens)
        reasons: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []

        def evaluate(batches: Sequence[int]) -> None:
            for b in batches:
                if b > concurrency:
                    reasons[KV_WALL] += 1
                    continue
                if b > cap:
                    reasons[CAP] += 1
                    continue
                itl, ttft = steps.itl(b), steps.ttft(b)
                missed = [name for name, value, slo in ((ITL_WALL, itl, slo_i),
                                                       (TTFT_WALL, ttft, slo_t))
                          if slo is not None and value > slo]
                if missed:
                    reasons[missed[0]] += 1
                rows.append({"batch": b, "ttft_s": ttft, "itl_s": itl,
                             "end_to_end_s": ttft + (steps.output - 1) * itl,
                             "throughput_token_s": steps.throughput(b),
                             "meets_slo": not missed})

        evaluate(grid)
        refined = 0
        if not given and objective == "throughput":
            # Throughput need not grow with B (each request's prefill stalls the others), so
            # search every batch between the grid neighbours of the grid's best.
            ok = [r["batch"] for r in rows if r["meets_slo"]]
            if ok:
                top = max((r for r in rows if r["meets_slo"]),
                          key=lambda r: (r["throughput_token_s"], -r["batch"]))["batch"]
                at = grid.index(top)
                low = grid[at - 1] + 1 if at > 0 else top
                high = min(grid[at + 1] - 1 if at + 1 < len(grid) else top, max(ok))
                between = [b for b in range(low, high + 1) if b not in grid]
                evaluate(between)
                refined = len(between)
                grid = sorted(grid + between)
        rows.sort(key=lambda r: r["batch"])
        infeasible = {k: reasons[k] for k in (KV_WALL, CAP, ITL_WALL, TTFT_WALL) if reasons[k]}
        front = ()
        if rows:
            table = np.array([[r["itl_s"], r["throughput_token_s"]] for r in rows])
            front = tuple(rows[i] for i in pareto_front(table, maximize=(False, True)))
        meeting = [r for r in rows if r["meets_slo"]]
        searched = (f"{len(grid)} given batch sizes" if given else
                    f"{len(grid)} batch sizes (powers of two to the limit "
                    f"{number(min(concurrency, cap))}, the largest SLO batch"
                    + (f", and the {refined} between the best one's neighbours)" if refined
                       else ")"))
        trace.append(f"Searched {searched}: {len(meeting)} meet the SLOs"
                     + ("; ruled out: " + ", ".join(f"{n} {k}" for k, n in infeasible.items())
                        if infeasible else ""))
        slo_text = ", ".join(f"{name} <= {si(value, 's')}" for name, value in
                             (("TTFT", slo_t), ("ITL", slo_i)) if value is not None)
        if not meeting:
            trace.append(f"No searched batch meets {slo_text or 'the limits'}"
                         + (f"; at batch 1 ITL is {si(steps.itl(1), 's')} and TTFT "
                            f"{si(steps.ttft(1), 's')}: relax the SLO, add GPUs (tp_size) or "
                            "shorten the prompt" if concurrency >= 1 else ""))
            return BatchingResult(feasible=True, meets_slo=False, batch_size=None,
                                  throughput=None, throughput_per_gpu=None, ttft=None,
                                  itl=None, front=front, evaluated=len(grid),
                                  infeasible=infeasible, constraint_trace=tuple(trace),
                                  **common)
        if objective == "batch":
            best = max(meeting, key=lambda r: r["batch"])
        else:  # most tokens/s; among equals the smaller batch (lower latency)
            best = max(meeting, key=lambda r: (r["throughput_token_s"], -r["batch"]))
        tp = base.tp_size
        trace.append(f"Best ({objective}): batch {best['batch']} -> "
                     f"{number(best['throughput_token_s'])} tokens/s "
                     f"({number(best['throughput_token_s'] / tp)} per GPU), TTFT "
                     f"{si(best['ttft_s'], 's')}, ITL {si(best['itl_s'], 's')}"
                     + (f" within {slo_text}" if slo_text else ""))
        trace.append(f"Front (throughput vs ITL): {len(front)} batches, from {front[0]['batch']} "
                     f"({si(front[0]['itl_s'], 's')}, {number(front[0]['throughput_token_s'])} "
                     f"tokens/s) to {front[-1]['batch']} ({si(front[-1]['itl_s'], 's')}, "
                     f"{number(front[-1]['throughput_token_s'])} tokens/s)")
        return BatchingResult(
            feasible=True, meets_slo=True, batch_size=best["batch"],
            throughput=Q(best["throughput_token_s"], "token/s"),
            throughput_per_gpu=Q(best["throughput_token_s"] / tp, "token/s"),
            ttft=Q(best["ttft_s"], "s"), itl=Q(best["itl_s"], "s"), front=front,
            evaluated=len(grid), infeasible=infeasible, constraint_trace=tuple(trace),
            **common)


def _grid(batch_sizes: Sequence[int] | None, limit: int, largest: int | None) -> list[int]:
    """The batches to search: those given (checked), else powers of two up to ``limit``,
    ``limit`` itself and ``largest``."""
    if batch_sizes is not None:
        if isinstance(batch_sizes, (str, int)) or not hasattr(batch_sizes, "__iter__"):
            raise InputError(f"batch_sizes must be a list of whole numbers >= 1, got "
                             f"{show(batch_sizes)}; e.g. batch_sizes=[1, 8, 64]",
                             name="batch_sizes", value=batch_sizes)
        values = sorted({check_count(b, "batch_sizes") for b in batch_sizes})
        if not values:
            raise InputError("batch_sizes is empty; give at least one batch size",
                             name="batch_sizes", value=batch_sizes)
        return values
    if limit < 1:
        return [1]
    powers = [2 ** k for k in range(limit.bit_length()) if 2 ** k <= limit]
    return sorted(set(powers + [limit] + ([largest] if largest else [])))
