"""The schema of an electricity grid: how much CO2 one kWh costs there."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry


class GridProfile(ZooEntry):
    """Carbon intensity of the electricity a data center in this region draws, and typical PUE/WUE."""

    region: str = Field(description="Country, state or utility area.")
    carbon_intensity: quantity_type(DIMENSIONS["carbon_intensity"]) = Field(
        description="Emissions per unit of electricity.")
    basis: Literal["direct_co2", "direct_co2e", "lifecycle_co2e"] = Field(
        description="direct_co2: combustion CO2 only; lifecycle_co2e: all greenhouse gases, life cycle.")
    data_year: int = Field(ge=1990, le=2100, description="Year the figure describes.")
    renewable_share: float | None = Field(default=None, ge=0, le=1,
                                          description="Share of generation from renewables (0..1).")
    pue: float | None = Field(default=None, ge=1.0, le=3.0,
                              description="Typical power usage effectiveness of data centers here.")
    wue: quantity_type(DIMENSIONS["water_intensity"]) | None = Field(
        default=None, description="Typical water usage effectiveness (litres per kWh of IT energy).")
