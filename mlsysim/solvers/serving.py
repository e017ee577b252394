"""LLM serving: prefill (time to first token) and decode (inter-token latency), KV cache, TP."""

from __future__ import annotations

import math
from typing import Any

from ..engine.checks import (check_context, check_count, check_fraction, check_tensor_parallel,
                             largest_node, peak_for, resolve_entry)
from ..engine.engine import modeled_bandwidth
from ..engine.figures import chip_figures, workload_figures
from ..engine.passes import forward_flops, pass_cost, sequence_flops
from ..engine.precision import activation_bytes, bytes_per_value, math_format, weight_only_note
from ..walls import binding_line
from ..formatting import si
from ..errors import InputError
from ..physics import communication, roofline, transformer
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult

#: Megatron tensor parallelism all-reduces activations twice per layer in the forward pass
#: (after attention and after the MLP): Shoeybi et al., "Megatron-LM", 2019, section 3.
TP_ALLREDUCES_PER_LAYER = 2


class ServingResult(SolverResult):
    """What serving ``batch_size`` requests of ``seq_len`` tokens costs on ``tp_size`` GPUs."""

    solver = "ServingModel"

    ttft: Quantity = Field(description="Time to first token (s): the prefill of every prompt, "
                                       "plus its tensor-parallel all-reduces.")
    itl: Quantity = Field(description="Inter-token latency (s): one decode step at the full "
                                      "context, plus its all-reduces.")
    kv_cache_size: Quantity = Field(description="KV cache of the whole batch at seq_len (B), "
                                                "before it is split over the GPUs.")
    model_weights_size: Quantity = Field(description="Weights at the serving precision (B), all "
                                                     "GPUs together.")
    total_memory_required: Quantity = Field(description="Weights, KV cache and activations of "
                                                        "one decode step (B), all GPUs together.")
    memory_per_gpu: Quantity = Field(description="What one GPU holds (B): its share of the "
                                                 "weights and of the KV cache.")
    memory_utilization: float = Field(description="memory_per_gpu / the GPU's capacity; above 1 "
                                                  "does not fit.")
    feasible: bool = Field(description="Whether memory_per_gpu fits in one GPU's memory.")
    decode_throughput: Quantity = Field(description="Tokens per second while decoding "
                                                    "(token/s): batch_size / itl.")
    tp_size: int = Field(description="Tensor-parallel GPUs the model is split over.")


