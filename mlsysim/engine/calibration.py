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
                    "cnn_training": "CnnTraining"}


@functools.lru_cache(maxsize=None)
def value(name: str):
    """The calibration number ``name`` (a Sourced float)."""
    from ..zoo.registry import default_zoo

    group = default_zoo().resolve(GROUP)
    if name not in group:
        raise MlsysimError(f"{GROUP} has no entry {name!r}; it holds {', '.join(group.keys())}. "
                           f"Add it to zoo/data/Literature/Calibration.yaml with its source")
    return group[name]


def efficiency_for(workload_class: str) -> tuple[float, float]:
    """(compute efficiency, memory-bandwidth efficiency) for a workload class.

    Classes (``WORKLOAD_CLASSES``): LLM ``decode`` and ``prefill``; transformer ``training``;
    ``batch_inference`` and ``single_stream`` (batch-1 latency) of per-sample models such as
    CNNs; ``cnn_training``.
    """
    prefix = WORKLOAD_CLASSES.get(workload_class)
    if prefix is None:
        raise MlsysimError(f"no calibration for workload class {workload_class!r}; use one of "
                           f"{', '.join(WORKLOAD_CLASSES)}")
    return float(value(f"{prefix}ComputeEfficiency")), float(value(f"{prefix}MemoryEfficiency"))
