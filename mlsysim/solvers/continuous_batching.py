"""Serving capacity under continuous batching: how many requests fit (paged KV cache), how fast
each step runs at that batch, and the largest batch that meets a TTFT and an ITL SLO.

Built on :class:`~mlsysim.solvers.serving.ServingModel`: a request's prefill is its TTFT at
batch 1 and a decode step at batch B is its ITL at batch B (same roofline, tensor-parallel
all-reduces, calibrated efficiencies); this module adds the scheduling arithmetic on top.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

from pydantic import Field

from ..engine.checks import (check_context, check_count, check_fraction, check_quantity,
                             check_share)
from ..engine.engine import resolve_entry
from ..engine.figures import chip_figures, workload_figures
from ..errors import InputError
from ..walls import binding_line
from ..formatting import number, quantity, si
from .base import ForwardModel, Quantity, SolverResult
from .tail_latency import TailLatencyResult
from .serving import ServingModel

#: Share of each GPU's memory the server may fill with weights and KV cache, by default: vLLM's
#: ``gpu_memory_utilization`` default (a convention; the rest holds activations, CUDA graphs
#: and allocator slack).
MEMORY_FRACTION = 0.9

#: Tokens per KV-cache block, by default: vLLM's default block size (Kwon et al.,
#: "Efficient Memory Management for Large Language Model Serving with PagedAttention",
#: SOSP 2023) — a convention.
BLOCK_SIZE = 16

#: Names of the constraints that can bound the batch, as the trace and ``binding`` show them.
KV_WALL, ITL_WALL, TTFT_WALL, CAP = "KV-cache memory", "ITL SLO", "TTFT SLO", "max_batch"


class ContinuousBatchingResult(SolverResult):
    """The operating point of a continuously batched server on ``tp_size`` GPUs."""

    solver = "ContinuousBatchingModel"

    batch_size: int | None = Field(description="Concurrent requests at the operating point: "
                                               "the largest batch meeting every constraint, or "
                                               "the one asked for; None when none meets them.")
    binding: str = Field(description="Constraint that stops the batch from growing: "
                                     "'KV-cache memory', 'ITL SLO', 'TTFT SLO', 'max_batch' or "
                                     "'given' (batch_size was passed).")
    meets_slo: bool = Field(description="The operating point meets every SLO given (with "
                                        "``arrival_rate``: the TTFT SLO at P99, queue stable).")
    feasible: bool = Field(description="The weights and at least one request's KV cache fit.")
    max_concurrency: int = Field(description="Requests whose full KV cache (input + output, "
                                             "in whole blocks) fits in memory at once.")
    kv_blocks: int = Field(description="KV-cache blocks that fit per GPU after the weights.")
    blocks_per_request: int = Field(description="ceil((input + output) / block_size).")
    kv_block_bytes: Quantity = Field(description="Bytes of one block of KV cache on one GPU.")
    kv_memory: Quantity = Field(description="Memory per GPU left for the KV cache after weights.")
    prefill_time: Quantity = Field(description="Prefill of one request's prompt (s); with a prefix "
                                          "cache, the mean over hits and misses.")
    decode_step_time: Quantity = Field(description="One decode step at the operating batch (s).")
    ttft: Quantity = Field(description="Time to first token: one in-flight decode step plus the "
                                  "request's own prefill (s).")
    itl: Quantity = Field(description="Mean inter-token latency a request sees: its decode step "
                                 "plus its share of the other requests' prefills (s).")
    end_to_end_latency: Quantity = Field(description="TTFT + (output_tokens - 1) x ITL (s).")
    throughput: Quantity = Field(description="Output tokens per second of the whole server.")
    throughput_per_gpu: Quantity = Field(description="Output tokens per second per GPU.")
    request_rate: Quantity = Field(description="Requests completed per second (1/s).")
    input_tokens: int = Field(description="Prompt tokens per request.")
    output_tokens: int = Field(description="Generated tokens per request.")
    tp_size: int = Field(description="Tensor-parallel GPUs serving one model replica.")
    ttft_p50: Quantity | None = Field(default=None, description="Median TTFT at ``arrival_rate``: TTFT "
                                                    "plus the median wait for a free slot (s).")
    ttft_p99: Quantity | None = Field(default=None, description="99th-percentile TTFT at ``arrival_rate`` "
                                                    "(s).")
    queueing: TailLatencyResult | None = Field(default=None, description="The slot queue at ``arrival_rate`` (a "
                                                    "TailLatencyResult), or None.")
    prefix_hit_rate: float = Field(default=0.0, description="Share of requests whose first "
                                                            "prefix_len prompt tokens hit the "
                                                            "prefix cache (h).")
    prefix_len: int = Field(default=0, description="Shared prompt prefix tokens (P) a hit "
                                                   "neither prefills nor stores again.")


class StepCosts:
    """ServingModel's step costs for one configuration, cached per batch: the prefill of one
    request and a decode step at batch B over the mean context I + O/2."""

    def __init__(self, solve: Callable[..., Any], input_tokens: int, output_tokens: int):
        self._solve = solve
        self.prefill_result = solve(seq_len=input_tokens, batch_size=1)
        self.prefill = float(self.prefill_result.ttft.m_as("s"))
        self.context = input_tokens + output_tokens // 2
        self.output = output_tokens
        self.decode = functools.lru_cache(maxsize=None)(self._decode)

    def _decode(self, batch: int) -> float:
        return float(self._solve(seq_len=self.context, batch_size=batch).itl.m_as("s"))

    def ttft(self, batch: int) -> float:
        """t_p + t_d(B): the request waits for the in-flight step, then runs its prefill."""
        return self.prefill + self.decode(batch)

    def itl(self, batch: int) -> float:
        """t_d(B) + (B - 1) t_p / (O - 1): the B - 1 others' prefills, one each per cycle,
        stall the request's O - 1 decode steps."""
        return self.decode(batch) + (batch - 1) * self.prefill / (self.output - 1)

    def cycle(self, batch: int) -> float:
        """(O - 1) t_d(B) + B t_p: the time in which every one of B requests is replaced."""
        return (self.output - 1) * self.decode(batch) + batch * self.prefill

    def throughput(self, batch: int) -> float:
        """Output tokens per second: B x O tokens per cycle."""
        return batch * self.output / self.cycle(batch)


