"""Scalar registry entries: one sourced number each (Literature, ReferenceStats, calibration)."""

from __future__ import annotations

from typing import Any, Iterator, Literal

from pydantic import Field, field_validator

from ..provenance import Sourced, sourced_qty
from .entry import ZooEntry


class ScalarEntry(ZooEntry):
    """A single cited number, exposed in Python as a :class:`~mlsysim.Sourced` (or a sourced Quantity)."""

    value: float = Field(description="The number itself.")
    unit: str | None = Field(default=None, description="Its unit, if it has one (pint syntax).")
    bound: Literal["upper", "lower"] | None = Field(
        default=None, description="Set when the source states the value only as a bound: 'upper' "
        "for 'less than 10 minutes' or 'within 15 minutes', 'lower' for 'over 100 times' or "
        "'higher than 90%'. The site writes it as <= or >=, and solvers that use it say so.")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"value must be a number, got {value!r}")
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        from ..units import check_unit

        return check_unit(unit)

    def quantity(self):
        from ..units import Quantity

        return Quantity(self.value, self.unit) if self.unit else self.value

    def numbers(self) -> Iterator[tuple[str, Any]]:
        # The number's path is the entry's own path.
        yield "", self.quantity()

    def as_sourced(self):
        """The value with provenance, name and description attached."""
        provenance = self.provenance_for("value")
        if self.unit:
            return sourced_qty(self.quantity(), provenance, name=self.name,
                               description=self.description or "", path=self.path,
                               bound=self.bound)
        return Sourced(self.value, provenance, self.name, self.description or "", self.path,
                       self.bound)
