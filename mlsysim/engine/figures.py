"""Plain-float views of registry entries, built once per entry and cached.

Solvers work on floats in SI units (FLOP/s, B/s, B, W, parameters); pint
stays at the boundary. ``chip_figures`` and ``workload_figures`` convert an
entry once and reuse the result, which is what makes ``Engine.solve`` and
sweeps fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, shown

NAN = math.nan


@dataclass(frozen=True, slots=True)
class ChipFigures:
    """One accelerator as numbers: dense peak per precision (FLOP/s or OP/s), memory, power."""

    name: str
    path: str
    peaks: dict[str, float] = field(default_factory=dict)
    bandwidth: float = NAN     # B/s
    capacity: float = NAN      # B
    tdp: float = NAN           # W
    min_power: float = NAN     # W, the lowest configurable power mode (power.min)
    scale_up_bandwidth: float = NAN  # B/s per direction, per device
    idle_power: float = NAN    # W, the measured draw with no work running (power.idle)


@dataclass(frozen=True, slots=True)
class WorkloadFigures:
    """One model as numbers.

    ``kind`` is "decoder" (autoregressive transformer: a pass is a decode step),
    "encoder" (a pass processes seq_len tokens per sample) or "per_sample"
    (CNN, ViT, DLRM, tiny models: a pass processes one input per sample).
    """

    name: str
    path: str
    kind: str
    parameters: float
    active_parameters: float
    flops_per_token: float = NAN   # forward, weight matmuls only (no input-embedding lookup)
    flops_per_sample: float = NAN  # forward, per-sample models
    layers: int = 0
    hidden_dim: int = 0
    heads: int = 0
    attention_width: float = 0.0   # heads * head_dim
    kv_values_per_token: float = 0.0  # values cached per token across all layers
    kv_heads: int = 0              # K/V heads a tensor-parallel split can shard (1 for MLA, MQA)
    context_length: float = NAN
    input_values: float = 0.0      # values in one input sample (per-sample models)
    # What a per-sample pass reads (Engine pass math): the weights it streams whole and, for a
    # model with embedding tables (DLRM), the table values each sample gathers.
    streamed_parameters: float = NAN  # all parameters but the embedding tables
    gathered_values: float = 0.0   # embedding values looked up per sample: lookups x dim
    embeddings: EmbeddingFigures | None = None  # the tables, for traces and errors


@dataclass(frozen=True, slots=True)
class EmbeddingFigures:
    """A recommendation model's embedding tables as numbers: resident whole, read by row."""

    parameters: float      # values held in the tables (rows x dim summed over the tables)
    lookups: float         # rows one sample looks up, summed over the tables
    dim: int               # values in one row


#: What each idle figure is, by the power field it comes from (said in traces).
IDLE_KINDS = {"idle": "measured idle", "min": "lowest power mode"}


def idle_draw(chip: ChipFigures) -> tuple[float | None, str]:
    """(watts, Zoo path) of the chip's idle draw for the linear power model: the measured idle
    power (``power.idle``) where the Zoo lists one, else the lowest configurable power mode
    (``power.min``), else (None, "") and energy falls back to TDP x time, an upper bound. The
    one place that preference is made (Engine.solve, SustainabilityModel via fleet.idle_power)."""
    if not math.isnan(chip.idle_power):
        return chip.idle_power, f"{chip.path}.power.idle"
    if not math.isnan(chip.min_power):
        return chip.min_power, f"{chip.path}.power.min"
    return None, ""


def idle_kind(path: str) -> str:
    """What the idle figure at ``path`` (from ``idle_draw``) is: 'measured idle' or 'lowest
    power mode'."""
    return IDLE_KINDS[path.rsplit(".", 1)[-1]]


_CHIPS: dict[int, tuple[Any, ChipFigures]] = {}
_WORKLOADS: dict[int, tuple[Any, WorkloadFigures]] = {}


def chip_figures(hardware: Any) -> ChipFigures:
    """The (cached) float view of a HardwareNode."""
    cached = _CHIPS.get(id(hardware))
    if cached is not None and cached[0] is hardware:
        return cached[1]
    from ..hardware.node import HardwareNode

    if not isinstance(hardware, HardwareNode):
        raise InputError(f"hardware must be a Hardware entry or its name (e.g. 'H100'), got "
                         f"{_described(hardware)}", name="hardware", value=hardware)
    peaks = {}
    for precision, row in hardware.compute.peak.items():
        unit = "OP/s" if row.dense.dimensionality != _flop_rate_dim() else "FLOP/s"
        peaks[precision] = float(row.dense.m_as(unit))
    memory = hardware.memory
    link = hardware.interconnect.scale_up
    figures = ChipFigures(
        name=hardware.name, path=hardware.path, peaks=peaks,
        bandwidth=float(memory.bandwidth.m_as("B/s")) if memory.bandwidth is not None else NAN,
        capacity=float(memory.capacity.m_as("B")),
        tdp=float(hardware.power.tdp.m_as("W")) if hardware.power.tdp is not None else NAN,
        min_power=(float(hardware.power.min.m_as("W")) if hardware.power.min is not None
                   else NAN),
        scale_up_bandwidth=float(link.per_direction.m_as("B/s")) if link is not None else NAN,
        idle_power=(float(hardware.power.idle.m_as("W")) if hardware.power.idle is not None
                    else NAN),
    )
    _CHIPS[id(hardware)] = (hardware, figures)
    return figures