class ServingModel(ForwardModel):
    """Prefill and decode of a decoder language model on ``tp_size`` GPUs of one node."""

    name = "ServingModel"

    def solve(self, model: Any, hardware: Any, seq_len: int, batch_size: int = 1,
              precision: str = "fp16", efficiency: float | None = None, tp_size: int = 1, *,
              memory_efficiency: float | None = None) -> ServingResult:
        """TTFT, ITL, KV cache and memory fit of serving ``batch_size`` requests of ``seq_len``.

        Prefill runs the whole prompt (``batch_size`` x ``seq_len`` tokens) through the roofline;
        decode is one step at context ``seq_len``. Under tensor parallelism each GPU holds 1/t of
        the weights and does 1/t of the math, holds 1/min(t, n_kv) of the KV cache (heads are
        replicated past n_kv), and each layer adds two ring all-reduces of the activations over
        the chip's scale-up link at its fabric's latency::

            TTFT = max(F_prefill / (t eta P), (W / t + KV / min(t, n_kv)) / (eta_mem BW)) + T_ar
            ITL  = max(F_step / (t eta P), bytes_step per GPU / (eta_mem BW)) + T_ar
            KV   = 2 x layers x n_kv x head_dim x bytes x seq_len x batch_size

        Args:
            model: A decoder language model (a ``Models`` entry or its name, "Llama3_70B").
            hardware: The GPU (a ``Hardware`` entry or its name, "H100").
            seq_len: Prompt plus context tokens per request, at most the model's context.
            batch_size: Concurrent requests (whole number >= 1).
            precision: Weights and math precision the chip lists a peak for ("fp16", "fp8"),
                or a weight-only pair ("w4a16": int4 weights, fp16 math and KV cache).
            efficiency: Share of peak compute in (0, 1]; None takes the calibrated prefill and
                decode values (``Literature.Calibration``), cited in the trace.
            tp_size: Tensor-parallel GPUs of one node; must divide the attention heads.
            memory_efficiency: Share of peak memory bandwidth in (0, 1]; None as above.

        Returns:
            ServingResult: ``ttft``, ``itl``, KV cache and memory per GPU, ``feasible``, the
            decode throughput and the constraint trace.

        Raises:
            InputError: a model that is not a decoder, a value out of range, a ``tp_size``
                that leaves the node or splits the heads unevenly.
        """
        from ..units import Quantity as Q

        # Resolution and every check of model, chip, precision and tp, done once for all phases.
        costs = PhaseCosts(model, hardware, precision, efficiency, tp_size,
                           memory_efficiency=memory_efficiency, solver=self.name)
        model, w, chip, tp = costs.model, costs.w, costs.chip, costs.tp
        seq = check_context(check_count(seq_len, "seq_len"), w)
        batch = check_count(batch_size)
        (eta_p, eta_d), (eta_pm, eta_dm) = (costs.eta_p, costs.eta_d), (costs.eta_pm, costs.eta_dm)
        cited, peak, rate_unit = costs.cited, costs.peak, costs.rate_unit
        weight_b, act_b, bandwidth = costs.weight_bytes, costs.act_bytes, costs.bandwidth

        # Prefill: the prompt of every request at once.
        tokens = batch * seq
        prefill_flops = sequence_flops(w, tokens, seq)
        kv_per_token, kv_shards, weights = costs.kv_per_token, costs.kv_shards, costs.weights
        kv_total = transformer.kv_cache_size(kv_per_token, seq, batch)
        prefill_traffic = weights / tp + kv_total / kv_shards
        comm_bw = chip.scale_up_bandwidth
        comm_lat, lat_note = costs.comm_latency, costs.latency_note
        prefill_comm = 0.0
        decode_comm = 0.0
        if tp > 1:
            per_layer = TP_ALLREDUCES_PER_LAYER * w.layers
            prefill_comm = per_layer * communication.ring_allreduce_time(
                tokens * w.hidden_dim * act_b, tp, comm_bw, comm_lat)
            decode_comm = per_layer * communication.ring_allreduce_time(
                batch * w.hidden_dim * act_b, tp, comm_bw, comm_lat)
        t_prefill_compute = roofline.compute_time(prefill_flops / tp, peak, eta_p)
        t_prefill_memory = roofline.memory_time(prefill_traffic, bandwidth * eta_pm)
        ttft = float(roofline.roofline_time(t_prefill_compute, t_prefill_memory)) + prefill_comm

        # Decode: one step at the full context.
        flops, traffic, footprint = pass_cost(
            w, batch=batch, seq_len=seq, weight_bytes=weight_b, act_bytes=act_b,
            optimizer_bytes=0.0, training=False)
        traffic_gpu = (traffic - kv_total) / tp + kv_total / kv_shards
        t_dec_compute = roofline.compute_time(flops / tp, peak, eta_d)
        t_dec_memory = roofline.memory_time(traffic_gpu, bandwidth * eta_dm)
        itl = float(roofline.roofline_time(t_dec_compute, t_dec_memory)) + decode_comm

        per_gpu = (footprint - kv_total) / tp + kv_total / kv_shards
        feasible = per_gpu <= chip.capacity
        trace = [
            *cited,
            *([weight_only_note(precision)] if weight_b != bytes_per_value(math_format(precision))
              else []),
            f"Prefill: {si(prefill_flops, 'FLOP')} over {tp} GPU(s) at {eta_p:.0%} of "
            f"{si(peak, rate_unit)} -> {si(t_prefill_compute, 's')} compute, "
            f"{si(t_prefill_memory, 's')} memory"
            + (f", + {si(prefill_comm, 's')} tensor-parallel all-reduce" if tp > 1 else "")
            + f" => TTFT {si(ttft, 's')}",
            f"Decode step: reads {si(traffic_gpu, 'B')} per GPU at {si(bandwidth * eta_dm, 'B/s')}"
            f" ({eta_dm:.0%} of peak) -> "
            f"{si(t_dec_memory, 's')}; compute {si(t_dec_compute, 's')}"
            + (f"; + {si(decode_comm, 's')} all-reduce" if tp > 1 else "")
            + f" => ITL {si(itl, 's')} ({'memory' if t_dec_memory >= t_dec_compute else 'compute'}"
            f"-bound)",
            f"KV cache: {si(kv_per_token, 'B')} per token ({model.attention_kind.upper()}) x "
            f"{seq} tokens x {batch} requests = {si(kv_total, 'B')}",
            ("Memory fits: " if feasible else "Memory wall: ")
            + f"needs {si(per_gpu, 'B')} per GPU (weights {si(weights / tp, 'B')} + KV cache "
            f"{si(kv_total / kv_shards, 'B')}"
            + (f", split {kv_shards} ways: {w.kv_heads} KV head(s) for {tp} GPUs"
               if tp > kv_shards else "")
            + f"), has {si(chip.capacity, 'B')}",
        ]
        if lat_note:
            trace.append(lat_note)
        if math.isnan(chip.bandwidth):
            trace.append(f"The Zoo has no memory bandwidth for {chip.name}: memory time is not "
                         "modeled (compute-only roofline), so ITL is a lower bound")
        trace.append(binding_line("memory", "weights and KV cache do not fit") if not feasible
                     else binding_line("serving", "prefill sets TTFT, "
                                       f"{'memory' if t_dec_memory >= t_dec_compute else 'compute'}"
                                       "-bound decode sets ITL"))
        return ServingResult(
            ttft=Q(ttft, "s"), itl=Q(itl, "s"), kv_cache_size=Q(kv_total, "B"),
            model_weights_size=Q(weights, "B"), total_memory_required=Q(footprint, "B"),
            memory_per_gpu=Q(per_gpu, "B"), memory_utilization=per_gpu / chip.capacity,
            feasible=bool(feasible), decode_throughput=Q(batch / itl, "token/s"), tp_size=tp,
            constraint_trace=tuple(trace))


