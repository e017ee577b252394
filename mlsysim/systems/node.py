"""The schema of a server node: accelerators, the fabric joining them, and its network ports.

A node names its accelerator and fabrics by registry path; it never restates
their numbers.
"""

from __future__ import annotations

from pydantic import Field

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry
from ..zoo.reference import RegistryPath, reference_field


class SystemNode(ZooEntry):
    """A server such as a DGX H100: N accelerators on a scale-up fabric, NICs to scale out."""

    vendor: str = Field(description="Who sells it.")
    release_year: int | None = Field(default=None, ge=1990, le=2100, description="Year of release.")
    accelerator: RegistryPath = reference_field("Hardware", "The accelerator, e.g. Hardware.Cloud.H100.")
    accelerators_per_node: int = Field(ge=1, description="Accelerators in one node.")
    scale_up_fabric: RegistryPath | None = reference_field(
        "Systems.Fabrics", "Fabric between the node's accelerators.", optional=True)
    scale_out_fabric: RegistryPath | None = reference_field(
        "Systems.Fabrics", "Fabric of the node's network ports.", optional=True)
    scale_out_ports: int | None = Field(default=None, ge=1,
                                        description="Compute-network ports per node.")
    host_memory: quantity_type(DIMENSIONS["bytes"]) | None = Field(
        default=None, description="CPU system memory.")
    power: quantity_type(DIMENSIONS["power"]) | None = Field(
        default=None, description="Maximum system power.")
