"""One pass of a workload on one device, as plain arithmetic.

``pass_cost`` is the single source of truth for what a pass costs (FLOPs,
bytes moved, bytes resident). It works elementwise on floats and on NumPy
arrays, so ``Engine.solve`` (floats) and ``Engine.sweep`` (arrays) share it
and give identical results.
"""

from __future__ import annotations

import numpy as np

from ..physics import memory, transformer
from .figures import WorkloadFigures


def forward_flops(w: WorkloadFigures, tokens, context):
    """Forward FLOPs of a transformer over ``tokens`` queries at ``context``: weight matmuls
    (the model's stored FLOPs per token) plus attention scores."""
    return w.flops_per_token * tokens + transformer.attention_score_flops(
        w.layers, context, w.attention_width, tokens)


def sequence_flops(w: WorkloadFigures, tokens, seq_len):
    """Forward FLOPs of ``tokens`` processed as whole sequences of ``seq_len`` (prefill,
    training, encoders): a decoder's causal mask halves the attention-score work
    (``transformer.causal_mean_context``); an encoder attends to all ``seq_len`` keys."""
    context = transformer.causal_mean_context(seq_len) if w.kind == "decoder" else seq_len
    return forward_flops(w, tokens, context)


def pass_rate(w: WorkloadFigures, *, batch, seq_len, latency, training: bool):
    """(rate, unit) of a pass: tokens/s for decode steps and transformer training, else samples/s."""
    if w.kind == "decoder" and not training:
        return batch / latency, "token/s"
    if w.kind != "per_sample" and training:
        return batch * seq_len / latency, "token/s"
    return batch / latency, "sample/s"


def pass_cost(w: WorkloadFigures, *, batch, seq_len, weight_bytes, act_bytes, optimizer_bytes,
              training: bool):
    """(flops, traffic, footprint) of one pass; every argument may be a float or an array.

    * decoder, inference: one decode step; each of ``batch`` sequences adds a token at
      context ``seq_len``. Traffic reads the weights a token batch touches (all of them for
      a dense model; up to ``batch`` x active for a mixture of experts) and the KV cache.
    * decoder or encoder, training: forward and backward over ``batch`` x ``seq_len`` tokens.
    * encoder, inference: a forward pass over ``batch`` x ``seq_len`` tokens.
    * per-sample models: ``batch`` inputs. Traffic streams the weights once and, for a model
      with embedding tables (DLRM), gathers only the rows the samples look up:
      B = (N_dense + batch x lookups x dim) x b + inputs; the whole tables stay resident
      (footprint N x b + inputs). Rows shared by samples of a batch are counted once per
      lookup (no de-duplication), an upper bound on the gathers.
    """
    if w.kind == "decoder" and not training:
        tokens = batch
        flops = forward_flops(w, tokens, seq_len)
        weights_touched = np.minimum(w.parameters, batch * w.active_parameters)
        kv = transformer.kv_cache_size(w.kv_values_per_token * act_bytes, seq_len, batch)
        traffic = memory.weight_memory(weights_touched, weight_bytes) + kv
        footprint = memory.weight_memory(w.parameters, weight_bytes) + kv
        return flops, traffic, footprint
    if w.kind in ("decoder", "encoder"):
        tokens = batch * seq_len
        forward = sequence_flops(w, tokens, seq_len)
        # The residual stream is written and read once per layer.
        stream = 2 * w.layers * tokens * w.hidden_dim * act_bytes
        if not training:
            weights = memory.weight_memory(w.parameters, weight_bytes)
            return forward, weights + stream, weights + tokens * w.hidden_dim * act_bytes
        # FlashAttention (the training stacks' default) keeps no s x s attention scores.
        activations = w.layers * transformer.activation_memory_per_layer(
            seq_len, batch, w.hidden_dim, w.heads, flash_attention=True) * (act_bytes / 2)
        return _training_cost(w, forward, weight_bytes, optimizer_bytes, activations,
                              w.parameters)
    forward = w.flops_per_sample * batch
    inputs = batch * w.input_values * act_bytes
    # Parameters the pass reads: gathered_values is 0 for a model without embedding tables, so
    # this is exactly w.parameters there.
    read = w.streamed_parameters + batch * w.gathered_values
    if not training:
        weights = memory.weight_memory(w.parameters, weight_bytes)
        return forward, memory.weight_memory(read, weight_bytes) + inputs, weights + inputs
    return _training_cost(w, forward, weight_bytes, optimizer_bytes, inputs, read)


def _training_cost(w: WorkloadFigures, forward, weight_bytes, optimizer_bytes, activations,
                   read):
    """Forward and backward: ``read`` is the parameters the step touches (all of them unless
    only embedding rows are gathered); every parameter's training state stays resident."""
    flops = transformer.training_flops(forward)
    state = memory.training_state_memory(w.parameters, weight_bytes, optimizer_bytes)
    # Weights read in forward and backward, gradients written, optimizer state read and
    # written once; activations written in forward and read in backward.
    traffic = 3 * read * weight_bytes + 2 * read * optimizer_bytes + 2 * activations
    return flops, traffic, state + activations