def _efficiencies(efficiency, memory_efficiency, precision: str):
    """((prefill, decode) compute efficiency, (prefill, decode) memory efficiency, trace lines).

    None takes the calibrated class value from the Zoo (for ``precision``'s math format) and
    cites it; a number is checked and used for both phases."""
    from ..engine import calibration

    cited = []
    compute, memory = [], []
    for cls in ("prefill", "decode"):
        eta, eta_mem = calibration.efficiency_for(cls, precision)
        compute.append(eta if efficiency is None else None)
        memory.append(eta_mem if memory_efficiency is None else None)
        if efficiency is None or memory_efficiency is None:
            parts = list(calibration.cited(cls, efficiency is None, memory_efficiency is None,
                                           precision))
            if efficiency is not None:
                parts.insert(0, "compute as given")
            if memory_efficiency is not None:
                parts.append("memory as given")
            cited.append(f"Efficiency ({cls}): " + ", ".join(parts))
    if efficiency is not None:
        compute = [check_fraction(efficiency, "efficiency")] * 2
    if memory_efficiency is not None:
        memory = [check_fraction(memory_efficiency, "memory_efficiency")] * 2
    return tuple(compute), tuple(memory), cited


def _scale_up_latency(node) -> tuple[float, str]:
    """(one-hop latency in s, trace note) of the scale-up fabric of ``node`` (count, path)."""
    fabric = None
    if node is not None:
        ref = getattr(resolve_entry(node[1], "Systems", "node"), "scale_up_fabric", None)
        fabric = resolve_entry(ref, "Systems", "fabric") if ref else None
    if fabric is not None and fabric.latency is not None:
        return float(fabric.latency.m_as("s")), ""
    name = fabric.name if fabric is not None else "the scale-up link"
    return 0.0, (f"The Zoo lists no latency for {name}: the tensor-parallel all-reduces are "
                 "bandwidth terms only, a lower bound")


class StepTime:
    """One engine iteration's cost on each GPU of a tensor-parallel group (seconds): its
    compute term, its memory term, the tensor-parallel all-reduces, and the total
    ``max(compute, memory) + comm``."""

    __slots__ = ("compute", "memory", "comm", "total")

    def __init__(self, compute: float, memory: float, comm: float):
        self.compute, self.memory, self.comm = float(compute), float(memory), float(comm)
        self.total = float(roofline.roofline_time(self.compute, self.memory)) + self.comm

    def __repr__(self) -> str:
        return (f"StepTime(compute={self.compute:.4g} s, memory={self.memory:.4g} s, "
                f"comm={self.comm:.4g} s, total={self.total:.4g} s)")


