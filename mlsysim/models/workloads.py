"""Workload schemas. FLOPs count 2 per multiply-accumulate everywhere."""

from __future__ import annotations

from pydantic import Field, model_validator

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry


class TransformerWorkload(ZooEntry):
    """A decoder or encoder transformer language model."""

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
    context_length: int | None = Field(default=None, ge=1, description="Maximum context in tokens.")
    flops_per_token: quantity_type(DIMENSIONS["flops_per_token"]) = Field(
        description="Forward-pass FLOPs per token (2 per multiply-accumulate).")
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
        return self


class CNNWorkload(ZooEntry):
    """A convolutional vision model."""

    family: str | None = Field(default=None, description="Model family, e.g. ResNet.")
    release_year: int | None = Field(default=None, ge=1980, le=2100, description="Year of release.")
    parameters: quantity_type(DIMENSIONS["params"]) = Field(description="Total parameter count.")
    layers: int = Field(ge=1, description="Weighted layers (convolutional and fully connected).")
    input_resolution: int = Field(ge=1, description="Side of the square input image, in pixels.")
    flops_per_sample: quantity_type(DIMENSIONS["flops_per_sample"]) = Field(
        description="Forward-pass FLOPs per image (2 per multiply-accumulate).")


def transformer_parameter_count(*, layers: int, hidden_dim: int, heads: int, kv_heads: int,
                                ffn_dim: int, vocab_size: int, gated_ffn: bool = True,
                                tied_embeddings: bool = False, norm_weights_per_layer: int = 2) -> int:
    """Parameters of a pre-norm decoder without biases (Llama-style).

    Per layer: attention ``d*d`` (Q) + ``2*d*kv*hd`` (K, V) + ``d*d`` (O), with
    ``hd = d / heads``; the feed-forward has 3 matrices ``d*f`` when gated
    (SwiGLU) or 2 otherwise; ``norm_weights_per_layer`` RMSNorm vectors of
    width ``d``. Plus the token embedding ``V*d``, an output projection
    ``V*d`` unless tied, and a final norm ``d``.
    """
    head_dim = hidden_dim // heads
    attention = 2 * hidden_dim * hidden_dim + 2 * hidden_dim * kv_heads * head_dim
    ffn = (3 if gated_ffn else 2) * hidden_dim * ffn_dim
    per_layer = attention + ffn + norm_weights_per_layer * hidden_dim
    embeddings = vocab_size * hidden_dim * (1 if tied_embeddings else 2)
    return layers * per_layer + embeddings + hidden_dim
