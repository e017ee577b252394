"""Transformer arithmetic: FLOPs, KV cache and activation memory.

FLOPs count 2 per multiply-accumulate throughout.
"""

from __future__ import annotations


def linear_flops(parameters, tokens):
    """Forward FLOPs of the weight matmuls: F = 2 * N * tokens.

    Kaplan et al., "Scaling Laws for Neural Language Models", 2020, section 2.1.
    """
    return 2 * parameters * tokens


def forward_flops_per_token(parameters, vocab_size, hidden_dim, tied_embeddings):
    """Forward FLOPs per token of the weight matmuls, counted from the architecture.

    F = 2 * N_non-embedding + 2 * V * d: the input embedding is a table lookup (no FLOPs), the
    output projection (unembedding) a V x d matmul (Kaplan et al. 2020, Table 1: "Embed" about
    4 d, "De-embed" 2 d V). With untied embeddings N holds both V x d matrices, so
    F = 2 (N - 2 V d) + 2 V d = 2 N - 2 V d; tied, N holds one and F = 2 N. ``parameters`` are
    the ones a token uses (the active ones of a mixture of experts).
    """
    return 2 * parameters - (0 if tied_embeddings else 2 * vocab_size * hidden_dim)


def attention_score_flops(layers, context, attention_width, tokens):
    """Forward FLOPs of QK^T and the weighted sum of V for ``tokens`` queries over ``context`` keys.

    F = 2 (QK^T) * 2 (AV) * L * context * d_attn * tokens = 4 * L * context * d_attn * tokens,
    with d_attn = heads * head_dim (Kaplan et al. 2020, Table 1, "Attention: QK logits").
    """
    return 4 * layers * context * attention_width * tokens


def causal_mean_context(seq_len):
    """Keys a query attends to on average when a causal (decoder) model runs whole sequences.

    Query i of s sees i keys, so the score matmuls cost half of the unmasked s x s: we take
    s / 2 as the convention (Megatron-Bridge/NeMo's model-FLOP count halves causal attention
    the same way; 6 N plus this attention term reproduces its 744 TFLOP/s for 14,451 tokens/s
    of Llama 3 8B at s = 8192 once the input embedding's no-FLOP lookup is left out). Decode
    steps (one query over the whole context) are not halved.
    """
    return seq_len / 2


def training_flops(forward_flops, recompute=False):
    """Forward plus backward: the backward pass costs twice the forward.

    F_train = 3 * F_forward (Kaplan et al. 2020, section 2.1: C = 6 N per token). With full
    activation recomputation the forward runs a second time before the backward:
    F_train = 4 * F_forward, 8 N per token (Narayanan et al., "Efficient Large-Scale Language
    Model Training on GPU Clusters Using Megatron-LM", SC 2021, appendix: "4 forward passes").
    """
    return (4 if recompute else 3) * forward_flops


def kv_cache_per_token(layers, kv_heads, head_dim, bytes_per_value):
    """Bytes of K and V cached per token (multi-head, grouped-query or multi-query attention).

    S = 2 * L * n_kv * d_head * b   (Ainslie et al., "GQA", 2023: n_kv < n_heads shrinks it)
    """
    return 2 * layers * kv_heads * head_dim * bytes_per_value


def mla_cache_per_token(layers, kv_lora_rank, rope_head_dim, bytes_per_value):
    """Bytes cached per token under multi-head latent attention.

    S = L * (d_c + d_rope) * b: one compressed latent and one decoupled RoPE key per layer
    (DeepSeek-AI, "DeepSeek-V2", 2024, section 2.1.2).
    """
    return layers * (kv_lora_rank + rope_head_dim) * bytes_per_value


def kv_cache_shards(tensor_parallel, kv_heads):
    """Ways the KV cache splits under tensor parallelism: min(t, n_kv).

    Each GPU holds the K/V heads of its query heads; with fewer KV heads than GPUs (GQA at large
    t, MQA, or MLA's one shared latent, n_kv = 1) the heads are replicated, so each GPU holds
    S_total / min(t, n_kv) (Pope et al., "Efficiently Scaling Transformer Inference", 2022,
    section 3.3: multiquery attention's cache is replicated across the tensor-parallel chips).
    """
    return min(tensor_parallel, kv_heads) if kv_heads >= 1 else tensor_parallel


def kv_cache_size(per_token, context, batch_size):
    """KV cache of a batch: S_total = S_token * context * batch."""
    return per_token * context * batch_size


def activation_memory_per_layer(seq_len, batch_size, hidden_dim, heads, tensor_parallel=1,
                                recompute=False, flash_attention=False):
    """Activation bytes one transformer layer keeps for backward, 16-bit activations.

    Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models", 2022,
    eq. 2 and section 4: s*b*h*(34 + 5*a*s/h) without parallelism, divided by t under tensor
    parallelism; with full recomputation only the layer input, 2*s*b*h, is kept. The 5*a*s/h
    term is the a x s x s attention scores, softmax and dropout mask; FlashAttention never
    stores them (it recomputes them in the backward pass: Dao et al., "FlashAttention", 2022,
    section 3.1), leaving s*b*h*34 / t.
    """
    if recompute:
        return 2 * seq_len * batch_size * hidden_dim
    scores = 0 if flash_attention else 5 * heads * seq_len / hidden_dim
    return seq_len * batch_size * hidden_dim * (34 + scores) / tensor_parallel
