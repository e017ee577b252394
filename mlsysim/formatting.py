"""How mlsysim writes a number: one set of rules for traces, the CLI, the site, the appendix
and notebooks.

Two kinds of number are written, and each has one function:

- A **stated** number is a value the Zoo holds as its source states it (989.5 TFLOP/s,
  70553706496 parameters). It is written with every digit it has, up to
  :data:`STATED_DIGITS` significant digits, so a reader sees the source's precision and
  never a rounded twin (989.5 is never 990 anywhere).
- A **computed** number is a model's output (12.35 ms, 1,234 tCO2e). It is written to
  :data:`SIGNIFICANT_DIGITS` significant digits, the precision a first-order model can
  claim, with an SI prefix picked to fit when it has a unit.

Both keep every digit left of the decimal point (12,346, not 1.235e4), group thousands from
:data:`GROUP_MIN_DIGITS` integer digits on (70,553,706,496; 1979 stays 1979), never write
float noise (0.30000000000000004) and use exponent notation only outside
[:data:`TINY`, :data:`HUGE`).
"""

from __future__ import annotations

import math
from typing import Any

#: Significant digits of a computed number.
SIGNIFICANT_DIGITS = 4

#: Most significant digits a stated number is written with: more than any datasheet or paper
#: in the Zoo gives, fewer than float noise needs.
STATED_DIGITS = 6

#: Integer parts of at least this many digits are grouped in threes (131,072); shorter ones
#: (1979, a year or a peak) are left as they are.
GROUP_MIN_DIGITS = 5

#: Magnitudes at or above HUGE, or below TINY (and not zero), are written in exponent
#: notation: grouped digits stop helping a reader there.
HUGE = 1e21
TINY = 1e-6

