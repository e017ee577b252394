"""Numeric formats: how many bytes one value takes.

These are the definitions of the formats (IEEE 754 binary32/binary16,
bfloat16, OCP FP8/FP6/FP4 (MX), 8- and 4-bit integers), not tunable parameters.
"""

from __future__ import annotations

import functools

from ..errors import InputError, shown

#: Bytes per stored value for each precision Engine.solve accepts.
BYTES_PER_VALUE = {
    "fp32": 4.0,
    "tf32": 4.0,   # stored as fp32; only the tensor-core math is reduced
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "fp6": 0.75,
    "fp4": 0.5,
    "int8": 1.0,
    "int4": 0.5,
}

#: Bytes per cached key/value and activation: the weight format, but at least one byte
#: (4-bit formats quantize weights; caches and activations stay at 8 bits or more in practice).
MIN_ACTIVATION_BYTES = 1.0

#: Adam state per parameter in bytes: fp32 master copy, first and second moment (4 + 4 + 4) when
#: the weights are kept in a narrower format; only the two moments when weights are fp32.
#: Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models", 2020.
ADAM_BYTES_MIXED = 12.0
ADAM_BYTES_FP32 = 8.0


#: Weight-only quantization by its usual name (GPTQ, AWQ): weights stored in the first format,
#: dequantized in registers, math (and activations, KV cache) in the second.
WEIGHT_ONLY = {"w4a16": ("int4", "fp16"), "w8a16": ("int8", "fp16")}

#: What ``precision`` may be, for error messages.
ACCEPTED_FORMS = ("one of " + ", ".join(BYTES_PER_VALUE) + ", a weight-only pair "
                  + " or ".join(WEIGHT_ONLY) + ", or WEIGHTS/MATH such as 'int4/bf16'")
EXAMPLE = "e.g. precision='w4a16': 4-bit weights, math at the fp16 peak"


def _pair_error(precision: str, why: str) -> InputError:
    return InputError(f"precision {shown(precision)} {why}; use {ACCEPTED_FORMS} ({EXAMPLE})",
                      name="precision", value=precision)


@functools.lru_cache(maxsize=256)
def _formats(precision: str) -> tuple[str, str]:
    if precision in BYTES_PER_VALUE:
        return precision, precision
    if precision in WEIGHT_ONLY:
        return WEIGHT_ONLY[precision]
    if precision.count("/") != 1:
        if precision[:1] == "w" and "a" in precision:
            raise _pair_error(precision, "is not a weight-only pair mlsysim knows")
        raise _pair_error(precision, "is not one mlsysim knows")
    weights, math = (part.strip() for part in precision.split("/"))
    for part in (weights, math):
        if part not in BYTES_PER_VALUE:
            raise _pair_error(precision, f"names {part!r}, not a format mlsysim knows")
    if BYTES_PER_VALUE[weights] > BYTES_PER_VALUE[math]:
        raise _pair_error(precision, f"stores weights ({weights}) wider than its math ({math}); "
                                     "the weights format comes first and is the narrower")
    return weights, math


def formats(precision: str) -> tuple[str, str]:
    """(weight format, math format) of ``precision``: "fp16" is (fp16, fp16); a weight-only pair
    "w4a16" is (int4, fp16) and "int4/bf16" is (int4, bf16): weights are stored (and read) at
    the first, the math runs at the second's dense peak. InputError for anything else."""
    if not isinstance(precision, str):
        raise InputError(f"precision must be text, got {type(precision).__name__} "
                         f"{shown(precision)}; use {ACCEPTED_FORMS} ({EXAMPLE})",
                         name="precision", value=precision)
    return _formats(precision)


def weight_only_note(precision: str) -> str:
    """The trace line of a weight-only pair: what is stored at which width, what computes."""
    stored, math = formats(precision)
    return (f"Precision {precision}: weights stored as {stored} ({BYTES_PER_VALUE[stored]:g} B "
            f"each), math, activations and KV cache at {math} (its dense peak); the "
            "dequantization work is not modeled")


def is_known(precision) -> bool:
    """Whether ``precision`` is a format or a pair mlsysim models."""
    try:
        formats(precision)
    except InputError:
        return False
    return True


def math_format(precision: str) -> str:
    """The format whose dense peak the math runs at."""
    return precision if precision in BYTES_PER_VALUE else formats(precision)[1]


def bytes_per_value(precision: str) -> float:
    """Bytes of one stored weight at ``precision`` (its weight format); a clear error for an
    unknown precision."""
    stored = BYTES_PER_VALUE.get(precision) if type(precision) is str else None
    return stored if stored is not None else BYTES_PER_VALUE[formats(precision)[0]]


def optimizer_bytes(precision: str) -> float:
    """Adam optimizer state bytes per parameter when training at ``precision``."""
    return ADAM_BYTES_FP32 if bytes_per_value(precision) >= 4 else ADAM_BYTES_MIXED


def activation_bytes(precision: str) -> float:
    """Bytes of one cached key/value or activation when running at ``precision``: the math
    format's, at least one byte (weight-only quantization leaves the KV cache at 16 bits)."""
    return max(bytes_per_value(math_format(precision)), MIN_ACTIVATION_BYTES)
