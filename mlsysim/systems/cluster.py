"""The schema of a cluster (a reference fleet): how many nodes of which kind on which network."""

from __future__ import annotations

from pydantic import Field

from ..zoo.entry import ZooEntry
from ..zoo.reference import RegistryPath, reference_field


class ClusterSpec(ZooEntry):
    """A published fleet, e.g. the cluster a frontier model was trained on."""

    operator: str | None = Field(default=None, description="Who runs it.")
    node: RegistryPath = reference_field("Systems.Nodes", "The node type.")
    node_count: int = Field(ge=1, description="Nodes in the fleet.")
    fabric: RegistryPath | None = reference_field(
        "Systems.Fabrics", "Scale-out fabric between nodes.", optional=True)
    oversubscription: float = Field(default=1.0, ge=1.0,
                                    description="Network oversubscription ratio (1 = non-blocking).")
