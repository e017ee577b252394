"""The execution layer: Engine.solve and the plain-float machinery behind it."""

from .engine import Engine
from .profile import PerformanceProfile

__all__ = ["Engine", "PerformanceProfile"]
