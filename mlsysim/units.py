"""The one unit registry of mlsysim, and a pydantic field type for quantities.

Every quantity in mlsysim comes from ``ureg``, built from ``units.txt`` beside
this module. Information (bit, byte) is a dimension of its own, as are
``flop`` (floating-point operations), ``op`` (integer operations), ``token``,
``param``, ``sample``, ``USD`` and ``gCO2e``.

``quantity_type("[information] / [time]")`` gives an annotated type for
pydantic models: it accepts ``"3.35 TB/s"``, ``{"value": 3.35, "unit":
"TB/s"}`` or a Quantity, and rejects a value of the wrong dimension with a
message naming the value, its dimension and the one expected (pydantic adds
the field's location).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

DEFINITIONS_FILE = Path(__file__).with_name("units.txt")

_PLURAL_RATE = re.compile(r"(?<=[A-Za-z])(FLOP|OP)s\b")


def _rate_spelling(text: str) -> str:
    # "TFLOPs" means TFLOP/s, but pint would also read it as a plural of "TFLOP";
    # spell it FLOPS before parsing so there is only one reading.
    return _PLURAL_RATE.sub(lambda m: m.group(1) + "S", text)


ureg = pint.UnitRegistry(str(DEFINITIONS_FILE), autoconvert_offset_to_baseunit=True,
                         preprocessors=[_rate_spelling])
Quantity = ureg.Quantity

#: Dimensions used by registry fields, named once so schemas read clearly.
DIMENSIONS = {
    "bytes": "[information]",
    "bandwidth": "[information] / [time]",
    "flops": "[flop]",
    "flop_rate": "[flop] / [time]",
    "op_rate": "[op] / [time]",
    "time": "[time]",
    "frequency": "1 / [time]",
    "power": "[mass] * [length] ** 2 / [time] ** 3",
    "energy": "[mass] * [length] ** 2 / [time] ** 2",
    "params": "[parameter]",
    "flops_per_token": "[flop] / [token]",
    "flops_per_sample": "[flop] / [sample]",
    "tokens": "[token]",
    "currency": "[currency]",
    "carbon_intensity": "[carbon] / [energy]",
    "water_intensity": "[length] ** 3 / [energy]",
    "dimensionless": "[]",
    "sample_rate": "[sample] / [time]",
    "token_rate": "[token] / [time]",
    "carbon": "[carbon]",
    "water": "[length] ** 3",
    "price_per_time": "[currency] / [time]",
    "price_per_energy": "[currency] / [energy]",
}


class UnitParseError(ValueError):
    """A string that is not a quantity this registry understands."""


@functools.lru_cache(maxsize=None)
def dimensionality(expr: str):
    """The pint dimensionality of ``expr`` such as ``"[information] / [time]"``."""
    if expr in ("[]", ""):
        return ureg.dimensionless.dimensionality
    # "[energy]" is shorthand for the derived dimension of a joule.
    return ureg.get_dimensionality(expr.replace("[energy]", "([mass] * [length] ** 2 / [time] ** 2)"))


def _describe_dimension(dim) -> str:
    text = str(dim)
    return "dimensionless" if text in ("dimensionless", "") else text


def parse_quantity(value: Any) -> pint.Quantity:
    """Parse ``"989 TFLOP/s"``, ``{"value": 989, "unit": "TFLOP/s"}`` or a Quantity."""
    if isinstance(value, pint.Quantity):
        if value._REGISTRY is not ureg:
            return Quantity(value.magnitude, str(value.units))
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"value", "unit"}
        if unknown or "value" not in value:
            raise UnitParseError(
                f"a quantity mapping needs keys 'value' and 'unit', got {sorted(value)!r}"
            )
        magnitude = value["value"]
        if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float)):
            raise UnitParseError(f"quantity value must be a number, got {magnitude!r}")
        unit = value.get("unit") or "dimensionless"
        try:
            return Quantity(magnitude, unit)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError) as exc:
            raise UnitParseError(f"unknown unit {unit!r} ({exc})") from None
    if isinstance(value, str):
        try:
            quantity = Quantity(value)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError) as exc:
            raise UnitParseError(f"cannot read {value!r} as a quantity ({exc})") from None
        if not isinstance(quantity, pint.Quantity):
            quantity = Quantity(quantity)
        return quantity
    if isinstance(value, bool):
        raise UnitParseError(f"expected a quantity such as '80 GB', got {value!r}")
    if isinstance(value, (int, float)):
        return Quantity(value)
    raise UnitParseError(f"expected a quantity such as '80 GB', got {value!r}")


def check_unit(unit: str | None) -> str | None:
    """Return ``unit`` if the registry knows it (None passes), else raise ValueError."""
    if unit is not None:
        try:
            parse_quantity({"value": 1, "unit": unit})
        except UnitParseError as exc:
            raise ValueError(str(exc)) from None
    return unit


def check_dimension(quantity: pint.Quantity, expected: str) -> pint.Quantity:
    """Return ``quantity`` if it has dimension ``expected``, else raise ValueError."""
    want = dimensionality(expected)
    if quantity.dimensionality != want:
        raise ValueError(
            f"{quantity:~} has dimension {_describe_dimension(quantity.dimensionality)}, "
            f"expected {_describe_dimension(want)}"
        )
    return quantity


def _serialize(quantity: pint.Quantity) -> str:
    return f"{quantity.magnitude!r} {quantity.units:~}".rstrip()


@functools.lru_cache(maxsize=None)
def quantity_type(expected: str):
    """An annotated pydantic type for a Quantity of dimension ``expected``."""

    def validate(value: Any) -> pint.Quantity:
        try:
            quantity = parse_quantity(value)
        except UnitParseError as exc:
            raise ValueError(str(exc)) from None
        return check_dimension(quantity, expected)

    return Annotated[
        Any,
        BeforeValidator(validate),
        PlainSerializer(_serialize, return_type=str),
        WithJsonSchema({"type": "string", "description": f"a quantity of dimension {expected}"}),
    ]


def to_jsonable(value: Any) -> Any:
    """Quantities become {"value", "unit"} mappings; objects with to_dict are expanded."""
    if isinstance(value, pint.Quantity):
        magnitude = value.magnitude
        return {"value": float(magnitude) if magnitude == magnitude else None,
                "unit": f"{value.units:~}"}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, float) and value != value:
        return None
    return value
