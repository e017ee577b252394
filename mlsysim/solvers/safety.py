"""The safety wall: what guardrail classifiers around an LLM answer cost in latency and GPU time.

A guard model such as Llama Guard (Inan et al. 2023, arXiv:2312.06674; Llama Guard 3, Meta's
model card) is itself a decoder LLM that reads the conversation and answers "safe" or
"unsafe" with the violated categories; its score is the probability of the first generated
token. A check therefore costs one prefill of the guard over the text it checks, priced by
:class:`~mlsysim.solvers.ServingModel` from the guard's architecture in the Zoo. An input
check reads the prompt before generation starts; an output check reads prompt and answer
before the answer is released. Answers flagged and regenerated are a parameter (a refusal
or rewrite rate), not a Zoo number: the rate depends on the traffic and the policy.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_flag, check_share, resolve_entry
from ..errors import InputError
from ..formatting import number, si
from ..units import Quantity as Q
from . import zoo_defaults
from .base import ForwardModel, Quantity, SolverResult
from .serving import ServingModel

#: The guard model used when none is given: Llama Guard 3 8B (Meta), in the Zoo.
GUARD = "Models.Language.LlamaGuard3_8B"

#: Seconds in an hour (GPU-hour prices to a per-request cost).
SECONDS_PER_HOUR = 3600.0


class SafetyResult(SolverResult):
    """Latency, GPU time and cost of an answer with guardrail checks, against one without."""

    solver = "SafetyModel"

    guard: str = Field(description="The guard model's name.")
    ttft: Quantity = Field(description="Time to first token with the input check before "
                                       "generation (s).")
    baseline_ttft: Quantity = Field(description="Time to first token without checks (s).")
    latency: Quantity = Field(description="Expected time until the checked answer is released "
                                          "(s): input check, then generation and output check "
                                          "for every attempt.")
    baseline_latency: Quantity = Field(description="Time to generate the answer without checks "
                                                   "(s): TTFT + (output_tokens - 1) x ITL.")
    input_check_time: Quantity = Field(description="One guard prefill over the prompt (s); 0 "
                                                   "when the input is not checked.")
    output_check_time: Quantity = Field(description="One guard prefill over prompt and answer "
                                                    "(s); 0 when the output is not checked.")
    expected_attempts: float = Field(description="Expected generations per answer, "
                                                 "1 / (1 - regeneration_rate).")
    ttft_overhead: float = Field(description="ttft / baseline_ttft - 1.")
    latency_overhead: float = Field(description="latency / baseline_latency - 1.")
    gpu_time_per_request: Quantity = Field(
        description="GPU time per request with checks (s): the model's passes on its tp_size "
                    "GPUs plus the guard's on one, over batch_size.")
    baseline_gpu_time_per_request: Quantity = Field(description="GPU time per request without "
                                                                "checks (s).")
    guard_gpu_share: float = Field(description="Share of the GPU time spent in guard checks.")
    cost_per_request: Quantity | None = Field(
        description="gpu_time_per_request x the GPU-hour price (USD); None when the Zoo has no "
                    "price for the hardware and none is given.")
    baseline_cost_per_request: Quantity | None = Field(
        description="The same without checks (USD).")
    dominant_overhead: str = Field(description="The largest added cost: input check, output "
                                               "check or regeneration.")
    feasible: bool = Field(description="Whether the model and the guard each fit one GPU's "
                                       "memory at this batch.")


class SafetyModel(ForwardModel):
    """Guardrails around an LLM answer: input and output classifier passes, regeneration."""

    name = "SafetyModel"

    def solve(self, model: Any, hardware: Any, seq_len: int, output_tokens: int,
              guard: Any = GUARD, check_input: bool = True, check_output: bool = True,
              batch_size: int = 1, precision: str = "fp16", efficiency: float | None = None,
              regeneration_rate: float = 0.0, tp_size: int = 1, *,
              memory_efficiency: float | None = None,
              price_per_hour: Any = None) -> SafetyResult:
        """Serve ``model`` on ``hardware`` with a ``seq_len``-token prompt and an
        ``output_tokens``-token answer, guarded by ``guard`` on the same kind of GPU::

            T_gen  = TTFT(model, I) + (O - 1) ITL(model, I)
            T_in   = TTFT(guard, I)                 (prefill + the verdict token)
            T_out  = TTFT(guard, I + O)
            A      = 1 / (1 - r)                    (expected attempts, geometric)
            TTFT'  = T_in + TTFT(model, I)
            T'     = T_in + A (T_gen + T_out)
            G      = T_in + A T_out                 (guard GPU time, one GPU)
            GPU'   = (t A T_gen + G) / B per request;  guard share = G / (t A T_gen + G)
            cost   = GPU' x price per GPU-hour

        Each check is the guard's prefill of the checked text (the verdict is its first
        token, as the Llama Guard 3 model card scores it); a flagged answer (rate r) is
        generated and checked again, the prompt check is not repeated. The model runs on
        ``tp_size`` = t GPUs, the guard on one. Classifier prompt
        templates (the policy text) are not counted, so the checks are lower bounds.

        Args:
            model: The decoder language model answering (a ``Models`` entry or its name).
            hardware: The GPU both run on (a ``Hardware`` entry or its name).
            seq_len: Prompt tokens (I).
            output_tokens: Answer tokens (O).
            guard: The guard classifier, a decoder (default Llama Guard 3 8B).
            check_input: Classify the prompt before generation.
            check_output: Classify prompt and answer before releasing the answer.
            batch_size: Requests served together (B), by the model and by the guard.
            precision: Serving precision of both.
            efficiency: Share of peak compute; None takes ServingModel's calibrated values.
            regeneration_rate: Share of answers flagged and generated again, in [0, 1).
            tp_size: Tensor-parallel GPUs serving the model (the guard runs on one).
            memory_efficiency: Share of peak memory bandwidth; None as ServingModel.
            price_per_hour: Price of one GPU-hour; None takes
                ``Infrastructure.RentalPrices.<hardware>`` when the Zoo has it.

        Returns:
            SafetyResult: TTFT, latency, GPU time and cost with and without checks, the
            overhead ratios, the guard's share and which overhead dominates.

        Raises:
            InputError: both checks off, a regeneration rate outside [0, 1), a guard or
                model that is not a decoder, counts below 1.
        """
        check_in = check_flag(check_input, "check_input")
        check_out = check_flag(check_output, "check_output")
        if not (check_in or check_out):
            raise InputError("check_input and check_output are both False: there is no guard "
                             "pass to cost; set one of them to True",
                             name="check_input", value=check_input)
        rate = check_share(regeneration_rate, "regeneration_rate",
                           "the share of answers flagged and generated again", "0.05")
        if rate == 1:
            raise InputError("regeneration_rate must be below 1, got 1: every answer would be "
                             "regenerated forever; e.g. regeneration_rate=0.05",
                             name="regeneration_rate", value=regeneration_rate)
        prompt = check_count(seq_len, "seq_len")
        out = check_count(output_tokens, "output_tokens")
        batch = check_count(batch_size)
        chip = resolve_entry(hardware, "Hardware", "hardware")
        entry = resolve_entry(model, "Models", "model")
        guard_entry = resolve_entry(guard, "Models", "guard")
        serve = dict(batch_size=batch, precision=precision, efficiency=efficiency,
                     memory_efficiency=memory_efficiency)
        tp = check_count(tp_size, "tp_size")
        main = ServingModel().solve(entry, chip, prompt, tp_size=tp, **serve)
        ttft_m, itl_m = float(main.ttft.m_as("s")), float(main.itl.m_as("s"))
        t_gen = ttft_m + (out - 1) * itl_m
        checks = []
        t_in = t_out = 0.0
        if check_in:
            first = ServingModel().solve(guard_entry, chip, prompt, **serve)
            t_in = float(first.ttft.m_as("s"))
            checks.append(first)
        if check_out:
            second = ServingModel().solve(guard_entry, chip, prompt + out, **serve)
            t_out = float(second.ttft.m_as("s"))
            checks.append(second)
        attempts = 1 / (1 - rate)
        latency = t_in + attempts * (t_gen + t_out)
        ttft = t_in + ttft_m
        guard_time = t_in + attempts * t_out
        gpu_time = tp * attempts * t_gen + guard_time
        base_gpu_time = tp * t_gen
        overheads = {"input check": t_in, "output check": attempts * t_out,
                     "regeneration": (attempts - 1) * t_gen}
        dominant = max(overheads, key=overheads.get)
        price, price_text = zoo_defaults.given_or_zoo(
            price_per_hour, "USD/hour", "price_per_hour",
            zoo_defaults.per_hardware_path(zoo_defaults.RENTAL_PRICES, chip), required=False)
        cost = base_cost = None
        if price is not None:
            cost = Q(price * gpu_time / batch / SECONDS_PER_HOUR, "USD")
            base_cost = Q(price * base_gpu_time / batch / SECONDS_PER_HOUR, "USD")
        feasible = bool(main.feasible) and all(bool(c.feasible) for c in checks)
        trace = [line for line in main.constraint_trace if line.startswith(("Efficiency",
                                                                             "The Zoo"))]
        trace += [
            f"Answer: {prompt} prompt + {out} answer tokens of {entry.name} ({entry.path}) at batch {batch}: TTFT {si(ttft_m, 's')} + ({out} - 1) x ITL "
            f"{si(itl_m, 's')} = {si(t_gen, 's')} (ServingModel)",
            f"Guard {guard_entry.name} ({guard_entry.path}): input check (prefill of {prompt} tokens) "
            f"{si(t_in, 's')}; output check (prefill of {prompt + out} tokens) "
            f"{si(t_out, 's')}" + ("" if check_in else "; input not checked")
            + ("" if check_out else "; output not checked"),
            f"Regeneration rate {number(rate)}: {number(attempts)} expected attempts, each "
            "generated and checked again",
            f"Latency {si(t_gen, 's')} -> {si(latency, 's')} "
            f"(+{number(100 * (latency / t_gen - 1), 3)}%); TTFT {si(ttft_m, 's')} -> "
            f"{si(ttft, 's')}; guard checks are {number(100 * guard_time / gpu_time, 3)}% of the "
            f"GPU time ({si(gpu_time, 's')} GPU-seconds per batch, the model on {tp} GPU(s))",
        ]
        if cost is not None:
            trace.append(f"Cost at {price_text} per GPU-hour" if price_per_hour is not None else
                         f"Cost at {price_text}")
            trace[-1] += (f": {number(cost.m_as('USD'))} USD per "
                          f"request (from {number(base_cost.m_as('USD'))} USD)")
        else:
            trace.append(f"Cost not computed: {price_text}; pass price_per_hour")
        trace.append(f"Safety wall: the {dominant} dominates the added cost "
                     f"({si(overheads[dominant], 's')} per answer)")
        if not feasible:
            trace.append("Memory wall: the model or the guard does not fit one GPU at this "
                         "batch")
        return SafetyResult(
            guard=guard_entry.name, ttft=Q(ttft, "s"), baseline_ttft=Q(ttft_m, "s"),
            latency=Q(latency, "s"), baseline_latency=Q(t_gen, "s"),
            input_check_time=Q(t_in, "s"), output_check_time=Q(t_out, "s"),
            expected_attempts=attempts, ttft_overhead=ttft / ttft_m - 1,
            latency_overhead=latency / t_gen - 1,
            gpu_time_per_request=Q(gpu_time / batch, "s"),
            baseline_gpu_time_per_request=Q(base_gpu_time / batch, "s"),
            guard_gpu_share=guard_time / gpu_time, cost_per_request=cost,
            baseline_cost_per_request=base_cost, dominant_overhead=dominant,
            feasible=feasible, constraint_trace=tuple(trace))
