"""The fidelity wall's cost side: what weight-only quantization and structured pruning save.

The compressed model is served by :class:`ServingModel` itself: it is handed a copy of the
workload whose stored weights take the compressed number of bytes at the serving precision
(parameters scaled by (1 - s) b / b_0) and whose matmul FLOPs shrink only with pruning
((1 - s); weight-only quantization dequantizes to the serving precision and computes there).
Accuracy is not modelled: the Zoo holds no sourced accuracy-loss range for these methods, so
the result says so instead of guessing one.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_share, resolve_entry
from ..engine.figures import workload_figures
from ..engine.precision import bytes_per_value
from ..errors import InputError
from ..formatting import number, si
from .base import ForwardModel, Quantity, SolverResult
from .serving import ServingModel

#: Bits in a byte.
BITS_PER_BYTE = 8

#: What the result and trace say about accuracy, which this solver does not predict.
ACCURACY_NOT_MODELLED = ("not modelled: the Zoo holds no sourced accuracy-loss range for "
                         "weight-only quantization or pruning; measure the compressed model "
                         "on your task")


class CompressionResult(SolverResult):
    """Memory and decode speed of a model after weight-only quantization and pruning."""

    solver = "CompressionModel"

    weights_size: Quantity = Field(description="Stored weights after compression (B), all GPUs "
                                               "together; group scales and sparse indices not "
                                               "counted.")
    baseline_weights_size: Quantity = Field(description="Weights at the serving precision, "
                                                        "uncompressed (B).")
    compression_ratio: float = Field(description="baseline_weights_size / weights_size.")
    memory_per_gpu: Quantity = Field(description="Compressed weights plus KV cache per GPU (B), "
                                                 "ServingModel's.")
    feasible: bool = Field(description="Whether the compressed model and its KV cache fit one "
                                       "GPU's memory.")
    baseline_feasible: bool = Field(description="Whether the uncompressed model fits.")
    itl: Quantity = Field(description="Inter-token latency of the compressed model (s).")
    baseline_itl: Quantity = Field(description="Inter-token latency uncompressed (s).")
    decode_speedup: float = Field(description="baseline_itl / itl: the decode speed-up from "
                                              "moving fewer weight bytes.")
    ttft: Quantity = Field(description="Time to first token of the compressed model (s).")
    baseline_ttft: Quantity = Field(description="Time to first token uncompressed (s).")
    accuracy: str = Field(description="What the solver says about accuracy: not modelled, and "
                                      "why.")


class CompressionModel(ForwardModel):
    """Weight-only quantization and structured pruning: memory, decode speed-up, fit."""

    name = "CompressionModel"

    def solve(self, model: Any, hardware: Any, seq_len: int, weight_bits: int = 4,
              sparsity: float = 0.0, batch_size: int = 1, precision: str = "fp16",
              efficiency: float | None = None, tp_size: int = 1, *,
              memory_efficiency: float | None = None) -> CompressionResult:
        """Serve ``model`` with its weights stored in ``weight_bits`` bits and a share
        ``sparsity`` of them pruned (structured: whole rows or channels, so dense kernels run
        the smaller matrices), computing at ``precision`` (b_0 bits per value)::

            W_c       = N (1 - s) b / 8            (stored weight bytes)
            ratio     = b_0 / (b (1 - s))
            speed-up  = ITL(baseline) / ITL(compressed)   (both from ServingModel)

        Decode is memory-bound at small batch, so the speed-up approaches the ratio of bytes
        moved per step (weights plus the KV cache, which compression leaves alone); pruning
        also cuts the matmul FLOPs by (1 - s). Dequantization cost, group scales and sparse
        index metadata are not counted, so the speed-up is an upper bound. Accuracy is not
        predicted (the result's ``accuracy`` says why).

        Args:
            model: A decoder language model (a ``Models`` entry or its name).
            hardware: The GPU (a ``Hardware`` entry or its name).
            seq_len: Context tokens per request.
            weight_bits: Bits per stored weight, 1 to the serving precision's bits (4 = W4A16
                at fp16).
            sparsity: Share of weights pruned, in [0, 1).
            batch_size: Concurrent requests.
            precision: The serving precision the math, activations and KV cache run at.
            efficiency: Share of peak compute; None takes the calibrated values, as
                ServingModel.
            tp_size: Tensor-parallel GPUs of one node.
            memory_efficiency: Share of peak memory bandwidth; None as ServingModel.

        Returns:
            CompressionResult: compressed and baseline weights, memory per GPU and fit, ITL,
            TTFT, the decode speed-up and the trace.

        Raises:
            InputError: weight_bits above the serving precision's bits, a sparsity outside
                [0, 1), a model that is not a decoder.
        """
        entry = resolve_entry(model, "Models", "model")
        w = workload_figures(entry)
        if w.kind != "decoder":
            raise InputError(f"CompressionModel serves autoregressive decoders; {w.name} is not "
                             "a decoder language model", name="model", value=w.path)
        base_bits = round(bytes_per_value(precision) * BITS_PER_BYTE)
        bits = check_count(weight_bits, "weight_bits")
        if bits > base_bits:
            raise InputError(f"weight_bits must be at most {base_bits}, the bits of the serving "
                             f"precision {precision}, got {bits}; quantize to fewer bits or "
                             "serve at a wider precision", name="weight_bits", value=bits)
        s = check_share(sparsity, "sparsity", "the share of weights pruned", "0.5")
        if s == 1:
            raise InputError("sparsity must be below 1, got 1: pruning every weight leaves no "
                             "model; e.g. sparsity=0.5", name="sparsity", value=sparsity)
        kept = 1 - s
        scale = kept * bits / base_bits
        compressed = entry.model_copy(update={
            "parameters": entry.parameters * scale,
            "active_parameters": (entry.active_parameters * scale
                                  if entry.active_parameters is not None else None),
            "flops_per_token": entry.flops_per_token * kept})
        serve = functools.partial(ServingModel().solve, hardware=hardware, seq_len=seq_len,
                                  batch_size=batch_size, precision=precision,
                                  efficiency=efficiency, tp_size=tp_size,
                                  memory_efficiency=memory_efficiency)
        base = serve(entry)
        comp = serve(compressed)
        base_w = float(base.model_weights_size.m_as("B"))
        comp_w = float(comp.model_weights_size.m_as("B"))
        speedup = float(base.itl.m_as("s") / comp.itl.m_as("s"))
        trace = [line for line in base.constraint_trace if line.startswith(("Efficiency",
                                                                           "The Zoo"))]
        trace.append(f"Weights: {number(w.parameters)} parameters x (1 - {number(s)}) kept x "
                     f"{bits} bits = {si(comp_w, 'B')} (from {si(base_w, 'B')} at {precision}, "
                     f"{number(base_w / comp_w)}x smaller); group scales and sparse indices "
                     "not counted")
        trace.append(f"Decode (ServingModel, batch {batch_size}, context "
                     f"{seq_len}): ITL {si(base.itl.m_as('s'), 's')} -> "
                     f"{si(comp.itl.m_as('s'), 's')}, {number(speedup)}x faster (upper bound: "
                     "dequantization not counted); TTFT "
                     f"{si(base.ttft.m_as('s'), 's')} -> {si(comp.ttft.m_as('s'), 's')}")
        fits = f"{si(comp.memory_per_gpu.m_as('B'), 'B')} per GPU"
        if comp.feasible and not base.feasible:
            trace.append(f"Memory wall removed: the uncompressed model needs "
                         f"{si(base.memory_per_gpu.m_as('B'), 'B')} per GPU; compressed {fits}")
        else:
            trace.append(("Memory fits: " if comp.feasible else "Memory wall: ") + fits)
        trace.append(f"Accuracy {ACCURACY_NOT_MODELLED}")
        return CompressionResult(
            weights_size=comp.model_weights_size, baseline_weights_size=base.model_weights_size,
            compression_ratio=base_w / comp_w, memory_per_gpu=comp.memory_per_gpu,
            feasible=bool(comp.feasible), baseline_feasible=bool(base.feasible),
            itl=comp.itl, baseline_itl=base.itl, decode_speedup=speedup, ttft=comp.ttft,
            baseline_ttft=base.ttft, accuracy=ACCURACY_NOT_MODELLED,
            constraint_trace=tuple(trace))
