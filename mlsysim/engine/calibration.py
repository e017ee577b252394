"""The engine's defaults, read from the Zoo group ``Literature.Calibration``.

Every default (efficiency per workload class, the context length used when
none is given) is a sourced registry number, so the site shows where it comes
from. ``mlsysim.engine.calibration.value("DecodeEfficiency")`` returns it as
a :class:`~mlsysim.Sourced`.
"""

from __future__ import annotations

import functools

from ..errors import MlsysimError

GROUP = "Literature.Calibration"

#: Workload class -> the prefix of its two entries ({Prefix}ComputeEfficiency, ...MemoryEfficiency).
WORKLOAD_CLASSES = {"decode": "Decode", "prefill": "Prefill", "training": "Training",
                    "batch_inference": "BatchInference", "single_stream": "SingleStream",
                    "cnn_training": "CnnTraining", "mlperf_server": "MlperfServer",
                    "tiny": "Tiny"}


@functools.lru_cache(maxsize=None)
def value(name: str):
    """The calibration number ``name`` (a Sourced float)."""
    from ..zoo.registry import default_zoo

    group = default_zoo().resolve(GROUP)
    if name not in group:
        raise MlsysimError(f"{GROUP} has no entry {name!r}; it holds {', '.join(group.keys())}. "
                           f"Add it to zoo/data/Literature/Calibration.yaml with its source")
    return group[name]


@functools.lru_cache(maxsize=None)
def tokens(name: str) -> int:
    """A calibration number counted in tokens (``DefaultSeqLen``) as a plain int, converted
    once: Engine.solve asks for it on every call."""
    return int(value(name).m_as("token"))


def efficiency_for(workload_class: str, precision: str | None = None) -> tuple[float, float]:
    """(compute efficiency, memory-bandwidth efficiency) for a workload class.

    With ``precision``, the compute efficiency is the one for that precision's math format: a
    transformer class (``LOW_PRECISION_CLASSES``) doing its math in a format narrower than 16
    bits (fp8, int8, fp4, ...) reaches ``LowPrecisionComputeRatio`` times the 16-bit share of its
    own, larger peak (``low_precision_ratio``).

    Classes (``WORKLOAD_CLASSES``): LLM ``decode`` and ``prefill``; transformer ``training``;
    ``batch_inference`` and ``single_stream`` (batch-1 latency) of per-sample models such as
    CNNs; ``cnn_training``; ``mlperf_server`` (a per-sample model's MLPerf Server result: the
    arrival rate it sustains under the latency bound, used by mlsysim.validation only);
    ``tiny`` (batch-1 inference on a microcontroller, MLPerf Tiny; validation only).
    """
    if type(precision) is str:
        return _scaled_values(workload_class, precision)
    return _class_values(workload_class)


@functools.lru_cache(maxsize=None)
def _scaled_values(workload_class: str, precision: str) -> tuple[float, float]:
    eta, eta_mem = _class_values(workload_class)
    return eta * _ratio(workload_class, precision), eta_mem


@functools.lru_cache(maxsize=None)
def _class_values(workload_class: str) -> tuple[float, float]:
    prefix = WORKLOAD_CLASSES.get(workload_class) if type(workload_class) is str else None
    if prefix is None:
        raise MlsysimError(f"no calibration for workload class {workload_class!r}; use one of "
                           f"{', '.join(WORKLOAD_CLASSES)}")
    return float(value(f"{prefix}ComputeEfficiency")), float(value(f"{prefix}MemoryEfficiency"))


#: Transformer classes whose 8-bit math reaches a smaller share of its (doubled) listed peak than
#: 16-bit math: measured FP8 speed-ups over BF16 are well under 2x (the non-matmul kernels and
#: attention stay at 16 bits). Per-sample classes are fitted on int8 TensorRT results as they are.
LOW_PRECISION_CLASSES = frozenset({"decode", "prefill", "training"})
RATIO = "LowPrecisionComputeRatio"


def low_precision_ratio(workload_class: str, precision: str) -> float:
    """The factor on a class's compute efficiency for ``precision``'s math format: the calibrated
    ``LowPrecisionComputeRatio`` for a transformer class computing in fewer than 16 bits, else 1.
    A weight-only pair (w4a16) computes in 16 bits, so it keeps the 16-bit share. (Anything but a
    precision text gets 1; the caller's precision check names what is wrong with it.)"""
    return _ratio(workload_class, precision) if type(precision) is str else 1.0


@functools.lru_cache(maxsize=None)
def _ratio(workload_class: str, precision: str) -> float:
    return float(value(RATIO)) if scales(workload_class, precision) else 1.0


def scales(workload_class: str, precision: str) -> bool:
    """Whether the low-precision ratio applies: a transformer class (``LOW_PRECISION_CLASSES``)
    whose math runs in a format narrower than 16 bits. The one statement of the rule, for the
    solvers' defaults and for the calibration that fits the ratio."""
    from .precision import BYTES_PER_VALUE, is_known, math_format

    return (workload_class in LOW_PRECISION_CLASSES and is_known(precision)
            and BYTES_PER_VALUE[math_format(precision)] < 2)


def engine_class(kind: str, batch: int, training: bool) -> str:
    """The workload class ``Engine.solve`` uses for a pass, as a scenario does: decode for a
    transformer's inference pass, training for its training pass; single_stream (batch 1) or
    batch_inference for a per-sample model, cnn_training when it trains."""
    if kind == "per_sample":
        return "cnn_training" if training else ("single_stream" if batch == 1 else
                                                "batch_inference")
    return "training" if training else "decode"


@functools.lru_cache(maxsize=None)
def cited(workload_class: str, compute: bool, memory: bool,
          precision: str | None = None) -> tuple[str, ...]:
    """'<value> (<Zoo path>)' for the calibrated efficiencies of a class that were defaulted; a
    compute efficiency scaled for low-precision math names both numbers."""
    prefix = WORKLOAD_CLASSES[workload_class]
    eta, eta_mem = efficiency_for(workload_class)
    ratio = low_precision_ratio(workload_class, precision)
    out = []
    if compute:
        out.append(f"compute {eta:.0%} ({GROUP}.{prefix}ComputeEfficiency)" if ratio == 1.0 else
                   f"compute {eta * ratio:.0%} = {eta:.0%} ({GROUP}.{prefix}ComputeEfficiency) x "
                   f"{ratio:.2f} for {precision} math ({GROUP}.{RATIO})")
    if memory:
        out.append(f"memory {eta_mem:.0%} ({GROUP}.{prefix}MemoryEfficiency)")
    return tuple(out)
