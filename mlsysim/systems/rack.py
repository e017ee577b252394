"""The schema of a rack: nodes, their power, and how they are cooled."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry
from ..zoo.reference import RegistryPath, reference_field


class RackSpec(ZooEntry):
    """A rack of identical nodes (or a rack-scale system such as GB200 NVL72)."""

    vendor: str | None = Field(default=None, description="Who sells it.")
    node: RegistryPath | None = reference_field("Systems.Nodes", "The node type.", optional=True)
    accelerator: RegistryPath | None = reference_field(
        "Hardware", "The accelerator, for rack-scale systems without a node entry.", optional=True)
    nodes_per_rack: int | None = Field(default=None, ge=1, description="Nodes in one rack.")
    accelerators_per_rack: int | None = Field(default=None, ge=1,
                                              description="Accelerators in one rack.")
    power: quantity_type(DIMENSIONS["power"]) | None = Field(default=None,
                                                              description="Rack power.")
    cooling: Literal["air", "liquid", "hybrid"] | None = Field(default=None,
                                                               description="Cooling.")
