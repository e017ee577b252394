"""A fleet: what distributed solvers run on. Built from a cluster entry or by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Fleet:
    """``count`` nodes of one kind joined by ``fabric``.

    ``node`` is a ``Systems.Nodes`` entry (or its name); ``fabric`` a
    ``Systems.Fabrics`` entry, its name, or None to use the node's own
    scale-out fabric.
    """

    node: Any
    count: int = 1
    fabric: Any = None
    oversubscription: float = 1.0

    def __post_init__(self):
        from ..engine.engine import resolve_entry

        node = resolve_entry(self.node, "Systems", "node")
        object.__setattr__(self, "node", node)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InputError(f"Fleet count must be a whole number of nodes >= 1, got "
                             f"{self.count!r}", name="count", value=self.count)
        if not self.oversubscription >= 1:
            raise InputError(f"oversubscription must be >= 1 (1 = non-blocking), got "
                             f"{self.oversubscription!r}", name="oversubscription",
                             value=self.oversubscription)
        fabric = self.fabric if self.fabric is not None else getattr(node, "scale_out_fabric", None)
        if fabric is not None:
            fabric = resolve_entry(fabric, "Systems", "fabric")
        object.__setattr__(self, "fabric", fabric)

    @classmethod
    def from_cluster(cls, cluster: Any) -> "Fleet":
        """The fleet a ``Systems.Clusters`` entry describes."""
        from ..engine.engine import resolve_entry

        cluster = resolve_entry(cluster, "Systems", "cluster")
        return cls(node=cluster.node, count=cluster.node_count, fabric=cluster.fabric,
                   oversubscription=cluster.oversubscription)

    # -- derived views -----------------------------------------------------
    @property
    def accelerator(self) -> Any:
        from ..engine.engine import resolve_entry

        return resolve_entry(self.node.accelerator, "Hardware", "accelerator")

    @property
    def accelerators_per_node(self) -> int:
        return self.node.accelerators_per_node

    @property
    def total_accelerators(self) -> int:
        return self.count * self.node.accelerators_per_node

    @property
    def scale_up_fabric(self) -> Any:
        from ..engine.engine import resolve_entry

        ref = self.node.scale_up_fabric
        return resolve_entry(ref, "Systems", "fabric") if ref else None

    def inter_node_bandwidth_per_accelerator(self) -> float:
        """Bytes/s per direction each accelerator gets across nodes (NIC share / oversubscription)."""
        if self.fabric is None:
            return math.nan
        ports = self.node.scale_out_ports or self.node.accelerators_per_node
        per_port = float(self.fabric.per_direction.m_as("B/s"))
        return per_port * ports / self.node.accelerators_per_node / self.oversubscription

    def inter_node_latency(self) -> float:
        return float(self.fabric.latency.m_as("s")) if self.fabric is not None and \
            self.fabric.latency is not None else 0.0

    def intra_node_bandwidth_per_accelerator(self) -> float:
        fabric = self.scale_up_fabric
        if fabric is not None:
            return float(fabric.per_direction.m_as("B/s"))
        link = self.accelerator.interconnect.scale_up
        return float(link.per_direction.m_as("B/s")) if link is not None else math.nan

    def intra_node_latency(self) -> float:
        fabric = self.scale_up_fabric
        return float(fabric.latency.m_as("s")) if fabric is not None and fabric.latency else 0.0