#: SI prefixes a computed quantity may take, largest first.
_PREFIXES = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"),
             (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"))

#: Units a computed quantity is written in with an SI prefix picked to fit (12.3 ms, 5.68 TB).
COMPACTED_UNITS = {"s", "B", "B / s", "B/s", "W", "J", "FLOP", "FLOP / s", "FLOP/s"}

#: Units whose small values read better one step down (a microcontroller's year is 0.56 kWh,
#: not 0.0005563 MWh): the largest unit giving a magnitude of at least 1 is used.
LADDERS = {"MWh": ("MWh", "kWh", "Wh"), "tCO2e": ("tCO2e", "kgCO2e", "gCO2e")}


#: How a value its source gives only as a bound is written: "less than 10 minutes" is
#: ``≤ 10 min``, "higher than 90%" is ``≥ 0.9``.
BOUND_MARKS = {"upper": "≤ ", "lower": "≥ "}


def bounded(text: str, bound: str | None) -> str:
    """``text`` (a written number) marked as an upper or lower bound when ``bound`` says so."""
    return BOUND_MARKS.get(bound or "", "") + text


def group_digits(text: str) -> str:
    """``"131072"`` -> ``"131,072"``: the integer part of a written number grouped in threes
    when it has at least GROUP_MIN_DIGITS digits; anything else is returned as it is."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    integer, dot, fraction = body.partition(".")
    if len(integer) >= GROUP_MIN_DIGITS and integer.isdigit():
        integer = f"{int(integer):,}"
    return f"{sign}{integer}{dot}{fraction}"


def number(value: Any, significant: int = SIGNIFICANT_DIGITS, *, group: bool = True) -> str:
    """``value`` to ``significant`` significant digits (every integer digit kept), without
    trailing zeros; integers in full. ``group=False`` leaves thousands ungrouped (LaTeX's
    siunitx groups them itself)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        text = str(value)
        return group_digits(text) if group else text
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= HUGE or magnitude < TINY:
        mantissa, _, exponent = f"{value:.{significant - 1}e}".partition("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    decimals = max(0, significant - 1 - math.floor(math.log10(magnitude)))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return group_digits(text) if group else text


def stated(value: Any, *, group: bool = True) -> str:
    """A value as its source states it: all its digits (up to STATED_DIGITS significant)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < HUGE:
        value = int(value)
    return number(value, STATED_DIGITS, group=group)


def unit_text(quantity: Any, *, compact: bool = False) -> str:
    """The unit of a pint Quantity in its short form (``TFLOP/s``, ``GB``); ``compact=True``
    drops the spaces pint puts around ``/`` and ``*``."""
    text = f"{quantity.units:~}"
    return text.replace(" ", "") if compact else text


def stated_quantity(value: Any) -> str:
    """A stated value with its unit as the source gives it (``989.5 TFLOP/s``)."""
    import pint

    if isinstance(value, pint.Quantity):
        return f"{stated(value.magnitude)} {unit_text(value, compact=True)}".rstrip()
    return stated(value) if isinstance(value, (int, float)) else str(value)


def quantity(value: Any) -> str:
    """A computed value: SIGNIFICANT_DIGITS digits and, for the units in COMPACTED_UNITS, an SI
    prefix picked to fit (``12.35 ms``, ``5.68 TB``); LADDERS units step down when small."""
    import pint

    if isinstance(value, pint.Quantity):
        unit = unit_text(value)
        if value.magnitude and math.isfinite(value.magnitude):
            if unit in COMPACTED_UNITS:
                value = value.to_compact()
            elif unit in LADDERS:
                value = _climb(value, LADDERS[unit])
        return f"{number(value.magnitude)} {unit_text(value, compact=True)}".rstrip()
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def si(value: float, unit: str) -> str:
    """``si(3.35e12, "B/s")`` -> ``"3.35 TB/s"``: a computed number of a base unit with an SI
    prefix, for traces (no pint needed). Seconds of at least 1 stay in seconds."""
    if value != value:  # NaN
        return f"unknown {unit}"
    magnitude = abs(value)
    if magnitude == 0 or (unit == "s" and magnitude >= 1.0):
        return f"{number(value)} {unit}"
    for scale, prefix in _PREFIXES:
        if magnitude >= scale:
            return f"{number(value / scale)} {prefix}{unit}"
    return f"{number(value)} {unit}"


def _climb(value: Any, ladder: tuple[str, ...]) -> Any:
    for unit in ladder:
        converted = value.to(unit)
        if abs(converted.magnitude) >= 1:
            return converted
    return converted


#: What joins the two ends of a range its source states (``25,000–30,000 USD``): an en dash,
#: as in print; a minus sign never follows it directly (``-5 – -1`` keeps spaces).
RANGE_DASH = "–"


def stated_range(low: Any, high: Any, *, group: bool = True) -> str:
    """A range as its source states it: both ends with all their digits (as :func:`stated`),
    joined by :data:`RANGE_DASH`, the shared unit once (``25,000–30,000 USD``,
    ``1.3–2.6 nJ``, ``0.1–0.3``). Quantity ends in different units are written in the low
    end's unit."""
    import pint

    unit = ""
    if isinstance(low, pint.Quantity):
        unit = unit_text(low, compact=True)
        high = high.to(low.units) if isinstance(high, pint.Quantity) else high
        low, high = low.magnitude, getattr(high, "magnitude", high)
    return f"{join_range(stated(low, group=group), stated(high, group=group))} {unit}".rstrip()


def join_range(low: str, high: str) -> str:
    """Two written ends as one range: ``25,000–30,000``; spaced when an end is negative."""
    dash = f" {RANGE_DASH} " if low.startswith("-") or high.startswith("-") else RANGE_DASH
    return f"{low}{dash}{high}"


def read_range(text: str) -> tuple[float, float, str]:
    """The inverse of :func:`stated_range` on its own output: ``"25,000–30,000 USD"`` ->
    ``(25000.0, 30000.0, "USD")``. ValueError when ``text`` is not a written range."""
    body, dash, rest = text.partition(f" {RANGE_DASH} ")
    if not dash:
        body, dash, rest = text.partition(RANGE_DASH)
    if not dash:
        raise ValueError(f"{text!r} is not a range: no {RANGE_DASH!r} between two numbers")
    high, _, unit = rest.partition(" ")
    return float(body.replace(",", "")), float(high.replace(",", "")), unit