def _flops_per_token(model: Any, active: float) -> float:
    """Forward weight-matmul FLOPs per token: from the architecture when the Zoo says whether the
    embeddings are tied (the input lookup costs none, an untied output projection 2 V d;
    ``transformer.forward_flops_per_token``), else the Zoo's ``flops_per_token`` (2 N)."""
    if model.tied_embeddings is None or not model.vocab_size:
        return float(model.flops_per_token.m_as("FLOP/token"))
    from ..physics import transformer

    return float(transformer.forward_flops_per_token(active, model.vocab_size, model.hidden_dim,
                                                     model.tied_embeddings))


def _flop_rate_dim():
    from ..units import DIMENSIONS, dimensionality

    return dimensionality(DIMENSIONS["flop_rate"])


def workload_figures(model: Any) -> WorkloadFigures:
    """The (cached) float view of a workload entry."""
    cached = _WORKLOADS.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    from ..models.workloads import RecommendationWorkload, TransformerWorkload, VisionWorkload

    if isinstance(model, TransformerWorkload):
        params = float(model.parameters.m_as("param"))
        active = (float(model.active_parameters.m_as("param"))
                  if model.active_parameters is not None else params)
        head_dim = model.head_dim or model.hidden_dim // model.heads
        if model.kv_lora_rank is not None:
            kv_values = model.layers * (model.kv_lora_rank + model.rope_head_dim)
            kv_heads = 1  # one latent shared by every head
        else:
            kv_heads = model.kv_heads or model.heads
            kv_values = 2 * model.layers * kv_heads * head_dim
        figures = WorkloadFigures(
            name=model.name, path=model.path,
            kind="encoder" if model.architecture == "encoder" else "decoder",
            parameters=params, active_parameters=active,
            flops_per_token=_flops_per_token(model, active),
            layers=model.layers, hidden_dim=model.hidden_dim, heads=model.heads,
            attention_width=float(model.heads * head_dim), kv_values_per_token=float(kv_values),
            kv_heads=int(kv_heads),
            context_length=float(model.context_length) if model.context_length else NAN,
        )
    elif isinstance(model, (VisionWorkload, RecommendationWorkload)):
        params = float(model.parameters.m_as("param"))
        input_values = 0.0
        if isinstance(model, VisionWorkload):
            if model.input_shape:
                input_values = float(math.prod(model.input_shape))
            elif model.input_resolution:
                input_values = float(3 * model.input_resolution ** 2)  # RGB image
        embeddings = _embedding_figures(model) if isinstance(model, RecommendationWorkload) \
            else None
        figures = WorkloadFigures(
            name=model.name, path=model.path, kind="per_sample", parameters=params,
            active_parameters=params,
            flops_per_sample=float(model.flops_per_sample.m_as("FLOP/sample")),
            input_values=input_values,
            streamed_parameters=params - embeddings.parameters if embeddings else params,
            gathered_values=embeddings.lookups * embeddings.dim if embeddings else 0.0,
            embeddings=embeddings,
        )
    else:
        raise InputError(f"model must be a Models entry or its name (e.g. 'Llama3_8B'), got "
                         f"{_described(model)}", name="model", value=model)
    _WORKLOADS[id(model)] = (model, figures)
    return figures


def _embedding_figures(model: Any) -> EmbeddingFigures | None:
    """The tables of a recommendation model whose entry gives their size, row width and
    lookups per table; else None, and a pass streams every weight (the pre-gather upper bound)."""
    lookups = model.lookups_per_table
    if model.embedding_parameters is None or not model.embedding_dim or not lookups:
        return None
    return EmbeddingFigures(parameters=float(model.embedding_parameters.m_as("param")),
                            lookups=float(sum(lookups)), dim=int(model.embedding_dim))


def _described(value: Any) -> str:
    """What a wrong argument is, for an error: a registry entry by its path, else type and value."""
    path = getattr(value, "path", "")
    if isinstance(path, str) and path:
        return f"{type(value).__name__} {path}"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 192:
        return "a huge int"
    return f"{type(value).__name__} {shown(value)}"
