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


@functools.lru_cache(maxsize=None)
def efficiency_for(workload_class: str) -> tuple[float, float]:
    """(compute efficiency, memory-bandwidth efficiency) for a workload class.

    Classes (``WORKLOAD_CLASSES``): LLM ``decode`` and ``prefill``; transformer ``training``;
    ``batch_inference`` and ``single_stream`` (batch-1 latency) of per-sample models such as
    CNNs; ``cnn_training``; ``mlperf_server`` (a per-sample model's MLPerf Server result: the
    arrival rate it sustains under the latency bound, used by mlsysim.validation only);
    ``tiny`` (batch-1 inference on a microcontroller, MLPerf Tiny; validation only).
    """
    prefix = WORKLOAD_CLASSES.get(workload_class)
    if prefix is None:
        raise MlsysimError(f"no calibration for workload class {workload_class!r}; use one of "
                           f"{', '.join(WORKLOAD_CLASSES)}")
    return float(value(f"{prefix}ComputeEfficiency")), float(value(f"{prefix}MemoryEfficiency"))


def engine_class(kind: str, batch: int, training: bool) -> str:
    """The workload class ``Engine.solve`` uses for a pass, as a scenario does: decode for a
    transformer's inference pass, training for its training pass; single_stream (batch 1) or
    batch_inference for a per-sample model, cnn_training when it trains."""
    if kind == "per_sample":
        return "cnn_training" if training else ("single_stream" if batch == 1 else
                                                "batch_inference")
    return "training" if training else "decode"


@functools.lru_cache(maxsize=None)
def cited(workload_class: str, compute: bool, memory: bool) -> tuple[str, ...]:
    """'<value> (<Zoo path>)' for the calibrated efficiencies of a class that were defaulted."""
    prefix = WORKLOAD_CLASSES[workload_class]
    eta, eta_mem = efficiency_for(workload_class)
    return tuple(f"{what} {v:.0%} ({GROUP}.{prefix}{name})" for flag, what, v, name in (
        (compute, "compute", eta, "ComputeEfficiency"),
        (memory, "memory", eta_mem, "MemoryEfficiency")) if flag)
