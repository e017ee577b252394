"""Scenarios: workload + target + constraints, evaluated through the Hierarchy of Constraints."""

from .spec import ScenarioSpec

__all__ = ["ScenarioSpec"]
