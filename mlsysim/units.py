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
import math
import re
from pathlib import Path
from typing import Annotated, Any

import pint
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from .errors import MlsysimError, shown

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


class UnitParseError(MlsysimError, ValueError):
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


#: Longest quantity string read ("989 TFLOP/s" is 11). Longer text is refused before any
#: parsing, so no input can make the parser work hard.
MAX_QUANTITY_CHARS = 100
#: Largest magnitude accepted, in whatever unit it is written. The largest numbers in the Zoo
#: are training compute totals (~4e25 FLOP); 1e30 leaves four orders of magnitude above
#: them, and keeps products of two such numbers (1e60) far from float overflow (1e308).
MAX_MAGNITUDE = 1e30
_LIMIT = f"{MAX_MAGNITUDE:g}".replace("e+", "e")

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?"
_NAME = r"(?:[A-Za-z_µμ][A-Za-z0-9_µμ]*|%)"
_EXPONENT = r"(?:\s*(?:\^|\*\*)\s*[-+]?\d)?"          # one digit: ^2, **3, ^-1
_ATOM = rf"{_NAME}{_EXPONENT}"
_JOIN = r"(?:\s*[*/]\s*|\s+)"
_FACTOR = rf"(?:{_ATOM}|\(\s*{_ATOM}(?:{_JOIN}{_ATOM})*\s*\){_EXPONENT})"  # one level of ()
_UNIT = rf"(?:1\s*/\s*)?{_FACTOR}(?:{_JOIN}{_FACTOR})*"
_UNIT_TEXT = re.compile(rf"\s*{_UNIT}\s*")
_QUANTITY_TEXT = re.compile(rf"\s*(?P<number>{_NUMBER})(?:\s*(?P<unit>{_UNIT}))?\s*")
_FORM = ("write '<number> <unit>' such as '80 GB' or '989 TFLOP/s' (units joined by /, * or "
         "spaces, exponents such as ^2, one level of parentheses)")


def _too_long(text: str) -> UnitParseError:
    return UnitParseError(
        f"quantity {shown(text)} is longer than the limit of {MAX_QUANTITY_CHARS} characters "
        f"(MAX_QUANTITY_CHARS); {_FORM}")


def _describe_magnitude(number: Any) -> str:
    if isinstance(number, int) and not isinstance(number, bool) and abs(number) > 10 ** 60:
        return f"an integer of about {int(abs(number).bit_length() * 0.30103) + 1} digits"
    return shown(number)


def check_magnitude(number: Any, what: Any = None) -> Any:
    """``number`` if it is finite and at most MAX_MAGNITUDE in absolute value, else UnitParseError.

    ``what`` is the input to name in the message (the quantity text or mapping) when
    it is not the number itself. Integers of any size are compared without overflow.
    """
    label = "" if what is None else f" in {shown(what)}"
    if isinstance(number, float) and not math.isfinite(number):
        raise UnitParseError(f"{shown(number)}{label} is not a finite number (NaN and infinity "
                             f"are refused); give a finite number of magnitude at most "
                             f"{_LIMIT} (MAX_MAGNITUDE)")
    if abs(number) > MAX_MAGNITUDE:
        raise UnitParseError(f"{_describe_magnitude(number)}{label} exceeds the limit of "
                             f"{_LIMIT} in magnitude (MAX_MAGNITUDE); use a larger unit "
                             "(e.g. PB, not kB) or check for a typo")
    return number


def _parse_unit(unit: str, what: Any) -> pint.Unit:
    if len(unit) > MAX_QUANTITY_CHARS:
        raise _too_long(unit)
    if not _UNIT_TEXT.fullmatch(unit):
        raise UnitParseError(f"cannot read unit {shown(unit)}{_in(what, unit)}: {_FORM}")
    try:
        return ureg.parse_units(unit.strip())
    except pint.errors.UndefinedUnitError as exc:
        raise _unknown_unit(exc, what if what is not None else unit) from None
    except Exception as exc:  # noqa: BLE001 - the grammar keeps pint's input tame; any failure is a bad unit
        raise UnitParseError(f"cannot read unit {shown(unit)}{_in(what, unit)} "
                             f"({type(exc).__name__}); {_FORM}") from None


