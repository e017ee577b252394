"""Numeric formats: how many bytes one value takes.

These are the definitions of the formats (IEEE 754 binary32/binary16,
bfloat16, OCP FP8/FP6/FP4 (MX), 8- and 4-bit integers), not tunable parameters.
"""

from __future__ import annotations

from ..errors import InputError

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


def bytes_per_value(precision: str) -> float:
    """Bytes of one value at ``precision``; a clear error for an unknown precision."""
    try:
        return BYTES_PER_VALUE[precision]
    except (KeyError, TypeError):
        raise InputError(f"precision {precision!r} is not one mlsysim knows; use one of "
                         f"{', '.join(BYTES_PER_VALUE)}", name="precision", value=precision) from None


def optimizer_bytes(precision: str) -> float:
    """Adam optimizer state bytes per parameter when training at ``precision``."""
    return ADAM_BYTES_FP32 if bytes_per_value(precision) >= 4 else ADAM_BYTES_MIXED


def activation_bytes(precision: str) -> float:
    """Bytes of one cached key/value or activation when running at ``precision``."""
    return max(bytes_per_value(precision), MIN_ACTIVATION_BYTES)