def largest_batch(ok: Callable[[int], bool], limit: int) -> int:
    """Largest B in [1, limit] with ok(B), for ``ok`` true up to some B and false after
    (binary search); 0 when ok(1) is false."""
    if limit < 1 or not ok(1):
        return 0
    lo, hi = 1, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


class ContinuousBatchingModel(ForwardModel):
    """Steady-state continuous batching (iteration-level scheduling, Yu et al., "Orca", OSDI
    2022) with a paged KV cache (Kwon et al., SOSP 2023), on ServingModel's step costs."""

    name = "ContinuousBatchingModel"

    def solve(self, model: Any, hardware: Any, input_tokens: int, output_tokens: int,
              tp_size: int = 1, precision: str = "fp16", slo_ttft: Any = None,
              slo_itl: Any = None, efficiency: float | None = None,
              memory_efficiency: float | None = None, block_size: int = BLOCK_SIZE, *,
              memory_fraction: float = MEMORY_FRACTION, max_batch: int | None = None,
              batch_size: int | None = None, arrival_rate: Any = None,
              cv_arrival: float = 1.0, cv_service: float = 0.0, prefix_hit_rate: float = 0.0,
              prefix_len: int = 0) -> ContinuousBatchingResult:
        """The largest batch (concurrent requests) meeting the KV-cache limit and the SLOs,
        and its TTFT, ITL, end-to-end latency and throughput.

        Conventions (steady state, every request ``input_tokens`` in and ``output_tokens``
        out, prefill not chunked):

        * KV cache: each request reserves ceil((I + O) / block_size) blocks for its whole
          life (no preemption); a block holds ``block_size`` tokens' KV on each GPU (split
          min(tp, n_kv) ways as in ServingModel). Blocks per GPU =
          floor((memory_fraction x capacity - weights / tp) / block bytes).
        * t_p: ServingModel's TTFT of one request (batch 1, I tokens). t_d(B): its ITL at
          batch B and the mean decode context I + O/2.
        * In a cycle of (O - 1) t_d(B) + B t_p every request is replaced once: O - 1 decode
          steps and B prefills, each prefill its own iteration (decode pauses).
          Throughput = B O / cycle; requests/s = B / cycle.
        * ITL (mean time between a request's tokens, as benchmarks' TPOT) =
          t_d(B) + (B - 1) t_p / (O - 1). TTFT = t_d(B) + t_p: a new request joins at the
          next iteration boundary, then runs its prefill; no queueing (see TailLatencyModel).
          End-to-end = TTFT + (O - 1) ITL.
        * ``arrival_rate`` (requests/s) adds queueing for a slot: the B slots are B servers
          each held for one cycle per request (service time = cycle, so the capacity B /
          cycle is ``request_rate``), solved by TailLatencyModel (Poisson arrivals by
          default; ``cv_service`` 0 because every request has the same lengths). TTFT
          percentiles = TTFT + the wait's percentile. The batch search uses the no-queue
          TTFT (the wait is not monotonic in B); ``meets_slo`` then also needs the P99 TTFT
          within ``slo_ttft`` and a stable queue.

        * Prefix caching (``prefix_hit_rate`` h, ``prefix_len`` P; automatic prefix caching
          as in vLLM and SGLang's RadixAttention, Zheng et al., 2024): a hit prefills only
          its I - P uncached tokens after the P cached ones, t_hit (PhaseCosts.prefill), so
          t_p = (1 - h) t_p(I) + h t_hit; the floor(P / block_size) full blocks of the prefix
          are stored once and shared, so a hit holds that many fewer blocks:
          concurrency = floor((blocks - S) / (n_blk - h S)), S = floor(P / block_size).
          h = 0 or P = 0 is the model without caching, exactly.

        ITL and TTFT grow with B, so the SLO batch is found by binary search. ``batch_size``
        evaluates that batch instead of searching; ``max_batch`` caps the search (a
        server's max_num_seqs). ``efficiency``/``memory_efficiency`` pass to ServingModel.

            throughput = B O / ((O - 1) t_d(B) + B t_p)
            ITL = t_d(B) + (B - 1) t_p / (O - 1)

        Args:
            model: A decoder language model (a Models entry or its name).
            hardware: The accelerator (a Hardware entry or its name).
            input_tokens: Prompt tokens per request (I).
            output_tokens: Generated tokens per request (O), at least 2.
            tp_size: Tensor-parallel GPUs serving one replica.
            precision: Weight and activation precision ("fp16", "fp8", ...).
            slo_ttft: Time-to-first-token target (a time such as "2 s"), or None.
            slo_itl: Inter-token latency target (a time such as "50 ms"), or None.
            efficiency: Share of peak compute (None: the calibrated class values).
            memory_efficiency: Share of peak bandwidth (None: the calibrated class values).
            block_size: Tokens per paged KV-cache block.
            memory_fraction: Share of accelerator memory the server may use.
            max_batch: Largest batch the server admits (None: no cap beyond the KV cache).
            batch_size: Evaluate this batch instead of searching for the largest.
            arrival_rate: Poisson requests per second offered; adds the wait for a slot.
            cv_arrival: Coefficient of variation of inter-arrival times (1 = Poisson).
            cv_service: Coefficient of variation of the time a request holds a slot.
            prefix_hit_rate: Share of requests that hit the prefix cache, in [0, 1].
            prefix_len: Cached prefix tokens a hit skips, 0 <= P < input_tokens.

        Returns:
            ContinuousBatchingResult: the batch, its latencies and throughput, the binding
            wall, and the trace.
        """
        from ..units import Quantity

        rate = check_quantity(arrival_rate, "1/s", "arrival_rate") \
            if arrival_rate is not None else None
        slo_t = check_quantity(slo_ttft, "s", "slo_ttft") if slo_ttft is not None else None
        result = self._operating_point(
            model, hardware, input_tokens, output_tokens, tp_size, precision, slo_ttft,
            slo_itl, efficiency, memory_efficiency, block_size, memory_fraction, max_batch,
            batch_size, prefix_hit_rate, prefix_len)
        if rate is None or not result.feasible or result.batch_size is None:
            return result
        from .tail_latency import TailLatencyModel

        slot = result.batch_size / float(result.request_rate.m_as("1/s"))
        tail = TailLatencyModel().solve(slot, rate, servers=result.batch_size,
                                        cv_service=cv_service, cv_arrival=cv_arrival)
        head = (f"Slot queue at {number(rate)} requests/s: {result.batch_size} slots, each "
                f"held {si(slot, 's')} per request -> ")
        *steps, binds = result.constraint_trace  # the binding line moves to the end again
        if not tail.stable:
            inf = Quantity(math.inf, "s")
            return result.model_copy(update=dict(
                ttft_p50=inf, ttft_p99=inf, queueing=tail, meets_slo=False,
                constraint_trace=(*steps, head + tail.reason,
                                  binding_line("tail_latency", "the slot queue is unstable"))))
        ttft = float(result.ttft.m_as("s"))
        wait50, wait99 = (float(q.m_as("s")) - slot for q in (tail.p50, tail.p99))
        p99 = ttft + wait99
        lines = [head + tail.constraint_trace[1]]
        meets_ttft = slo_t is None or p99 <= slo_t
        verdict = "" if slo_t is None else \
            f"; {'meets' if meets_ttft else 'misses'} the TTFT SLO at P99"
        if wait99 > ttft:
            lines.append(f"Tail latency wall: P99 TTFT {si(p99, 's')} is "
                         f"{number(100 * wait99 / p99, 3)}% waiting for a slot "
                         f"({si(wait99, 's')}) at load rho = {number(tail.utilization)}"
                         f"{verdict}; lower the load or add replicas")
        else:
            lines.append(f"TTFT at {number(rate)} requests/s: P50 {si(ttft + wait50, 's')}, "
                         f"P99 {si(p99, 's')} ({si(wait99, 's')} waiting for a slot)"
                         f"{verdict}")
        if wait99 > ttft:
            binds = binding_line("tail_latency", "waiting for a slot is most of P99 TTFT")
        return result.model_copy(update=dict(
            ttft_p50=Quantity(ttft + wait50, "s"), ttft_p99=Quantity(p99, "s"),
            queueing=tail, meets_slo=result.meets_slo and meets_ttft,
            constraint_trace=(*steps, *lines, binds)))

    def _operating_point(self, model, hardware, input_tokens, output_tokens, tp_size,
                         precision, slo_ttft, slo_itl, efficiency, memory_efficiency,
                         block_size, memory_fraction, max_batch, batch_size,
                         prefix_hit_rate=0.0, prefix_len=0):
        from ..units import Quantity

        w = workload_figures(resolve_entry(model, "Models", "model"))
        chip = chip_figures(resolve_entry(hardware, "Hardware", "hardware"))
        inp = check_count(input_tokens, "input_tokens")
        out = check_count(output_tokens, "output_tokens")
        if out < 2:
            raise InputError(f"output_tokens must be >= 2 for continuous batching (the first "
                             f"token comes from the prefill, the rest from decode steps), got "
                             f"{out}; for the prompt alone use ServingModel's ttft",
                             name="output_tokens", value=out)
        check_context(inp + out, w, name="input_tokens + output_tokens")
        tp = check_count(tp_size, "tp_size")
        block = check_count(block_size, "block_size")
        fraction = check_fraction(memory_fraction, "memory_fraction")
        cap = check_count(max_batch, "max_batch") if max_batch is not None else None
        given = check_count(batch_size) if batch_size is not None else None
        slo_t = check_quantity(slo_ttft, "s", "slo_ttft") if slo_ttft is not None else None
        slo_i = check_quantity(slo_itl, "s", "slo_itl") if slo_itl is not None else None
        hit = check_share(prefix_hit_rate, "prefix_hit_rate",
                          "the share of requests whose prompt prefix is cached", "0.5")
        shared = 0 if prefix_len == 0 else check_count(prefix_len, "prefix_len")
        if shared >= inp:
            raise InputError(f"prefix_len must be < input_tokens ({inp}): the last prompt token "
                             f"is always computed, got {shared}; use prefix_len <= {inp - 1}",
                             name="prefix_len", value=shared)
        caching = hit > 0 and shared > 0

        solve = functools.partial(ServingModel().solve, model, hardware, precision=precision,
                                  efficiency=efficiency, tp_size=tp,
                                  memory_efficiency=memory_efficiency)
        steps = StepCosts(solve, inp, out)
        probe = solve(seq_len=min(block, inp + out), batch_size=1)
        weights_gpu = float(probe.model_weights_size.m_as("B")) / tp
        block_bytes = (float(probe.memory_per_gpu.m_as("B")) - weights_gpu) * \
            block / min(block, inp + out)
        kv_memory = fraction * chip.capacity - weights_gpu
        blocks = max(0, math.floor(kv_memory / block_bytes))
        per_request = math.ceil((inp + out) / block)
        concurrency = uncached_concurrency = blocks // per_request
        cache_line = None
        if caching:
            from .serving import PhaseCosts

            uncached = steps.prefill
            t_hit = PhaseCosts(model, hardware, precision, efficiency, tp,
                               memory_efficiency=memory_efficiency).prefill(
                inp - shared, shared).total
            steps.prefill = (1 - hit) * uncached + hit * t_hit
            shared_blocks = shared // block
            concurrency = max(0, math.floor((blocks - shared_blocks)
                                            / (per_request - hit * shared_blocks)))
            cache_line = (
                f"Prefix cache: {number(hit)} of requests hit a {shared}-token prefix; a hit "
                f"prefills {inp - shared} tokens in {si(t_hit, 's')} (vs {si(uncached, 's')}) "
                f"-> mean t_p = {si(steps.prefill, 's')}; {shared_blocks} shared block(s) stored "
                f"once -> floor(({number(blocks)} - {shared_blocks}) / ({per_request} - "
                f"{number(hit)} x {shared_blocks})) = {number(concurrency)} concurrent requests")

        trace = [line for line in steps.prefill_result.constraint_trace
                 if line.startswith(("Efficiency", "The Zoo"))]
        trace.append(
            f"KV cache: {si(block_bytes, 'B')} per {block}-token block per GPU; "
            f"{number(fraction)} x {si(chip.capacity, 'B')} - weights {si(weights_gpu, 'B')} = "
            f"{si(kv_memory, 'B')} -> {number(blocks)} blocks; {per_request} blocks per request "
            f"({inp} + {out} tokens) -> at most {number(uncached_concurrency)} concurrent requests"
            + (" without the prefix cache" if caching else ""))
        trace.append(f"Prefill of one {inp}-token prompt: t_p = "
                     f"{si(steps.prefill_result.ttft.m_as('s'), 's')} "
                     f"(ServingModel TTFT, batch 1, {tp} GPU(s))")
        if cache_line:
            trace.append(cache_line)
        common = dict(max_concurrency=concurrency, kv_blocks=blocks,
                      blocks_per_request=per_request, kv_block_bytes=Quantity(block_bytes, "B"),
                      kv_memory=Quantity(kv_memory, "B"),
                      prefill_time=Quantity(steps.prefill, "s"), input_tokens=inp,
                      output_tokens=out, tp_size=tp,
                      **(dict(prefix_hit_rate=hit, prefix_len=shared) if caching else {}))
        if concurrency < 1:
            room = (f"{si(kv_memory, 'B')} per GPU left after the weights cannot hold"
                    if kv_memory > 0 else f"the weights ({si(weights_gpu, 'B')} per GPU) "
                    f"leave no room in {number(fraction)} x {si(chip.capacity, 'B')} for")
            trace.append(
                f"KV-cache wall: {room} one request's {per_request} blocks "
                f"({si(per_request * block_bytes, 'B')}); use more GPUs (tp_size), a lower "
                "precision or shorter requests")
            return self._result(None, "KV-cache memory", False, False, steps, common, trace)

        limits = {KV_WALL: concurrency}
        if cap is not None:
            limits[CAP] = cap
        bound = min(limits.values())
        if slo_i is not None:
            limits[ITL_WALL] = largest_batch(lambda b: steps.itl(b) <= slo_i, bound)
        if slo_t is not None:
            limits[TTFT_WALL] = largest_batch(lambda b: steps.ttft(b) <= slo_t, bound)
        best = min(limits.values())
        binding = [name for name, value in limits.items() if value == best]
        slo_text = ", ".join(f"{name} <= {si(value, 's')}" for name, value in
                             (("ITL", slo_i), ("TTFT", slo_t)) if value is not None)
        if given is not None:
            if given > concurrency:
                trace.append(f"KV-cache wall: batch_size={given} needs {given * per_request} "
                             f"blocks per GPU, {number(blocks)} fit (at most "
                             f"{number(concurrency)} requests)")
                return self._result(given, "given", False, False, steps, common, trace)
            missed = [f"{name} <= {si(slo, 's')}" for name, slo, value in
                      (("ITL", slo_i, steps.itl(given)), ("TTFT", slo_t, steps.ttft(given)))
                      if slo is not None and value > slo]
            meets = not missed
            verdict = f"Batch {given} (given): " + (
                f"misses {' and '.join(missed)}; the largest batch meeting {slo_text} is "
                f"{number(best)}" if missed else f"meets {slo_text}" if slo_text else
                "no SLO given")
            return self._result(given, "given", meets, True, steps, common, trace, verdict)
        if best < 1:
            missed = " and ".join(name for name in (ITL_WALL, TTFT_WALL) if limits.get(name) == 0)
            at_one = f"ITL {si(steps.itl(1), 's')}, TTFT {si(steps.ttft(1), 's')}"
            trace.append(f"{missed} wall: no batch meets {slo_text}; even batch 1 gives "
                         f"{at_one}. Relax the SLO, add GPUs (tp_size) or shorten the prompt")
            return self._result(None, " and ".join(binding), False, True, steps, common, trace)
        walls = " and ".join(binding)
        others = "; ".join(f"{name} allows {number(value)}" for name, value in limits.items()
                           if name not in binding)
        trace.append(f"{walls} wall: the batch stops at {number(best)}"
                     + (f" ({others})" if others else "")
                     + (f"; SLO {slo_text}" if slo_text else ""))
        return self._result(best, walls, True, True, steps, common, trace)

    def _result(self, batch, binding, meets, feasible, steps, common, trace, verdict=""):
        """The result at ``batch``; ``verdict`` (a given batch against the SLOs) closes the
        trace's steps, after the operating point, so it is the result's ``reason``."""
        from ..units import Quantity

        binds = (binding_line("memory", "the KV cache of every request must fit")
                 if not feasible or KV_WALL in binding else
                 binding_line("batching", f"{binding} stops the batch")
                 if binding not in ("given", CAP) else
                 binding_line("batching", "the batch is set, not found"))

        if batch is None or not feasible:
            nan = Quantity(math.nan, "s")
            return ContinuousBatchingResult(
                batch_size=batch, binding=binding, meets_slo=meets, feasible=feasible,
                decode_step_time=nan, ttft=nan, itl=nan, end_to_end_latency=nan,
                throughput=Quantity(0.0, "token/s"), throughput_per_gpu=Quantity(0.0, "token/s"),
                request_rate=Quantity(0.0, "1/s"), constraint_trace=(*trace, binds), **common)
        t_d, ttft, itl = steps.decode(batch), steps.ttft(batch), steps.itl(batch)
        e2e = ttft + (steps.output - 1) * itl
        rate = steps.throughput(batch)
        tp = common["tp_size"]
        trace.append(
            f"At batch {batch}: decode step t_d = {si(t_d, 's')} (context "
            f"{steps.context}); TTFT = t_d + t_p = {si(ttft, 's')}; ITL = t_d + (B-1) t_p / "
            f"(O-1) = {si(itl, 's')}; end-to-end {si(e2e, 's')}; {number(rate)} tokens/s "
            f"({number(rate / tp)} per GPU), {number(batch / steps.cycle(batch))} requests/s")
        if verdict:
            trace.append(verdict)
        return ContinuousBatchingResult(
            batch_size=batch, binding=binding, meets_slo=meets, feasible=feasible,
            decode_step_time=Quantity(t_d, "s"), ttft=Quantity(ttft, "s"),
            itl=Quantity(itl, "s"), end_to_end_latency=Quantity(e2e, "s"),
            throughput=Quantity(rate, "token/s"),
            throughput_per_gpu=Quantity(rate / tp, "token/s"),
            request_rate=Quantity(batch / steps.cycle(batch), "1/s"),
            constraint_trace=(*trace, binds), **common)


