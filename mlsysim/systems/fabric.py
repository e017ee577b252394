"""The schema of a network fabric: one link technology and what a port of it moves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry


class FabricSpec(ZooEntry):
    """A link technology (NVLink generation, InfiniBand or Ethernet speed grade).

    ``bandwidth`` is what one port (or, for NVLink, one GPU's full set of links)
    carries, and ``direction`` says whether that is each way or both ways added.
    """

    technology: Literal["NVLink", "InfiniBand", "Ethernet", "ICI", "InfinityFabric", "PCIe",
                        "Other"] = Field(description="Link family.")
    generation: str | None = Field(default=None, description="Speed grade, e.g. NDR or NVLink 4.")
    scope: Literal["scale_up", "scale_out"] = Field(
        description="scale_up: inside a node or pod; scale_out: between nodes.")
    bandwidth: quantity_type(DIMENSIONS["bandwidth"]) = Field(
        description="Bandwidth of one port (per GPU for NVLink).")
    direction: Literal["per_direction", "bidirectional_total"] = Field(
        description="per_direction: each way; bidirectional_total: both directions added.")
    latency: quantity_type(DIMENSIONS["time"]) | None = Field(
        default=None, description="One-way latency of a small message across one hop.")
    release_year: int | None = Field(default=None, ge=1990, le=2100, description="Year introduced.")

    @property
    def per_direction(self):
        """Bandwidth in one direction."""
        return self.bandwidth if self.direction == "per_direction" else self.bandwidth / 2
