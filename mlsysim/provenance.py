"""Provenance: how we know a number.

A :class:`Provenance` record says what kind of evidence stands behind a number
(a datasheet, a paper, an estimate, ...), where it is, and on which date a
person checked the number against it. :class:`Sourced` is a float that carries
its provenance, name and description; :func:`sourced_qty` does the same for a
pint Quantity. Arithmetic drops provenance: a derived number that needs an
audit trail is wrapped again with kind ``derived``.

Kind rules (enforced when a record is built):

* ``datasheet``, ``literature``, ``industry_report`` are *evidence-backed* and
  need a ``url``; without ``verified`` they count as unverified;
* ``estimate`` and ``derived`` need ``notes`` saying how the number was made;
  ``derived`` also names its ``inputs`` as registry paths;
* ``convention``, ``illustrative`` and ``heuristic`` need only a ``ref``.

Where a record was checked matters as much as what it cites: ``url`` is the
primary source (the publisher's page, datasheet, paper or standard);
``evidence_url`` is the copy actually read when that was not the primary
(an archived or mirrored copy), ``retrieved`` the day that copy was read;
``locator`` says where in the source the value is (page, table, row) and
``quote`` gives the source's own words for it.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Any

from pydantic import (BaseModel, ConfigDict, Field, ValidationInfo, field_validator,
                      model_validator)


class ProvenanceKind(str, Enum):
    """What kind of evidence stands behind a number."""

    DATASHEET = "datasheet"
    LITERATURE = "literature"
    INDUSTRY_REPORT = "industry_report"
    ESTIMATE = "estimate"
    DERIVED = "derived"
    CONVENTION = "convention"
    ILLUSTRATIVE = "illustrative"
    HEURISTIC = "heuristic"

    @property
    def evidence_backed(self) -> bool:
        """True for kinds that point at an external document (and need a URL)."""
        return self in EVIDENCE_KINDS

    def __str__(self) -> str:
        return self.value


EVIDENCE_KINDS = frozenset(
    {ProvenanceKind.DATASHEET, ProvenanceKind.LITERATURE, ProvenanceKind.INDUSTRY_REPORT}
)
NOTES_KINDS = frozenset({ProvenanceKind.ESTIMATE, ProvenanceKind.DERIVED})


class Provenance(BaseModel):
    """One source record: the kind of evidence, the citation, where, and when checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ProvenanceKind = Field(description="What kind of evidence stands behind the number.")
    ref: str = Field(min_length=1, description="Human-readable citation: who, what, which version.")
    url: str | None = Field(
        default=None,
        description="The primary source: the publisher's page or datasheet, the paper's official "
                    "page, the standard.",
    )
    evidence_url: str | None = Field(
        default=None,
        description="The copy actually read, when it is not the primary source (an archived or "
                    "mirrored copy of it).",
    )
    retrieved: _dt.date | None = Field(
        default=None, description="The date the source (or its copy in evidence_url) was read."
    )
    locator: str | None = Field(
        default=None, description="Where in the source the value is: page, table, column, row."
    )
    quote: str | None = Field(default=None, description="The source's own words for the value.")
    verified: _dt.date | None = Field(
        default=None,
        description="The date a person checked the numbers citing this record against the source.",
    )
    notes: str | None = Field(default=None, description="How the number was obtained, caveats.")
    inputs: tuple[str, ...] = Field(
        default=(), description="For derived numbers: the registry paths they are computed from."
    )
    id: str | None = Field(default=None, description="Catalog id when the record is shared.")

    @field_validator("ref")
    @classmethod
    def _ref_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("ref must name the source, got an empty string")
        return value

    @field_validator("verified", "retrieved", mode="before")
    @classmethod
    def _iso_date(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f"{info.field_name} must be an ISO date YYYY-MM-DD, got {value!r}")

    @field_validator("url", "evidence_url")
    @classmethod
    def _url_shape(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"{info.field_name} must start with https:// or http://, got {value!r}")
        return value

    @field_validator("locator", "quote")
    @classmethod
    def _text_not_blank(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"{info.field_name} must not be blank; leave it out instead")
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> "Provenance":
        kind = self.kind
        if kind in EVIDENCE_KINDS and not self.url:
            raise ValueError(
                f"a {kind.value} record needs a url to the source; "
                "use kind 'estimate' with notes if there is none"
            )
        if kind in NOTES_KINDS and not (self.notes and self.notes.strip()):
            raise ValueError(f"a {kind.value} record needs notes saying how the number was obtained")
        if kind is ProvenanceKind.DERIVED and not self.inputs:
            raise ValueError("a derived record needs inputs: the registry paths it is computed from")
        if kind is not ProvenanceKind.DERIVED and self.inputs:
            raise ValueError(f"only derived records name inputs, this one is {kind.value}")
        if self.verified is not None and kind not in EVIDENCE_KINDS and kind is not ProvenanceKind.DERIVED:
            raise ValueError(
                f"a {kind.value} record cannot be verified against a source; remove 'verified'"
            )
        self._evidence_rules()
        return self

    def _evidence_rules(self) -> None:
        """The copy read, its date and the place in the source all hang off a cited source."""
        if self.evidence_url is not None:
            if not self.url:
                raise ValueError("evidence_url names the copy read of a primary source; give the "
                                 "primary in url as well")
            if self.evidence_url == self.url:
                raise ValueError("evidence_url repeats url; leave it out when the primary itself "
                                 "was read")
        for name in ("retrieved", "locator", "quote"):
            if getattr(self, name) is not None and not self.url:
                raise ValueError(f"{name} describes a cited source; this record has no url")
        if self.retrieved and self.verified and self.retrieved > self.verified:
            raise ValueError(
                f"retrieved {self.retrieved.isoformat()} is after verified "
                f"{self.verified.isoformat()}; a value cannot be checked in a copy before it "
                "was read")

    @property
    def evidence_backed(self) -> bool:
        return self.kind in EVIDENCE_KINDS

    def short(self) -> str:
        """One line: kind, citation and verification date."""
        checked = f", verified {self.verified.isoformat()}" if self.verified else ""
        if self.evidence_backed and not self.verified:
            checked = ", unverified"
        return f"{self.kind.value}: {self.ref}{checked}"


