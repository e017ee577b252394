"""The one small hierarchy of mlsysim errors.

Every message names the input, the value, the limit and the fix, so a user
never has to read a traceback from deep inside to know what went wrong.
"""

from __future__ import annotations

import math
import re

#: How much of a bad input an error message echoes; longer inputs are cut with their length named.
ECHO_LIMIT = 60

#: The one pattern of catalog source ids (``nvidia-h100-datasheet``, ``mlperf-inference-v4.1``).
#: Ids become file names on the site, so no slash, no leading dot, bounded length.
SOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
#: The one pattern of entry keys, group and namespace names (``H100``, ``Llama3_70B``): ASCII
#: Python identifiers, since they are attribute names in Python and page names on the site.
ENTRY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


#: Integers with more bits than this are described by their number of digits, not echoed
#: (Python refuses to print integers of more than 4,300 digits at all).
ECHO_BITS = 192


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters with the full length
    named; a huge integer is described by its number of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > ECHO_BITS:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits:,} digits"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(text)} characters)"


class MlsysimError(Exception):
    """Base class of every error mlsysim raises on purpose."""


class ZooError(MlsysimError, ValueError):
    """A registry file or entry that cannot be loaded."""

    def __init__(self, problem: str, *, file: str | None = None, entry: str | None = None,
                 field: str | None = None, fix: str | None = None, gate: str = "invalid-entry"):
        self.problem = problem
        self.gate = gate
        self.file = file
        self.entry = entry
        self.field = field
        self.fix = fix
        where = ", ".join(
            part for part in (
                f"file {file}" if file else "",
                f"entry {entry}" if entry else "",
                f"field {field}" if field else "",
            ) if part
        )
        message = f"{where}: {problem}" if where else problem
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class UnknownNameError(MlsysimError, LookupError):
    """A short or canonical registry name that resolves to nothing."""

    def __init__(self, message: str, *, name: str, suggestions: tuple[str, ...] = ()):
        self.name = name
        self.suggestions = suggestions
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would quote the message otherwise
        return self.args[0]


class AmbiguousNameError(UnknownNameError):
    """A short name that matches entries in more than one namespace."""


class InputError(MlsysimError, ValueError):
    """A solver argument outside its allowed range; the message names the input, value and fix."""

    def __init__(self, message: str, *, name: str = "", value: object = None):
        super().__init__(message)
        self.name = name
        self.value = value


class PrecisionError(InputError):
    """The chip lists no peak rate for the requested precision."""


class OOMError(MlsysimError):
    """The workload does not fit in the device's memory (``raise_errors=True``)."""

    def __init__(self, message: str, *, required: float = 0.0, available: float = 0.0):
        super().__init__(message)
        self.required = required
        self.available = available
