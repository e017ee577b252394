"""Workload schemas. FLOPs count 2 per multiply-accumulate everywhere."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry


class TransformerWorkload(ZooEntry):
    """A decoder or encoder transformer language model, dense or mixture-of-experts."""

    architecture: Literal["decoder", "encoder", "encoder_decoder"] = Field(
        default="decoder", description="Decoder-only (GPT, Llama), encoder-only (BERT) or both (T5).")
    family: str | None = Field(default=None, description="Model family, e.g. Llama 3.")
    release_year: int | None = Field(default=None, ge=2010, le=2100, description="Year of release.")
    parameters: quantity_type(DIMENSIONS["params"]) = Field(description="Total parameter count.")
    layers: int = Field(ge=1, description="Transformer blocks.")
    hidden_dim: int = Field(ge=1, description="Model (residual stream) width, d_model.")
    heads: int = Field(ge=1, description="Attention (query) heads per layer.")
    kv_heads: int | None = Field(default=None, ge=1,
                                 description="Key/value heads (fewer than heads under GQA/MQA).")
    head_dim: int | None = Field(default=None, ge=1, description="Width of one attention head.")
    ffn_dim: int | None = Field(default=None, ge=1, description="Feed-forward inner width.")
    vocab_size: int | None = Field(default=None, ge=1, description="Tokenizer vocabulary size.")
    tied_embeddings: bool | None = Field(
        default=None, description="Whether the output projection reuses the input embedding "
        "matrix (None: not stated; the engine then counts 2 FLOPs for every parameter).")
    context_length: int | None = Field(default=None, ge=1, description="Maximum context in tokens.")
    flops_per_token: quantity_type(DIMENSIONS["flops_per_token"]) = Field(
        description="Forward-pass FLOPs per token (2 per multiply-accumulate).")
    experts: int | None = Field(default=None, ge=2,
                                description="Routed experts per MoE layer (None for a dense model).")
    active_experts: int | None = Field(default=None, ge=1,
                                       description="Routed experts each token visits (top-k).")
    shared_experts: int | None = Field(default=None, ge=0,
                                       description="Experts every token visits in addition.")
    active_parameters: quantity_type(DIMENSIONS["params"]) | None = Field(
        default=None, description="Parameters used per token (MoE); equals parameters when dense.")
    kv_lora_rank: int | None = Field(
        default=None, ge=1,
        description="Multi-head latent attention: width of the compressed KV latent cached per token.")
    rope_head_dim: int | None = Field(
        default=None, ge=1,
        description="Multi-head latent attention: decoupled RoPE key width cached per token.")
    training_tokens: quantity_type(DIMENSIONS["tokens"]) | None = Field(
        default=None, description="Tokens seen in pre-training.")
    training_compute: quantity_type(DIMENSIONS["flops"]) | None = Field(
        default=None, description="Total pre-training compute.")

    @model_validator(mode="after")
    def _heads_consistent(self) -> "TransformerWorkload":
        if self.kv_heads is not None:
            if self.kv_heads > self.heads:
                raise ValueError(f"kv_heads ({self.kv_heads}) exceeds heads ({self.heads})")
            if self.heads % self.kv_heads:
                raise ValueError(f"heads ({self.heads}) is not a multiple of kv_heads "
                                 f"({self.kv_heads}); grouped-query attention needs it to be")
        if (self.experts is None) != (self.active_experts is None):
            raise ValueError("give experts and active_experts together (a mixture-of-experts model "
                             "needs both) or neither (a dense model)")
        if self.experts is not None and self.active_experts > self.experts:
            raise ValueError(f"active_experts ({self.active_experts}) exceeds experts "
                             f"({self.experts})")
        if self.active_parameters is not None and self.active_parameters > self.parameters:
            raise ValueError(f"active_parameters ({self.active_parameters:~}) exceeds parameters "
                             f"({self.parameters:~})")
        if (self.kv_lora_rank is None) != (self.rope_head_dim is None):
            raise ValueError("multi-head latent attention needs kv_lora_rank and rope_head_dim "
                             "together")
        return self

    @property
    def is_moe(self) -> bool:
        return self.experts is not None

    @property
    def attention_kind(self) -> str:
        """"mla", "mqa", "gqa" or "mha": decides how big the KV cache is."""
        if self.kv_lora_rank is not None:
            return "mla"
        kv = self.kv_heads or self.heads
        if kv == self.heads:
            return "mha"
        return "mqa" if kv == 1 else "gqa"


class VisionWorkload(ZooEntry):
    """A per-sample model: CNN, vision transformer, detector, or a tiny audio/sensor model."""

    architecture: Literal["cnn", "vit", "detector", "mlp", "autoencoder"] = Field(
        default="cnn", description="Network family: cnn, vit (vision transformer), detector, "
                                   "mlp or autoencoder.")
    task: str | None = Field(default=None, description="What it does, e.g. image classification.")
    family: str | None = Field(default=None, description="Model family, e.g. ResNet.")
    release_year: int | None = Field(default=None, ge=1980, le=2100, description="Year of release.")
    parameters: quantity_type(DIMENSIONS["params"]) = Field(description="Total parameter count.")
    layers: int | None = Field(default=None, ge=1,
                               description="Weighted layers (convolutional and fully connected).")
    input_resolution: int | None = Field(default=None, ge=1,
                                         description="Side of the square input image, in pixels.")
    input_shape: list[int] | None = Field(
        default=None, description="Input tensor shape when not a square image, e.g. [49, 10] MFCCs.")
    flops_per_sample: quantity_type(DIMENSIONS["flops_per_sample"]) = Field(
        description="Forward-pass FLOPs per sample (2 per multiply-accumulate).")

    @model_validator(mode="after")
    def _input_given(self) -> "VisionWorkload":
        if self.input_shape is not None and any(side < 1 for side in self.input_shape):
            raise ValueError(f"input_shape {self.input_shape} has a side below 1")
        return self


#: The earlier name, kept so existing imports work.
CNNWorkload = VisionWorkload


class RecommendationWorkload(ZooEntry):
    """A deep learning recommendation model: embedding tables plus MLPs."""

    family: str | None = Field(default=None, description="Model family, e.g. DLRM.")
    release_year: int | None = Field(default=None, ge=2000, le=2100, description="Year of release.")
    parameters: quantity_type(DIMENSIONS["params"]) = Field(description="Total parameter count.")
    embedding_tables: int | None = Field(default=None, ge=1, description="Sparse feature tables.")
    embedding_dim: int | None = Field(default=None, ge=1, description="Width of one embedding row.")
    dense_features: int | None = Field(default=None, ge=0, description="Dense input features.")
    flops_per_sample: quantity_type(DIMENSIONS["flops_per_sample"]) = Field(
        description="Forward-pass FLOPs per sample (2 per multiply-accumulate).")
    embedding_parameters: quantity_type(DIMENSIONS["params"]) | None = Field(
        default=None, description="Parameters held in the embedding tables (rows x "
                                  "embedding_dim summed over the tables); the rest are dense.")
    lookups_per_table: list[int] | None = Field(
        default=None, description="Rows each sample looks up in each embedding table, in table "
                                  "order: 1 for a one-hot feature, the multi-hot size otherwise.")

    @model_validator(mode="after")
    def _embeddings_consistent(self) -> "RecommendationWorkload":
        lookups = self.lookups_per_table
        if lookups is not None:
            if any(count < 1 for count in lookups):
                raise ValueError(f"lookups_per_table {lookups} has a count below 1; every "
                                 "table is looked up at least once per sample (1 for a one-hot "
                                 "feature)")
            if self.embedding_tables is not None and len(lookups) != self.embedding_tables:
                raise ValueError(f"lookups_per_table lists {len(lookups)} tables but "
                                 f"embedding_tables is {self.embedding_tables}; give one count "
                                 "per table")
        if self.embedding_parameters is not None and \
                self.embedding_parameters > self.parameters:
            raise ValueError(f"embedding_parameters {self.embedding_parameters:~} exceed "
                             f"parameters {self.parameters:~}; the tables are part of the "
                             "total: give their rows x embedding_dim, at most parameters")
        return self


def transformer_parameter_count(*, layers: int, hidden_dim: int, heads: int, kv_heads: int,
                                ffn_dim: int, vocab_size: int, gated_ffn: bool = True,
                                tied_embeddings: bool = False, norm_weights_per_layer: int = 2,
                                biases: bool = False, position_embeddings: int = 0,
                                final_norm_weights: int = 1) -> int:
    """Parameters of a pre-norm decoder: Llama-style by default, GPT-2-style with options.

    Per layer: attention ``d*d`` (Q) + ``2*d*kv*hd`` (K, V) + ``d*d`` (O), with
    ``hd = d / heads``; the feed-forward has 3 matrices ``d*f`` when gated
    (SwiGLU) or 2 otherwise; ``norm_weights_per_layer`` norm vectors of width
    ``d`` (2 RMSNorm weights; 4 for two LayerNorms with weight and bias). With
    ``biases``, every projection has one: Q, K, V ``d + 2*kv*hd``, O ``d``, the
    feed-forward ``f + d`` (``2f + d`` gated). Plus the token embedding ``V*d``,
    an output projection ``V*d`` unless tied, ``position_embeddings`` learned
    positions ``P*d``, and ``final_norm_weights`` final norm vectors ``d``.

    GPT-2 XL (48 layers, d 1600, 25 heads, f 6400, V 50257, P 1024, tied, biases,
    LayerNorm: 4 and 2 vectors) gives 1,557,611,200.
    """
    head_dim = hidden_dim // heads
    attention = 2 * hidden_dim * hidden_dim + 2 * hidden_dim * kv_heads * head_dim
    ffn = (3 if gated_ffn else 2) * hidden_dim * ffn_dim
    per_layer = attention + ffn + norm_weights_per_layer * hidden_dim
    if biases:
        per_layer += (hidden_dim + 2 * kv_heads * head_dim) + hidden_dim \
            + (2 if gated_ffn else 1) * ffn_dim + hidden_dim
    embeddings = vocab_size * hidden_dim * (1 if tied_embeddings else 2)
    return layers * per_layer + embeddings + position_embeddings * hidden_dim \
        + final_norm_weights * hidden_dim