class Sourced(float):
    """A float that knows its provenance, name and description.

    It behaves as a float in every calculation (the result is a plain float:
    arithmetic drops provenance). ``repr`` shows the source; ``str`` and
    format specs give the bare number so it can sit in prose.
    """

    __slots__ = ("provenance", "name", "description", "path", "bound")

    def __new__(cls, value: float, provenance: Provenance, name: str = "",
                description: str = "", path: str | None = None, bound: str | None = None):
        obj = super().__new__(cls, value)
        obj.provenance = provenance
        obj.name = name
        obj.description = description
        obj.path = path
        obj.bound = bound  # "upper" or "lower" when the source states only a bound
        return obj

    def __reduce__(self):
        return (Sourced, (float(self), self.provenance, self.name, self.description, self.path,
                          self.bound))

    def __repr__(self) -> str:
        label = f"{self.name} = " if self.name else ""
        bound = {"upper": "<= ", "lower": ">= "}.get(self.bound or "", "")
        return f"<Sourced {label}{bound}{float(self)!r} ({self.provenance.short()})>"

    def __str__(self) -> str:
        return float.__repr__(self)

    __format__ = float.__format__

    def _repr_markdown_(self) -> str:
        from .display import sourced_markdown

        return sourced_markdown(self)

    def _repr_html_(self) -> str:
        from .display import sourced_html

        return sourced_html(self)


def sourced(value: Any, provenance: Provenance, *, name: str = "", description: str = "",
            unit: str | None = None, path: str | None = None):
    """Wrap ``value`` with its provenance: a :class:`Sourced` float, or a Quantity if ``unit`` is given."""
    if unit is not None:
        from .units import parse_quantity

        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"sourced() needs a number, got {type(value).__name__}")
        # Through the one reader of quantities: the unit's form, NaN, infinity and size are checked.
        return sourced_qty(parse_quantity({"value": value, "unit": unit}), provenance, name=name,
                           description=description, path=path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"sourced() needs a number, got {type(value).__name__}; pass unit= for a "
                        "quantity")
    from .units import check_magnitude

    return Sourced(check_magnitude(value), provenance, name, description, path)


def sourced_qty(quantity: Any, provenance: Provenance, *, name: str = "",
                description: str = "", path: str | None = None, bound: str | None = None):
    """Attach provenance, name and description to a pint Quantity (arithmetic drops them)."""
    from .units import parse_quantity

    quantity = parse_quantity(quantity)
    quantity = quantity.__class__(quantity.magnitude, quantity.units)  # never tag a shared object
    quantity.provenance = provenance
    quantity.name = name
    quantity.description = description
    quantity.path = path
    quantity.bound = bound
    from .display import attach_quantity_forms

    return attach_quantity_forms(quantity)