def _unknown_unit(exc: pint.errors.UndefinedUnitError, what: Any) -> UnitParseError:
    names = exc.unit_names if isinstance(exc.unit_names, (list, tuple)) else [exc.unit_names]
    return UnitParseError(f"cannot read {shown(what)} as a quantity (unknown unit "
                          f"{', '.join(shown(name) for name in names)}); use a unit such as GB, "
                          "TB/s, TFLOP/s, ms, W, USD/hour")


def _in(what: Any, unit: str) -> str:
    return "" if what is None or what == unit else f" in {shown(what)}"


def _parse_text(text: str) -> pint.Quantity:
    if len(text) > MAX_QUANTITY_CHARS:
        raise _too_long(text)
    match = _QUANTITY_TEXT.fullmatch(text)
    if not match:
        first = text.split()[0] if text.split() else ""
        try:
            special = float(first)
        except (ValueError, OverflowError):
            special = None
        if special is not None and not math.isfinite(special):
            check_magnitude(special, text)
        raise UnitParseError(f"cannot read {shown(text)} as a quantity: {_FORM}")
    check_magnitude(float(match.group("number")), text)
    # The text is now a bounded '<number> <unit>' of tame form, so pint's own reading is safe,
    # and it keeps pint's conventions (an integer stays one unless the unit divides).
    try:
        quantity = Quantity(text)
    except pint.errors.UndefinedUnitError as exc:
        raise _unknown_unit(exc, text) from None
    except Exception as exc:  # noqa: BLE001 - any other failure on tame text is a bad unit
        raise UnitParseError(f"cannot read {shown(text)} as a quantity "
                             f"({type(exc).__name__}); {_FORM}") from None
    if not isinstance(quantity, pint.Quantity):
        quantity = Quantity(quantity)
    # pint reads the words nan and inf as numbers in any case ('0 NAN'): check the result too.
    check_magnitude(quantity.magnitude, text)
    return quantity


def parse_quantity(value: Any) -> pint.Quantity:
    """Parse ``"989 TFLOP/s"``, ``{"value": 989, "unit": "TFLOP/s"}``, a number or a Quantity.

    Only '<number> <unit>' text at most MAX_QUANTITY_CHARS long reaches pint's parser (no
    operators on numbers, no nesting, one-digit exponents); NaN, infinity and magnitudes
    over MAX_MAGNITUDE are refused, in text, mappings, plain numbers and Quantities.
    Every failure is a one-line UnitParseError naming the value and the fix.
    """
    if isinstance(value, pint.Quantity):
        magnitude = value.magnitude
        if isinstance(magnitude, (int, float)) and not isinstance(magnitude, bool):
            check_magnitude(magnitude, value)
        if value._REGISTRY is not ureg:
            return Quantity(magnitude, _parse_unit(str(value.units), value))
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"value", "unit"}
        if unknown or "value" not in value:
            raise UnitParseError(
                f"a quantity mapping needs keys 'value' and 'unit', got {shown(sorted(map(str, value)))}; "
                "write e.g. {value: 80, unit: GB}"
            )
        magnitude = value["value"]
        if isinstance(magnitude, bool) or not isinstance(magnitude, (int, float)):
            raise UnitParseError(f"quantity value must be a number, got {shown(magnitude)}; "
                                 "write e.g. {value: 80, unit: GB}")
        check_magnitude(magnitude, value)
        unit = value.get("unit")
        if unit is None or unit == "":
            return Quantity(magnitude)
        if not isinstance(unit, str):
            raise UnitParseError(f"quantity unit must be text such as 'GB', got {shown(unit)}")
        return Quantity(magnitude, _parse_unit(unit, unit))
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, bool):
        raise UnitParseError(f"expected a quantity such as '80 GB', got {value!r}")
    if isinstance(value, (int, float)):
        return Quantity(check_magnitude(value))
    raise UnitParseError(f"expected a quantity such as '80 GB', got {shown(value)}")


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
