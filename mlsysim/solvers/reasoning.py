"""The inference-time compute wall: what long reasoning traces and repeated sampling cost.

A reasoning model answers with ``answer_tokens`` generated tokens (its chain of thought plus
the answer); best-of-N and self-consistency draw ``samples`` such answers and keep one. The
time per answer comes from :class:`ServingModel`'s own prefill and decode step costs (the
same ones :class:`ContinuousBatchingModel` uses); the FLOPs from the engine's pass costs.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import Field

from ..engine.checks import check_context, check_count, check_flag, check_quantity, \
    resolve_entry
from ..engine.figures import workload_figures
from ..engine.passes import sequence_flops
from ..errors import InputError
from ..formatting import number, si
from .base import ForwardModel, Quantity, SolverResult
from .serving import ServingModel


class ReasoningResult(SolverResult):
    """Compute, tokens and latency of one answer built from ``samples`` reasoning traces."""

    solver = "ReasoningModel"

    tokens_per_answer: int = Field(description="Generated tokens per answer: samples x "
                                               "answer_tokens.")
    flops_per_answer: Quantity = Field(description="Forward FLOPs per answer (FLOP): samples x "
                                                   "the FLOPs of one prompt + answer sequence.")
    answer_latency: Quantity = Field(description="Time to the final answer (s): prefill plus "
                                                 "(answer_tokens - 1) decode steps, once with "
                                                 "the samples batched, samples times in turn.")
    single_sample_latency: Quantity = Field(description="The same for one sample at batch 1 (s)"
                                                        ", the baseline.")
    latency_ratio: float = Field(description="answer_latency / single_sample_latency.")
    prefill_time: Quantity = Field(description="Prefill of the prompts (s): ServingModel's TTFT "
                                               "at the samples' batch.")
    decode_step_time: Quantity = Field(description="One decode step at the samples' batch and "
                                                   "the mean context prompt + answer/2 (s): "
                                                   "ServingModel's ITL.")
    kv_cache_size: Quantity = Field(description="KV cache of every sample at its full context "
                                                "(B), ServingModel's.")
    feasible: bool = Field(description="Whether the weights and the samples' full KV cache fit "
                                       "(ServingModel at prompt + answer tokens).")
    within_budget: bool | None = Field(description="answer_latency <= latency_budget; None "
                                                   "when no budget was given.")
    samples: int = Field(description="Reasoning traces drawn per answer (best-of-N, "
                                     "self-consistency).")
    parallel: bool = Field(description="Whether the samples decode together as one batch.")


class ReasoningModel(ForwardModel):
    """Inference-time compute: reasoning tokens x samples per answer, in FLOPs and latency."""

    name = "ReasoningModel"

    def solve(self, model: Any, hardware: Any, answer_tokens: int, prompt_tokens: int,
              samples: int = 1, parallel: bool = True, precision: str = "fp16",
              efficiency: float | None = None, tp_size: int = 1, *,
              memory_efficiency: float | None = None,
              latency_budget: Any = None) -> ReasoningResult:
        """FLOPs and latency of one answer of ``samples`` traces of ``answer_tokens`` each.

        With the samples decoded together as a batch of B = samples (``parallel``), else one
        after another at B = 1; t_p is ServingModel's TTFT for B prompts and t_d(B) its ITL at
        the mean context P + T/2 (the convention of ContinuousBatchingModel); prompts are not
        shared between samples (no prefix caching)::

            latency = t_p(B) + (T - 1) t_d(B)                         (parallel)
            latency = S (t_p(1) + (T - 1) t_d(1))                     (in turn)
            FLOPs   = S x F_seq(P + T)     (generating with a KV cache costs the forward
                                            FLOPs of the whole sequence once)

        Args:
            model: A decoder language model (a ``Models`` entry or its name).
            hardware: The GPU (a ``Hardware`` entry or its name).
            answer_tokens: Generated tokens T per sample (reasoning trace plus answer), >= 1.
            prompt_tokens: Prompt tokens P per sample, >= 1.
            samples: Traces S drawn per answer (1 = a single answer; best-of-N,
                self-consistency > 1).
            parallel: Decode the samples together as one batch (True) or one after another.
            precision: Weights and math precision the chip lists a peak for.
            efficiency: Share of peak compute; None takes the calibrated values, as
                ServingModel.
            tp_size: Tensor-parallel GPUs of one node serving the model.
            memory_efficiency: Share of peak memory bandwidth; None as ServingModel.
            latency_budget: Optional time allowed per answer; the trace names the wall when
                the answer takes longer.

        Returns:
            ReasoningResult: tokens and FLOPs per answer, the answer's latency and its ratio to
            one sample's, the step costs, memory fit and the trace.

        Raises:
            InputError: a model that is not a decoder, a count below 1, a prompt plus answer
                longer than the model's context, a bad latency budget.
        """
        from ..units import Quantity as Q

        entry = resolve_entry(model, "Models", "model")
        w = workload_figures(entry)
        if w.kind != "decoder":
            raise InputError(f"ReasoningModel models autoregressive decoding; {w.name} is not a "
                             "decoder language model", name="model", value=w.path)
        out = check_count(answer_tokens, "answer_tokens")
        inp = check_count(prompt_tokens, "prompt_tokens")
        n = check_count(samples, "samples")
        together = check_flag(parallel, "parallel")
        check_context(inp + out, w, name="prompt_tokens + answer_tokens")
        budget = (check_quantity(latency_budget, "s", "latency_budget")
                  if latency_budget is not None else None)
        serve = functools.partial(ServingModel().solve, entry, hardware, precision=precision,
                                  efficiency=efficiency, tp_size=tp_size,
                                  memory_efficiency=memory_efficiency)
        context = inp + out // 2

        def latency(batch: int) -> tuple[float, float, float]:
            t_p = float(serve(seq_len=inp, batch_size=batch).ttft.m_as("s"))
            t_d = float(serve(seq_len=context, batch_size=batch).itl.m_as("s"))
            return t_p, t_d, t_p + (out - 1) * t_d

        single_p, single_d, single = latency(1)
        if together:
            batch = n
            t_p, t_d, total = latency(n) if n > 1 else (single_p, single_d, single)
        else:
            batch = 1
            t_p, t_d, total = single_p, single_d, n * single
        full = serve(seq_len=inp + out, batch_size=batch)
        flops = n * float(sequence_flops(w, inp + out, inp + out))
        trace = [line for line in full.constraint_trace if line.startswith(("Efficiency",
                                                                           "The Zoo"))]
        how = (f"{n} samples decoded together (batch {n})" if together and n > 1 else
               f"{n} samples one after another" if n > 1 else "one sample")
        trace.append(f"Per answer: {n} x {out} = {number(n * out)} generated tokens after a "
                     f"{inp}-token prompt; {how}")
        trace.append(f"Step costs (ServingModel): prefill t_p = {si(t_p, 's')}, decode step "
                     f"t_d = {si(t_d, 's')} at context {context}; latency = "
                     + (f"{n} x ({si(t_p, 's')} + {out - 1} x {si(t_d, 's')})" if not together
                        and n > 1 else f"{si(t_p, 's')} + {out - 1} x {si(t_d, 's')}")
                     + f" = {si(total, 's')}")
        trace.append(f"FLOPs: {n} x {si(flops / n, 'FLOP')} (the forward FLOPs of one "
                     f"{inp + out}-token sequence) = {si(flops, 'FLOP')} per answer")
        ratio = total / single
        if n > 1:
            trace.append(f"Inference-time compute wall: {n} samples cost {number(n)}x the "
                         f"FLOPs and {number(ratio)}x the latency of one "
                         f"({si(single, 's')})")
        trace.append(("Memory fits: " if full.feasible else "Memory wall: ")
                     + f"{si(full.memory_per_gpu.m_as('B'), 'B')} per GPU for the weights and "
                     f"{batch} sequence(s) of {inp + out} tokens of KV cache")
        within = None
        if budget is not None:
            within = total <= budget
            trace.append(f"Latency budget {si(budget, 's')}: " + (
                "met" if within else f"exceeded by {si(total - budget, 's')}; fewer samples, "
                "shorter traces, batching the samples or a faster chip"))
        return ReasoningResult(
            tokens_per_answer=n * out, flops_per_answer=Q(flops, "FLOP"),
            answer_latency=Q(total, "s"), single_sample_latency=Q(single, "s"),
            latency_ratio=ratio, prefill_time=Q(t_p, "s"), decode_step_time=Q(t_d, "s"),
            kv_cache_size=full.kv_cache_size, feasible=bool(full.feasible),
            within_budget=within, samples=n, parallel=together,
            constraint_trace=tuple(trace))
