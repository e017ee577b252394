"""Layer C: infrastructure. Electricity grids (carbon intensity), and later pricing and capacity."""

from .grid import GridProfile

__all__ = ["GridProfile"]
