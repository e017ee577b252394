"""Layer B: hardware. A :class:`HardwareNode` is one accelerator, SoC or microcontroller."""

from .node import (ComputeSpec, HardwareNode, InterconnectSpec, LinkSpec, MemorySpec, PeakRate,
                   PowerSpec, PRECISIONS)

__all__ = ["ComputeSpec", "HardwareNode", "InterconnectSpec", "LinkSpec", "MemorySpec", "PeakRate",
           "PowerSpec", "PRECISIONS"]
