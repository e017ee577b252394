"""Layer C: systems. Fabrics, nodes, racks and clusters; a Fleet is what solvers run on."""

from .cluster import ClusterSpec
from .fabric import FabricSpec
from .node import SystemNode
from .rack import RackSpec

__all__ = ["ClusterSpec", "FabricSpec", "RackSpec", "SystemNode", "Fleet"]


def __getattr__(name):
    if name == "Fleet":
        from .fleet import Fleet

        return Fleet
    raise AttributeError(name)
