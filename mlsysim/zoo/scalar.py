"""Scalar registry entries: one sourced number each (Literature, ReferenceStats, calibration),
or one sourced range when the source states the number as a range in one breath."""

from __future__ import annotations

from typing import Any, Iterator, Literal

from pydantic import (BaseModel, ConfigDict, Field, field_validator, model_serializer,
                      model_validator)

from ..provenance import Sourced, SourcedRange, sourced_qty
from .entry import ZooEntry

#: The ends of a range, in the order they are written.
RANGE_ENDS = ("low", "high")


def _must_be_number(what: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ("; the unit is the entry's own 'unit:', shared by both ends"
                if isinstance(value, str) else "")
        raise ValueError(f"{what} must be a number, got {value!r}{hint}")
    return value


class ValueRange(BaseModel):
    """The two ends of a range one source statement gives ("$25,000 to $30,000")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float = Field(description="The low end, as the source states it.")
    high: float = Field(description="The high end, as the source states it.")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"range must be a mapping {{low: x, high: y}}, got {data!r}")
        extra = sorted(str(key) for key in data if key not in RANGE_ENDS)
        if extra:
            why = ("; the unit is the entry's own 'unit:', shared by both ends"
                   if "unit" in extra else "")
            raise ValueError(f"range takes only low and high, got {', '.join(extra)}{why}")
        missing = [end for end in RANGE_ENDS if end not in data]
        if missing:
            raise ValueError(f"range needs both ends, {' and '.join(missing)} missing; write "
                             "range: {low: x, high: y}")
        for end in RANGE_ENDS:
            _must_be_number(f"range {end}", data[end])
        return data

    @model_validator(mode="after")
    def _ordered(self) -> "ValueRange":
        if self.low > self.high:
            raise ValueError(f"range low {self.low:g} is above high {self.high:g}; write the "
                             "smaller end as low (swap them)")
        return self


class ScalarEntry(ZooEntry):
    """A single cited number, exposed in Python as a :class:`~mlsysim.Sourced` (or a sourced
    Quantity); or a cited range, exposed as a :class:`~mlsysim.provenance.SourcedRange`."""

    value: float | None = Field(default=None, description="The number itself (or give range).")
    range: ValueRange | None = Field(
        default=None, description="Instead of value, when one source statement gives a range "
        "('$25,000 to $30,000'): its low and high ends, in the entry's unit, under the entry's "
        "one provenance record. The site writes it as 25,000–30,000 USD with one badge.")
    unit: str | None = Field(default=None, description="Its unit, if it has one (pint syntax).")
    bound: Literal["upper", "lower"] | None = Field(
        default=None, description="Set when the source states the value only as a bound: 'upper' "
        "for 'less than 10 minutes' or 'within 15 minutes', 'lower' for 'over 100 times' or "
        "'higher than 90%'. The site writes it as <= or >=, and solvers that use it say so.")
    aliases: dict[Literal["low", "high"], str] = Field(
        default_factory=dict, description="For a range: older entry names in the same group "
        "that still resolve to its ends (H100PurchaseLow2023 -> range.low), kept so code "
        "written against two separate low/high entries works. Not facts of their own.")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return None if value is None else _must_be_number("value", value)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None) -> str | None:
        from ..units import check_unit

        return check_unit(unit)

    @field_validator("aliases")
    @classmethod
    def _alias_names(cls, aliases: dict[str, str]) -> dict[str, str]:
        from ..errors import ENTRY_NAME

        for end, alias in aliases.items():
            if not isinstance(alias, str) or not ENTRY_NAME.fullmatch(alias):
                raise ValueError(f"alias of the {end} end {alias!r} is not an entry name "
                                 f"({ENTRY_NAME.pattern})")
        if len(set(aliases.values())) < len(aliases):
            raise ValueError("the low and high ends need different alias names")
        return aliases

    @model_validator(mode="after")
    def _value_or_range(self) -> "ScalarEntry":
        if (self.value is None) == (self.range is None):
            raise ValueError("give exactly one of value (a number) and range ({low: x, high: y}), "
                             f"got {'both' if self.range is not None else 'neither'}")
        if self.range is not None and self.bound is not None:
            raise ValueError(f"bound: {self.bound} cannot qualify a range; a range states both "
                             "ends, so drop bound (or give a value with bound)")
        if self.aliases and self.range is None:
            raise ValueError("aliases name the ends of a range; this entry has a value, so drop "
                             "aliases")
        if self.aliases and self.path and any(
                alias == self.path.rpartition(".")[2] for alias in self.aliases.values()):
            raise ValueError("an alias repeats the entry's own name; alias names are the old "
                             "low/high entry names")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        # A value entry dumps as it did before ranges existed (no range: null, aliases: {});
        # a range entry has no value to dump.
        data = handler(self)
        empty = ("range", "aliases") if self.range is None else ("value",)
        return {key: item for key, item in data.items() if key not in empty} \
            if isinstance(data, dict) else data

    @property
    def is_range(self) -> bool:
        return self.range is not None

    def quantity(self, field: str = "value"):
        """The number at ``field`` ("value", "range.low" or "range.high") with its unit."""
        from ..units import Quantity

        if field in ("", "value"):
            number = self.value
        elif self.range is not None and field in ("range.low", "range.high"):
            number = getattr(self.range, field.removeprefix("range."))
        else:
            number = None
        if number is None:
            from ..errors import UnknownNameError

            has = "range.low, range.high" if self.range is not None else "value"
            raise UnknownNameError(f"{self.path or self.name} has no number {field!r}; its "
                                   f"numbers are {has}", name=str(field))
        return Quantity(number, self.unit) if self.unit else number

    def numbers(self) -> Iterator[tuple[str, Any]]:
        # A value's path is the entry's own path; a range's ends are <path>.range.low/high.
        if self.range is not None:
            for end in RANGE_ENDS:
                yield f"range.{end}", self.quantity(f"range.{end}")
        else:
            yield "", self.quantity()

    def alias_targets(self) -> dict[str, str]:
        """Alias name -> the field it stands for (``H100PurchaseLow2023`` -> ``range.low``)."""
        return {alias: f"range.{end}" for end, alias in self.aliases.items()}

    def _sourced(self, field: str, name: str):
        provenance = self.provenance_for(field)
        path = f"{self.path}.{field}" if field != "value" else self.path
        if self.unit:
            return sourced_qty(self.quantity(field), provenance, name=name,
                               description=self.description or "", path=path, bound=self.bound)
        return Sourced(self.quantity(field), provenance, name, self.description or "", path,
                       self.bound)

    def as_sourced(self):
        """The value (or the range) with provenance, name and description attached."""
        if self.range is None:
            return self._sourced("value", self.name)
        low, high = (self._sourced(f"range.{end}", f"{self.name} ({end} end)")
                     for end in RANGE_ENDS)
        return SourcedRange(low, high, self.provenance_for("range"), self.name,
                            self.description or "", self.path)