def serve_request(model: Any, hardware: Any, input_tokens: int, output_tokens: int,
                  **options: Any) -> ContinuousBatchingResult:
    """One request's end-to-end latency (TTFT + (output - 1) x ITL) and the server's
    throughput per GPU at the operating point: ``ContinuousBatchingModel().solve`` with the
    same options (tp_size, precision, slo_ttft, slo_itl, batch_size, ...)."""
    return ContinuousBatchingModel().solve(model, hardware, input_tokens, output_tokens,
                                           **options)


class PrefixCachingResult(SolverResult):
    """Continuous batching with a prefix cache, and the same server without one."""

    solver = "PrefixCachingModel"

    prefix_hit_rate: float = Field(description="Share of requests that hit the prefix cache (h).")
    prefix_len: int = Field(description="Cached prefix tokens a hit skips (P).")
    prefill_time: Quantity = Field(description="Mean prefill per request with the cache: "
                                          "(1 - h) t_p(I) + h t_p(I - P after P) (s).")
    baseline_prefill_time: Quantity = Field(description="Prefill per request without the cache (s).")
    batch_size: int | None = Field(description="Operating batch with the cache (the largest "
                                               "meeting the SLOs, or the one given).")
    baseline_batch_size: int | None = Field(description="Operating batch without the cache.")
    max_concurrency: int = Field(description="Requests whose KV cache fits at once, with the "
                                             "shared prefix blocks stored once.")
    baseline_max_concurrency: int = Field(description="Requests whose KV cache fits without "
                                                      "sharing.")
    ttft: Quantity = Field(description="Time to first token with the cache (s).")
    baseline_ttft: Quantity = Field(description="Time to first token without the cache (s).")
    throughput: Quantity = Field(description="Output tokens per second with the cache.")
    baseline_throughput: Quantity = Field(description="Output tokens per second without the cache.")
    ttft_speedup: float = Field(description="baseline_ttft / ttft (1 when h or P is 0).")
    throughput_gain: float = Field(description="throughput / baseline_throughput (1 when h or "
                                               "P is 0).")
    meets_slo: bool = Field(description="The cached operating point meets every SLO given.")
    cached: ContinuousBatchingResult = Field(description="The ContinuousBatchingResult with the cache.")
    baseline: ContinuousBatchingResult = Field(description="The ContinuousBatchingResult without the cache.")


