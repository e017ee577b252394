"""Chunked prefill: a prompt split into chunks of C tokens, each piggy-backed on a decode
iteration (Agrawal et al., "Taming Throughput-Latency Tradeoff in LLM Inference with
Sarathi-Serve", OSDI 2024), against the unchunked continuous-batching baseline whose decode
requests stall for a whole prefill.

Step costs are ServingModel's (:class:`~mlsysim.solvers.serving.PhaseCosts`); the batch and
the unchunked baseline are ContinuousBatchingModel's.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_quantity
from ..formatting import number, si
from .base import ForwardModel, SolverResult
from .continuous_batching import BLOCK_SIZE, MEMORY_FRACTION, ContinuousBatchingModel
from .serving import PhaseCosts


class ChunkedPrefillResult(SolverResult):
    """Chunked prefill at one chunk size, and the unchunked baseline at the same batch."""

    solver = "ChunkedPrefillModel"

    feasible: bool = Field(description="The weights and the batch's KV cache fit (as "
                                       "ContinuousBatchingModel).")
    meets_slo: bool = Field(description="The worst iteration (max_step_time) is within "
                                        "slo_itl; True when no SLO is given.")
    chunk_size: int = Field(description="Prefill tokens per iteration (C), at most the prompt.")
    chunks_per_prompt: int = Field(description="n = ceil(input_tokens / C): iterations one "
                                               "prompt's prefill spans.")
    batch_size: int | None = Field(description="Decode requests per iteration (B): given, or the "
                                               "most the KV cache holds; None if none fits.")
    busy_slots: int | None = Field(description="Decode requests an iteration actually carries: "
                                               "min(B, max(1, floor((O - 1) / n))), fewer than "
                                               "B when one chunk per iteration admits too few.")
    step_time: Any = Field(description="Mean time of an iteration carrying the busy decode "
                                       "requests and one prefill chunk (s).")
    max_step_time: Any = Field(description="Slowest such iteration (the last chunk, which "
                                           "attends to the longest context): the worst gap "
                                           "between a decoding request's tokens (s).")
    ttft: Any = Field(description="Time to first token: the sum of the n chunk iterations (s).")
    itl: Any = Field(description="Mean inter-token latency: the mean iteration, chunked and "
                                 "pure decode ones weighted by prefill_share (s).")
    prefill_share: float = Field(description="Share of iterations that carry a chunk: "
                                             "min(1, B n / (O - 1)).")
    throughput: Any = Field(description="Output tokens per second of one replica (token/s).")
    throughput_per_gpu: Any = Field(description="Output tokens per second per GPU (token/s).")
    request_rate: Any = Field(description="Requests completed per second (1/s).")
    prefill_stall: Any = Field(description="Unchunked: the whole prefill t_p, the gap a decoding "
                                           "request sees when a new prompt is prefilled (s).")
    baseline_worst_itl: Any = Field(description="Unchunked worst gap between tokens: decode "
                                                "step t_d(B) + prefill stall t_p (s).")
    baseline_ttft: Any = Field(description="Unchunked TTFT (ContinuousBatchingModel) (s).")
    baseline_itl: Any = Field(description="Unchunked mean ITL (ContinuousBatchingModel) (s).")
    baseline_throughput: Any = Field(description="Unchunked output tokens per second "
                                                 "(ContinuousBatchingModel) (token/s).")
    throughput_gain: float = Field(description="throughput / baseline_throughput.")
    input_tokens: int = Field(description="Prompt tokens per request (I).")
    output_tokens: int = Field(description="Generated tokens per request (O).")
    tp_size: int = Field(description="Tensor-parallel GPUs serving one replica.")


def chunk_schedule(input_tokens: int, chunk: int) -> list[tuple[int, int]]:
    """[(chunk tokens c_k, cached tokens before it p_k)]: n - 1 chunks of C, then the rest."""
    return [(min(chunk, input_tokens - start), start)
            for start in range(0, input_tokens, chunk)]


def occupied_slots(batch: int, chunks: int, output_tokens: int) -> int:
    """Decode slots busy in the steady state: one chunk per iteration admits a request every
    n iterations and each decodes for O - 1, so at most max(1, floor((O - 1) / n)) of the B
    slots are busy: B_busy = min(B, max(1, floor((O - 1) / n)))."""
    return min(batch, max(1, (output_tokens - 1) // chunks))


def prefill_share(batch: int, chunks: int, output_tokens: int) -> float:
    """Share of iterations that carry a chunk in the steady state: B decode slots need
    B / (O - 1) new requests per iteration, each n chunk iterations, so
    share = min(1, B n / (O - 1))."""
    return min(1.0, batch * chunks / (output_tokens - 1))


def request_rate(itl: float, batch: int, chunks: int, output_tokens: int) -> float:
    """Requests completed per second: min(B / (O - 1), 1 / n) per iteration of mean length
    ``itl`` (decode slots or the one chunk per iteration, whichever admits fewer)."""
    return min(batch / (output_tokens - 1), 1.0 / chunks) / itl


def chunk_candidates(input_tokens: int, block_size: int) -> list[int]:
    """Chunk sizes the search tries: block_size x 2^k below the prompt, then the prompt."""
    sizes, size = [], block_size
    while size < input_tokens:
        sizes.append(size)
        size *= 2
    return sizes + [input_tokens]


class ChunkedPrefillModel(ForwardModel):
    """Stall-free batching with chunked prefill (Sarathi-Serve), on ServingModel's costs."""

    name = "ChunkedPrefillModel"

    def solve(self, model: Any, hardware: Any, input_tokens: int, output_tokens: int,
              chunk_size: int | None = None, batch_size: int | None = None, tp_size: int = 1,
              precision: str = "fp16", slo_itl: Any = None, efficiency: float | None = None,
              memory_efficiency: float | None = None, *, block_size: int = BLOCK_SIZE,
              memory_fraction: float = MEMORY_FRACTION) -> ChunkedPrefillResult:
        """TTFT, ITL and throughput with the prompt prefilled C tokens per iteration.

        Every iteration carries the busy decode requests (at the mean context I + O/2, as
        ContinuousBatchingModel) and at most one prefill chunk; chunk k (of n = ceil(I / C))
        holds c_k tokens after p_k = k C cached ones. One chunk per iteration admits a request
        every n iterations, so of the B slots only B' are busy. With PhaseCosts' mixed
        iteration t_mix(B', c, p) (weights streamed once, each phase's math at its own
        efficiency)::

            B'    = min(B, max(1, floor((O - 1) / n)))
            TTFT  = sum_k t_mix(B', c_k, p_k) = n x step_time
            share = min(1, B' n / (O - 1))
            ITL   = share x step_time + (1 - share) x t_d(B')
            requests/s = min(B' / (O - 1), 1 / n) / ITL;  throughput = O x requests/s

        The worst gap between a decoding request's tokens is max_k t_mix (the last chunk);
        unchunked it is t_d(B) + t_p, the whole prefill stall. With ``chunk_size`` None the
        chunk is chosen among block_size x 2^k (and I): the highest throughput whose worst
        iteration meets ``slo_itl`` (the smallest chunk, flagged, when none does).

        Args:
            model: A decoder language model (a Models entry or its name).
            hardware: The accelerator (a Hardware entry or its name).
            input_tokens: Prompt tokens per request (I).
            output_tokens: Generated tokens per request (O), at least 2.
            chunk_size: Prefill tokens per iteration (C); None searches for the best.
            batch_size: Decode requests per iteration (B); None takes the most the paged KV
                cache holds (ContinuousBatchingModel's max_concurrency).
            tp_size: Tensor-parallel GPUs serving one replica.
            precision: Weight and activation precision ("fp16", "fp8", ...).
            slo_itl: Inter-token latency target for the worst iteration (e.g. "50 ms").
            efficiency: Share of peak compute (None: the calibrated prefill/decode values).
            memory_efficiency: Share of peak bandwidth (None: the calibrated values).
            block_size: Tokens per paged KV-cache block; also the smallest chunk searched.
            memory_fraction: Share of accelerator memory the server may use.

        Returns:
            ChunkedPrefillResult: the chunk, its TTFT, ITLs and throughput, and the
            unchunked baseline beside them.

        Raises:
            InputError: a value out of range (as ContinuousBatchingModel), a chunk_size < 1.
        """
        from ..units import Quantity

        chunk = check_count(chunk_size, "chunk_size") if chunk_size is not None else None
        slo = check_quantity(slo_itl, "s", "slo_itl") if slo_itl is not None else None
        base = ContinuousBatchingModel().solve(
            model, hardware, input_tokens, output_tokens, tp_size=tp_size, precision=precision,
            efficiency=efficiency, memory_efficiency=memory_efficiency, block_size=block_size,
            memory_fraction=memory_fraction, batch_size=batch_size)
        inp, out, tp = base.input_tokens, base.output_tokens, base.tp_size
        trace = [line for line in base.constraint_trace if line.startswith(("Efficiency", "KV"))]
        if not base.feasible or base.batch_size is None:
            nan = Quantity(math.nan, "s")
            zero = Quantity(0.0, "token/s")
            trace.append("Chunking does not help: " + base.reason)
            return ChunkedPrefillResult(
                feasible=False, meets_slo=False, chunk_size=min(chunk or inp, inp),
                chunks_per_prompt=math.ceil(inp / min(chunk or inp, inp)),
                batch_size=base.batch_size, busy_slots=None, step_time=nan, max_step_time=nan, ttft=nan,
                itl=nan, prefill_share=math.nan, throughput=zero, throughput_per_gpu=zero,
                request_rate=Quantity(0.0, "1/s"), prefill_stall=base.prefill_time,
                baseline_worst_itl=nan, baseline_ttft=base.ttft, baseline_itl=base.itl,
                baseline_throughput=base.throughput, throughput_gain=math.nan,
                input_tokens=inp, output_tokens=out, tp_size=tp, constraint_trace=tuple(trace))
        batch = base.batch_size
        costs = PhaseCosts(model, hardware, precision, efficiency, tp,
                           memory_efficiency=memory_efficiency)
        context = inp + out // 2
        t_d = costs.decode(batch, context).total
        t_p = float(base.prefill_time.m_as("s"))

        def evaluate(size: int) -> dict[str, float]:
            schedule = chunk_schedule(inp, size)
            n = len(schedule)
            active = occupied_slots(batch, n, out)
            steps = [costs.mixed(active, context, c, p).total for c, p in schedule]
            mean = sum(steps) / n
            share = prefill_share(active, n, out)
            itl = share * mean + (1 - share) * costs.decode(active, context).total
            rate = request_rate(itl, active, n, out)
            return dict(size=min(size, inp), n=n, active=active, mean=mean, worst=max(steps),
                        ttft=sum(steps), share=share, itl=itl, rate=rate, throughput=out * rate)

        if chunk is not None:
            best = evaluate(chunk)
            how = "given"
        else:
            options = [evaluate(size) for size in chunk_candidates(inp, block_size)]
            meeting = [o for o in options if slo is None or o["worst"] <= slo]
            best = max(meeting, key=lambda o: o["throughput"]) if meeting else options[0]
            how = ("searched " + ", ".join(f"C={o['size']}: worst {si(o['worst'], 's')}, "
                                           f"{number(o['throughput'])} tok/s" for o in options))
        meets = slo is None or best["worst"] <= slo
        base_tput = float(base.throughput.m_as("token/s"))
        trace += [
            f"Unchunked (ContinuousBatchingModel, batch {batch}): t_p = {si(t_p, 's')} prefill "
            f"stall, t_d(B) = {si(t_d, 's')}; worst gap t_d + t_p = {si(t_d + t_p, 's')}; TTFT "
            f"{si(base.ttft.m_as('s'), 's')}, {number(base_tput)} tokens/s",
            f"Chunk size ({how}): C = {best['size']} -> n = {best['n']} iterations; busy slots "
            f"B' = min({batch}, max(1, floor({out - 1} / {best['n']}))) = {best['active']}; "
            f"an iteration of B' decode tokens + one chunk takes mean {si(best['mean'], 's')}, worst "
            f"{si(best['worst'], 's')}; TTFT = {si(best['ttft'], 's')}",
            f"Steady state: share of iterations with a chunk = min(1, {best['active']} x "
            f"{best['n']} / "
            f"{out - 1}) = {number(best['share'])}; ITL {si(best['itl'], 's')}; "
            f"{number(best['throughput'])} tokens/s "
            f"({number(best['throughput'] / base_tput if base_tput else math.nan)} x unchunked)",
        ]
        if slo is not None:
            trace.append(("ITL SLO met: " if meets else "ITL SLO wall: ")
                         + f"worst iteration {si(best['worst'], 's')} vs {si(slo, 's')}"
                         + ("" if meets else "; even the smallest chunk misses it: lower the "
                            "batch, add GPUs (tp_size) or relax the SLO"))
        return ChunkedPrefillResult(
            feasible=True, meets_slo=meets, chunk_size=best["size"], chunks_per_prompt=best["n"],
            batch_size=batch, busy_slots=best["active"], step_time=Quantity(best["mean"], "s"),
            max_step_time=Quantity(best["worst"], "s"), ttft=Quantity(best["ttft"], "s"),
            itl=Quantity(best["itl"], "s"), prefill_share=best["share"],
            throughput=Quantity(best["throughput"], "token/s"),
            throughput_per_gpu=Quantity(best["throughput"] / tp, "token/s"),
            request_rate=Quantity(best["rate"], "1/s"), prefill_stall=base.prefill_time,
            baseline_worst_itl=Quantity(t_d + t_p, "s"), baseline_ttft=base.ttft,
            baseline_itl=base.itl, baseline_throughput=base.throughput,
            throughput_gain=best["throughput"] / base_tput if base_tput else math.nan,
            input_tokens=inp, output_tokens=out, tp_size=tp, constraint_trace=tuple(trace))
