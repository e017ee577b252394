"""Gate "plausibility": every number within the bounds declared for its group and field."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import ZooError
from ..zoo.yaml_io import read_yaml

RULES_FILE = Path(__file__).with_name("plausibility.yaml")


@dataclass(frozen=True)
class Bound:
    group: str
    fields: tuple[str, ...]
    low: Any
    high: Any
    exceptions: dict[str, str] = field(default_factory=dict)

    def applies(self, group: str, field_path: str) -> bool:
        return fnmatch.fnmatchcase(group, self.group) and any(
            fnmatch.fnmatchcase(field_path, pattern) for pattern in self.fields)


def load_bounds(path: Path = RULES_FILE) -> list[Bound]:
    from ..units import UnitParseError, parse_quantity

    raw = read_yaml(path) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("rules", []), list):
        raise ZooError("the plausibility rules must be a mapping with a list under 'rules'",
                       file=str(path), fix="write 'rules:' followed by one '- group: ...' per rule")
    bounds = []
    for index, rule in enumerate(raw.get("rules", [])):
        try:
            low, high = parse_quantity(rule["min"]), parse_quantity(rule["max"])
            bounds.append(Bound(rule["group"], tuple(rule["fields"]), low, high,
                                dict(rule.get("except") or {})))
        except (KeyError, TypeError, ValueError, UnitParseError) as exc:
            raise ZooError(f"plausibility rule #{index + 1} is malformed ({exc})", file=str(path),
                           fix="give group, fields, min and max as quantities") from None
    return bounds


def check_plausibility(records: Iterable[Any], bounds: list[Bound]):
    """Yield (path, problem, fix) for numbers outside their bounds."""
    import pint

    for record in records:
        group = record.path.rsplit(".", 1)[0]
        for field_path, value in record.numbers():
            for bound in bounds:
                if not bound.applies(group, field_path) or record.path in bound.exceptions:
                    continue
                try:
                    magnitude = _in_units(value, bound.low)
                    low, high = bound.low.magnitude, bound.high.to(bound.low.units).magnitude
                except pint.DimensionalityError:
                    yield (f"{record.path}.{field_path}",
                           f"{_show(value)} cannot be compared with the bound {_show(bound.low)} "
                           "(different dimension)", "fix the unit of the value or of the rule")
                    continue
                if not low <= magnitude <= high:
                    yield (f"{record.path}.{field_path}",
                           f"{_show(value)} is outside the plausible range {_show(bound.low)} .. "
                           f"{_show(bound.high)} for {bound.group} {field_path}",
                           "check for a typo or a unit slip (MB for GB, sparse for dense); if the "
                           "value is right, add the entry to the rule's 'except' with the reason "
                           "in lineage/plausibility.yaml")


def _in_units(value: Any, reference: Any) -> float:
    import pint

    if isinstance(value, pint.Quantity):
        return value.to(reference.units).magnitude
    if not reference.dimensionless:
        raise pint.DimensionalityError(type(value), reference.units)
    return float(value)


def _show(value: Any) -> str:
    import pint

    if isinstance(value, pint.Quantity):
        return f"{value.magnitude:g} {value.units:~}".replace(" / ", "/").replace(" * ", "·")
    return f"{value:g}"
