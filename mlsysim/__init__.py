"""mlsysim: a first-order analytical simulator for ML systems, with a provenance-tracked Zoo.

``import mlsysim`` is cheap: the unit registry, pydantic and the Zoo's YAML
are loaded on first use of the names below.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_NAMESPACES = ("Hardware", "Models", "Systems", "Infrastructure", "Ops", "Scenarios",
               "ReferenceStats", "Literature")

_LAZY = {
    "ureg": ("mlsysim.units", "ureg"),
    "Quantity": ("mlsysim.units", "Quantity"),
    "Provenance": ("mlsysim.provenance", "Provenance"),
    "ProvenanceKind": ("mlsysim.provenance", "ProvenanceKind"),
    "Sourced": ("mlsysim.provenance", "Sourced"),
    "sourced": ("mlsysim.provenance", "sourced"),
    "sourced_qty": ("mlsysim.provenance", "sourced_qty"),
    "SourcedRange": ("mlsysim.provenance", "SourcedRange"),
    "sourced_range": ("mlsysim.provenance", "sourced_range"),
    "Zoo": ("mlsysim.zoo.registry", "Zoo"),
    "lookup": ("mlsysim.zoo.registry", "lookup"),
    "Engine": ("mlsysim.engine", "Engine"),
    "PerformanceProfile": ("mlsysim.engine", "PerformanceProfile"),
    "OOMError": ("mlsysim.errors", "OOMError"),
}

__all__ = [*_NAMESPACES, *_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _NAMESPACES:
        from .zoo.registry import default_zoo

        value = default_zoo().namespace(name)
    elif name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attribute)
    else:
        raise AttributeError(f"module 'mlsysim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