class PhaseCosts:
    """ServingModel's per-phase step costs for one (model, hardware, precision, tp_size,
    efficiencies), resolved and checked once: ``prefill(tokens, prior)`` — a prompt chunk of
    ``tokens`` queries after ``prior`` tokens already in the KV cache — ``decode(batch,
    context)`` — one decode step of ``batch`` requests at ``context`` — and ``mixed`` — both in
    one iteration (chunked prefill, Agrawal et al., "Sarathi-Serve", OSDI 2024).

    The formulas are ServingModel.solve's, so ``prefill(seq_len, 0)`` is its TTFT at batch 1
    and ``decode(batch, seq_len)`` its ITL. In a mixed iteration the weights are streamed once,
    each phase's math runs at its own calibrated efficiency, and the bytes of a step that
    carries a prefill chunk (weights and the chunk's KV) stream at the prefill's memory
    efficiency, the decode requests' KV at the decode's::

        compute = F_chunk / (t eta_p P) + F_decode / (t eta_d P)
        memory  = (W / t + KV_chunk / s) / (eta_pm BW) + KV_decode / (s eta_dm BW)
        comm    = 2 L x all-reduce of (batch + tokens) x hidden x bytes over t GPUs
        F_chunk = F_token x c + attention scores at context prior + c / 2

    with s = min(t, n_kv) the ways the KV cache splits and KV_chunk the cache the chunk reads
    and writes, (prior + c) tokens.
    """

    def __init__(self, model: Any, hardware: Any, precision: str = "fp16",
                 efficiency: float | None = None, tp_size: int = 1, *,
                 memory_efficiency: float | None = None, solver: str = "PhaseCosts"):
        """``solver`` names the caller in the error for a model that is not a decoder."""
        self.model = model = resolve_entry(model, "Models", "model")
        self.w = w = workload_figures(model)
        if w.kind != "decoder":
            raise InputError(f"{solver} models autoregressive decoding; {w.name} is not a "
                             "decoder language model. Use Engine.solve for it",
                             name="model", value=w.path)
        self.chip = chip = chip_figures(resolve_entry(hardware, "Hardware", "hardware"))
        self.tp = tp = check_count(tp_size, "tp_size")
        self.peak, self.rate_unit = peak_for(chip, precision)
        (self.eta_p, self.eta_d), (self.eta_pm, self.eta_dm), self.cited = \
            _efficiencies(efficiency, memory_efficiency, precision)
        if tp > 1 and math.isnan(chip.scale_up_bandwidth):
            raise InputError(f"tp_size={tp} needs a scale-up link between GPUs, and {chip.name} "
                             "lists none; use tp_size=1", name="tp_size", value=tp)
        node = largest_node(chip.path) if tp > 1 else None
        check_tensor_parallel(tp, w, per_node=node[0] if node else None,
                              node=f"{node[1]}, the largest {chip.name} node in the Zoo"
                              if node else "")
        self.weight_bytes = bytes_per_value(precision)
        self.act_bytes = activation_bytes(precision)
        self.bandwidth = modeled_bandwidth(chip.bandwidth)
        self.kv_per_token = w.kv_values_per_token * self.act_bytes
        self.kv_shards = transformer.kv_cache_shards(tp, w.kv_heads)
        self.weights = w.parameters * self.weight_bytes
        self.comm_latency, self.latency_note = _scale_up_latency(node) if tp > 1 else (0.0, "")

    def _allreduces(self, tokens: float) -> float:
        if self.tp == 1 or tokens == 0:
            return 0.0
        return TP_ALLREDUCES_PER_LAYER * self.w.layers * communication.ring_allreduce_time(
            tokens * self.w.hidden_dim * self.act_bytes, self.tp, self.chip.scale_up_bandwidth,
            self.comm_latency)

    def mixed(self, batch: int, context: float, tokens: int, prior: float) -> StepTime:
        """One iteration with ``batch`` decode requests at ``context`` and a prefill chunk of
        ``tokens`` queries after ``prior`` cached tokens (either part may be 0)."""
        w, tp = self.w, self.tp
        compute = memory_chunk = memory_decode = 0.0
        weights_read = 0.0
        if tokens > 0:
            flops = forward_flops(w, tokens, prior + transformer.causal_mean_context(tokens))
            compute += roofline.compute_time(flops / tp, self.peak, self.eta_p)
            kv = transformer.kv_cache_size(self.kv_per_token, prior + tokens, 1)
            memory_chunk = roofline.memory_time(self.weights / tp + kv / self.kv_shards,
                                                self.bandwidth * self.eta_pm)
        if batch > 0:
            flops, traffic, _ = pass_cost(
                w, batch=batch, seq_len=context, weight_bytes=self.weight_bytes,
                act_bytes=self.act_bytes, optimizer_bytes=0.0, training=False)
            kv = transformer.kv_cache_size(self.kv_per_token, context, batch)
            compute += roofline.compute_time(flops / tp, self.peak, self.eta_d)
            weights_read = 0.0 if tokens > 0 else (traffic - kv) / tp
            memory_decode = roofline.memory_time(weights_read + kv / self.kv_shards,
                                                 self.bandwidth * self.eta_dm)
        return StepTime(compute, memory_chunk + memory_decode, self._allreduces(batch + tokens))

    def prefill(self, tokens: int, prior: float = 0) -> StepTime:
        """A prompt chunk of ``tokens`` queries after ``prior`` cached tokens, alone."""
        return self.mixed(0, 0, tokens, prior)

    def decode(self, batch: int, context: float) -> StepTime:
        """One decode step of ``batch`` requests at ``context`` tokens, alone."""
        return self.mixed(batch, context, 0, 0)