class SourcedRange:
    """A range its source states in one breath ("$25,000 to $30,000"): two ends, one record.

    ``low`` and ``high`` are :class:`Sourced` floats (or sourced Quantities) carrying the
    range's provenance, each with its own path (``<entry>.range.low``); ``mid`` and
    ``width`` are computed from them and so carry none (arithmetic drops provenance).
    Iterating gives ``(low, high)``; ``x in r`` and ``r.contains(x)`` test the closed
    interval, converting units when the ends are Quantities.
    """

    __slots__ = ("low", "high", "provenance", "name", "description", "path")

    def __init__(self, low: Any, high: Any, provenance: Provenance, name: str = "",
                 description: str = "", path: str | None = None):
        self.low = low
        self.high = high
        self.provenance = provenance
        self.name = name
        self.description = description
        self.path = path

    @property
    def unit(self) -> Any:
        """The pint unit both ends share, or None for bare numbers."""
        return getattr(self.low, "units", None)

    @property
    def mid(self) -> Any:
        """The midpoint (low + high) / 2: a computed number, without provenance."""
        if self.unit is not None:
            return (self.low + self.high) / 2
        return (float(self.low) + float(self.high)) / 2

    @property
    def width(self) -> Any:
        """high - low: a computed number, without provenance."""
        if self.unit is not None:
            return self.high - self.low
        return float(self.high) - float(self.low)

    def contains(self, value: Any) -> bool:
        """Whether ``low <= value <= high`` (a Quantity is converted to the ends' unit).
        InputError for a bare number against ends with a unit, or a unit of another
        dimension."""
        if self.unit is not None:
            import pint

            from .errors import InputError

            fix = f"pass e.g. {float(self.low.magnitude):g} {self.unit:~}"
            if not isinstance(value, pint.Quantity):
                raise InputError(f"{self.name or 'range'}: contains() needs a quantity in "
                                 f"{self.unit:~} (its ends' unit), got the bare number "
                                 f"{value!r}; {fix}", name="value", value=value)
            try:
                value = value.to(self.unit).magnitude
            except pint.DimensionalityError:
                raise InputError(f"{self.name or 'range'}: contains() got {value:~}, which "
                                 f"cannot be converted to {self.unit:~} (its ends' unit); {fix}",
                                 name="value", value=value) from None
            return float(self.low.magnitude) <= value <= float(self.high.magnitude)
        return float(self.low) <= float(value) <= float(self.high)

    __contains__ = contains

    def __iter__(self):
        return iter((self.low, self.high))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SourcedRange):
            return (self.low, self.high) == (other.low, other.high)
        return NotImplemented

    __hash__ = None

    def __reduce__(self):
        return (SourcedRange, (self.low, self.high, self.provenance, self.name,
                               self.description, self.path))

    def __str__(self) -> str:
        from .formatting import stated_range

        return stated_range(self.low, self.high)

    def __repr__(self) -> str:
        label = f"{self.name} = " if self.name else ""
        return f"<SourcedRange {label}{self} ({self.provenance.short()})>"

    def _repr_markdown_(self) -> str:
        from .display import sourced_markdown

        return sourced_markdown(self)

    def _repr_html_(self) -> str:
        from .display import sourced_html

        return sourced_html(self)


def sourced_range(low: Any, high: Any, provenance: Provenance, *, name: str = "",
                  description: str = "", unit: str | None = None, path: str | None = None
                  ) -> SourcedRange:
    """A :class:`SourcedRange` from two numbers its source states as one range.

    InputError when an end is not a number or ``low > high``. The ends get the paths
    ``<path>.range.low`` and ``<path>.range.high``.
    """
    from .errors import InputError

    for end, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"sourced_range(): {end} must be a number, got {value!r}; give "
                             "both ends as numbers and the shared unit as unit=", name=end,
                             value=value)
    if low > high:
        raise InputError(f"sourced_range(): low {low!r} is above high {high!r}; a range is "
                         "written low first (swap them)", name="low", value=low)
    ends = []
    for end, value in (("low", low), ("high", high)):
        ends.append(sourced(value, provenance, name=f"{name} ({end} end)" if name else "",
                            description=description, unit=unit,
                            path=f"{path}.range.{end}" if path else None))
    return SourcedRange(*ends, provenance, name, description, path)
