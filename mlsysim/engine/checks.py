"""Checks of solver arguments: the one home of input validation for the engine, the solvers,
scenario evaluation and the command line (registry names, counts, shares, quantities, precision).

Each failure is an :class:`~mlsysim.errors.InputError` whose message names the argument,
the value it got (cut to a readable length), the limit and the fix. Types are checked
before values, so a string, ``None`` or a huge integer never reaches pint, NumPy or a float
conversion (which would raise a bare TypeError or OverflowError from deep inside).
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

# `show` is the one echo of a bad value in messages (errors.shown), under the name the
# checks use.
from ..errors import InputError, PrecisionError, UnknownNameError
from ..errors import shown as show
from .precision import BYTES_PER_VALUE, EXAMPLE, formats, is_known, math_format

#: Largest count (batch size, sequence length, parallel size, device count) accepted: 2**53,
#: the largest whole number a float holds exactly. Counts become floats inside the solvers.
MAX_COUNT = 2 ** 53

def _kind(value: Any) -> str:
    """``'8' (text)`` or ``None``: the value with its type when the type is the problem."""
    if value is None:
        return "None"
    kind = "text" if isinstance(value, str) else type(value).__name__
    return f"{show(value)} ({kind})"


def is_number(value: Any) -> bool:
    """A real number (int, float, NumPy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and \
        type(value).__name__ not in ("bool_", "bool")


def check_count(value: Any, name: str = "batch_size", *, limit: int = MAX_COUNT) -> int:
    """``value`` as a whole number in [1, ``limit``], else InputError naming ``name``."""
    if type(value) is int and 1 <= value <= limit:  # the common case, fast
        return value
    if not is_number(value) or not isinstance(value, numbers.Integral):
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
            fix = f"pass {name}={value.strip()} (a number, not text)"
        elif is_number(value) and math.isfinite(value) and value >= 1 and float(value).is_integer():
            fix = f"pass {name}={int(value)}"
        else:
            fix = f"pass e.g. {name}=1"
        raise InputError(f"{name} must be a whole number >= 1, got {_kind(value)}; {fix}",
                         name=name, value=value)
    count = int(value)
    if count < 1:
        raise InputError(f"{name} must be a whole number >= 1, got {show(value)}; "
                         f"pass e.g. {name}=1", name=name, value=value)
    if count > limit:
        raise InputError(f"{name} must be at most {limit:,}, got {show(value)}; "
                         f"pass a smaller {name}", name=name, value=value)
    return count


def check_fraction(value: Any, name: str) -> float:
    """``value`` as a share in (0, 1] (an efficiency or utilization), else InputError."""
    if type(value) is float and 0 < value <= 1:  # the common case, fast
        return value
    if not is_number(value) or not 0 < value <= 1:  # NaN fails the comparison too
        got = _kind(value) if not is_number(value) else show(value)
        raise InputError(f"{name} must be in (0, 1] (a share of peak), got {got}; "
                         f"e.g. {name}=0.5 means half of peak", name=name, value=value)
    return float(value)


def check_share(value: Any, name: str, what: str, example: str = "0.1") -> float:
    """``value`` as a share in [0, 1] (``what`` says of what), else InputError."""
    if not is_number(value) or not 0 <= value <= 1:
        got = _kind(value) if not is_number(value) else show(value)
        raise InputError(f"{name} must be in [0, 1], got {got}: it is {what}; e.g. "
                         f"{name}={example}", name=name, value=value)
    return float(value)


def check_flag(value: Any, name: str) -> bool:
    """``value`` as a bool; only True or False (a string such as 'no' would read as True)."""
    if value is True or value is False:
        return value
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return bool(value)
    raise InputError(f"{name} must be True or False, got {_kind(value)}; pass {name}=True or "
                     f"{name}=False (text such as 'no' is not read as False)",
                     name=name, value=value)


def check_quantity(value: Any, unit: str, name: str, *, allow_zero: bool = False) -> float:
    """``value`` (a number in ``unit``, a Quantity or a string such as "2 TB/s") as a float
    in ``unit``; InputError naming the input when the dimension is wrong or it is not a
    positive, finite number."""
    import pint

    from ..units import UnitParseError, parse_quantity

    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or value is None:
        raise InputError(f"{name} must be a number in {unit} or a quantity such as '1 {unit}', "
                         f"got {_kind(value)}", name=name, value=value)
    try:
        if is_number(value):
            magnitude = float(value)
        else:
            quantity = parse_quantity(value)
            magnitude = float(quantity.m_as(unit))
    except (UnitParseError, pint.errors.DimensionalityError) as exc:
        raise InputError(f"{name} must be a quantity convertible to {unit} (e.g. '1 {unit}'), "
                         f"got {show(value)}: {exc}", name=name, value=value) from None
    except (OverflowError, TypeError, ValueError, pint.errors.PintError):
        magnitude = math.nan  # too large for a float, or not a number at all
    if not math.isfinite(magnitude) or not (magnitude > 0 or (allow_zero and magnitude == 0)):
        raise InputError(f"{name} must be finite and {bound} {unit}, got {show(value)}",
                         name=name, value=value)
    return magnitude


def usable_precisions(chip: Any) -> list[str]:
    """The precisions ``chip`` lists a peak for that mlsysim can model (knows the size of)."""
    return [p for p in chip.peaks if p in BYTES_PER_VALUE]


def check_precision(chip: Any, precision: Any) -> str:
    """``precision`` if mlsysim models it and ``chip`` lists the peak of its math format; else
    InputError (unknown, a malformed weight-only pair, or not text) or PrecisionError (the chip
    lists no such peak), naming only precisions that work."""
    if type(precision) is str and precision in chip.peaks and precision in BYTES_PER_VALUE:
        return precision  # the common case, fast
    usable = usable_precisions(chip)
    listed = ", ".join(usable) or "none that mlsysim models"
    if not isinstance(precision, str) or not is_known(precision):
        if isinstance(precision, str) and ("/" in precision or precision[:1] == "w"):
            formats(precision)  # raises the pair's own message
        got = _kind(precision) if not isinstance(precision, str) else show(precision)
        raise InputError(f"precision {got} is not one mlsysim knows; use one of {listed} (the "
                         f"ones {chip.name} supports) or a weight-only pair such as w4a16 "
                         f"({EXAMPLE})", name="precision", value=precision)
    math = math_format(precision)
    if math not in chip.peaks:
        hint = ""
        if math in ("int4", "int8") and "fp16" in chip.peaks:
            hint = (f"; for {math[3:]}-bit weights with fp16 math (weight-only quantization) "
                    f"use precision='w{math[3:]}a16'")
        which = f" for the math of {precision!r}" if math != precision else ""
        raise PrecisionError(
            f"{chip.name} lists no {math} peak{which} (it supports: {listed}); choose one of "
            f"those precisions{hint}. mlsysim does not silently fall back to another precision",
            name="precision", value=precision)
    return precision


def check_context(seq_len: int, w: Any, name: str = "seq_len") -> int:
    """``seq_len`` if it fits the model's context window (when the Zoo lists one)."""
    context = w.context_length
    if context == context and seq_len > context:  # NaN: no listed context length
        raise InputError(f"{name}={seq_len} exceeds {w.name}'s context length of "
                         f"{int(context):,} tokens; use {name} <= {int(context)}",
                         name=name, value=seq_len)
    return seq_len


def check_tensor_parallel(tp: int, w: Any, *, per_node: int | None = None,
                          node: str = "", name: str = "tp_size") -> int:
    """``tp`` if it splits ``w``'s attention heads evenly and stays inside one node.

    ``per_node`` is how many accelerators the node holds (None: not known); ``node`` names it.
    """
    limit = per_node if per_node is not None else (w.heads or tp)
    valid = [d for d in range(1, limit + 1) if not w.heads or w.heads % d == 0]
    if per_node is not None and tp > per_node:
        raise InputError(f"{name}={tp} exceeds the {per_node} accelerators of one node "
                         f"({node}); tensor parallelism stays inside a node's scale-up link, "
                         f"so use one of {', '.join(map(str, valid))}", name=name, value=tp)
    if w.heads and w.heads % tp:
        raise InputError(f"{name}={tp} does not divide {w.name}'s {w.heads} attention heads, so "
                         f"they cannot be split evenly over the GPUs; use one of "
                         f"{', '.join(map(str, valid))}", name=name, value=tp)
    return tp


@functools.lru_cache(maxsize=None)
def largest_node(hardware_path: str) -> tuple[int, str] | None:
    """(accelerators, path) of the largest scale-up domain in the Zoo built from the accelerator
    at ``hardware_path``: a ``Systems.Nodes`` entry, or a rack-scale ``Systems.Racks`` entry
    that names its accelerator. None when the Zoo has neither."""
    from ..zoo.registry import default_zoo

    zoo = default_zoo()
    found: list[tuple[int, str]] = []
    for group, size_field in (("Systems.Nodes", "accelerators_per_node"),
                              ("Systems.Racks", "accelerators_per_rack")):
        try:
            records = zoo.resolve(group).records()
        except (LookupError, ValueError):
            continue
        for record in records.values():
            size = getattr(record, size_field, None)
            if getattr(record, "accelerator", None) == hardware_path and size:
                found.append((int(size), record.path))
    return min(found, key=lambda item: (-item[0], item[1])) if found else None


_RESOLVED: dict[tuple[str, str], Any] = {}

#: Longest registry name or path ``resolve_entry`` looks up; longer text is refused at once.
MAX_NAME_LENGTH = 200


def resolve_entry(value: Any, namespace: str, argument: str) -> Any:
    """A registry entry from an object or a name ("H100", "Hardware.Cloud.H100")."""
    if not isinstance(value, str):
        return value
    key = (namespace, value)
    entry = _RESOLVED.get(key)
    if entry is None:
        from ..zoo.registry import default_zoo

        if len(value) > MAX_NAME_LENGTH:
            raise UnknownNameError(
                f"{argument}: {show(value)} is not a {namespace} name or path (those are at "
                f"most {MAX_NAME_LENGTH} characters); list them with `mlsysim zoo {namespace}`",
                name=value)
        zoo = default_zoo()
        try:
            path = zoo.lookup(value, namespaces=(namespace,))
        except UnknownNameError as exc:
            message = str(exc).replace(repr(value), show(value))  # cut a long echoed name
            raise type(exc)(f"{argument}: {message}", name=exc.name,
                            suggestions=exc.suggestions) from None
        entry = zoo.resolve(path)
        _RESOLVED[key] = entry
    return entry


def peak_for(chip, precision: str) -> tuple[float, str]:
    """(peak rate, unit) of ``precision`` on ``chip``; InputError for a precision mlsysim does not
    know, PrecisionError when the chip lists none (naming the precisions it supports)."""
    check_precision(chip, precision)
    math = math_format(precision)  # a weight-only pair runs its math at the second format's peak
    return chip.peaks[math], ("OP/s" if math.startswith("int") else "FLOP/s")