class PrefixCachingModel(ForwardModel):
    """What a prefix cache (shared system prompts, multi-turn history) buys a continuously
    batched server: ContinuousBatchingModel with and without it."""

    name = "PrefixCachingModel"

    def solve(self, model: Any, hardware: Any, input_tokens: int, output_tokens: int,
              prefix_hit_rate: float, prefix_len: int, tp_size: int = 1,
              precision: str = "fp16", slo_ttft: Any = None, slo_itl: Any = None,
              efficiency: float | None = None, memory_efficiency: float | None = None,
              block_size: int = BLOCK_SIZE, *, memory_fraction: float = MEMORY_FRACTION,
              max_batch: int | None = None,
              batch_size: int | None = None) -> PrefixCachingResult:
        """TTFT and throughput gain of a prefix cache with hit rate h and prefix length P.

        Both operating points are ContinuousBatchingModel's (see its prefix-caching terms);
        with the cache a hit prefills only I - P tokens and shares floor(P / block_size)
        blocks, so::

            t_p = (1 - h) t_p(I) + h t_p(I - P | P cached)
            concurrency = floor((blocks - S) / (n_blk - h S)),  S = floor(P / block_size)
            ttft_speedup = TTFT(h = 0) / TTFT(h);  throughput_gain = tput(h) / tput(h = 0)

        Decode steps still read each request's whole context (the shared blocks once per
        request, as PagedAttention does), so decode time is unchanged.

        Args:
            model: A decoder language model (a Models entry or its name).
            hardware: The accelerator (a Hardware entry or its name).
            input_tokens: Prompt tokens per request (I).
            output_tokens: Generated tokens per request (O), at least 2.
            prefix_hit_rate: Share of requests that hit the prefix cache (h), in [0, 1].
            prefix_len: Cached prefix tokens a hit skips (P), 0 <= P < input_tokens.
            tp_size: Tensor-parallel GPUs serving one replica.
            precision: Weight and activation precision ("fp16", "fp8", ...).
            slo_ttft: Time-to-first-token target (e.g. "2 s"), or None.
            slo_itl: Inter-token latency target (e.g. "50 ms"), or None.
            efficiency: Share of peak compute (None: the calibrated class values).
            memory_efficiency: Share of peak bandwidth (None: the calibrated class values).
            block_size: Tokens per paged KV-cache block.
            memory_fraction: Share of accelerator memory the server may use.
            max_batch: Largest batch the server admits (None: no cap beyond the KV cache).
            batch_size: Evaluate this batch (both with and without the cache).

        Returns:
            PrefixCachingResult: both operating points and the gains.
        """
        options = dict(tp_size=tp_size, precision=precision, slo_ttft=slo_ttft,
                       slo_itl=slo_itl, efficiency=efficiency,
                       memory_efficiency=memory_efficiency, block_size=block_size,
                       memory_fraction=memory_fraction, max_batch=max_batch,
                       batch_size=batch_size)
        model_ = ContinuousBatchingModel()
        cached = model_.solve(model, hardware, input_tokens, output_tokens,
                              prefix_hit_rate=prefix_hit_rate, prefix_len=prefix_len, **options)
        base = model_.solve(model, hardware, input_tokens, output_tokens, **options)

        def ratio(a, b) -> float:
            a, b = float(a.magnitude), float(b.magnitude)
            return a / b if b and math.isfinite(a) and math.isfinite(b) else math.nan

        speedup = ratio(base.ttft, cached.ttft)
        gain = ratio(cached.throughput, base.throughput)
        trace = [line for line in cached.constraint_trace if not line.startswith("At batch")]
        trace.append(f"With the cache: batch {cached.batch_size}, TTFT {quantity(cached.ttft)}, "
                     f"{quantity(cached.throughput)}; without: batch {base.batch_size}, TTFT "
                     f"{quantity(base.ttft)}, {quantity(base.throughput)} -> TTFT "
                     f"{number(speedup)} x faster, throughput x {number(gain)}")
        return PrefixCachingResult(
            prefix_hit_rate=float(prefix_hit_rate), prefix_len=int(prefix_len),
            prefill_time=cached.prefill_time, baseline_prefill_time=base.prefill_time,
            batch_size=cached.batch_size, baseline_batch_size=base.batch_size,
            max_concurrency=cached.max_concurrency,
            baseline_max_concurrency=base.max_concurrency, ttft=cached.ttft,
            baseline_ttft=base.ttft, throughput=cached.throughput,
            baseline_throughput=base.throughput, ttft_speedup=speedup, throughput_gain=gain,
            meets_slo=cached.meets_slo, cached=cached, baseline=base,
            constraint_trace=tuple(trace))
