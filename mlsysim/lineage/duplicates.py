"""One fact, one home: the same cited fact entered twice, in two groups, from two sources.

Scalar entries (a cited number each: Literature, ReferenceStats, Systems.Reliability, ...)
are facts a chapter quotes. When one fact lives in two groups (Meta's 54-day Llama 3
reliability window once in ``Systems.Reliability`` from the paper and once elsewhere from
a news report), the two copies drift apart, and a reader cannot tell which is the Zoo's.
Two scalars are taken for one fact when their values are equal (in base units), they sit
in different groups, their provenance records differ, and their names share at least
:data:`NAME_OVERLAP` of their words (``Llama3SnapshotDuration`` and
``Llama3_SnapshotDuration`` share all of theirs; ``AwsFleetWue2021`` and
``MicrosoftFleetWue2021`` do not reach it).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from typing import Any, Iterable, Iterator

from .finding import WARNING, Finding

#: Share of name words two scalars must share (Jaccard index) to be taken for one fact.
NAME_OVERLAP = 0.75

#: Values equal to this relative tolerance are equal (unit conversions leave float noise).
VALUE_TOLERANCE = 1e-9

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_words(key: str) -> frozenset[str]:
    """The words of an entry key: ``Llama3_SnapshotDuration`` -> llama, 3, snapshot, duration."""
    return frozenset(word.lower() for word in _WORD.findall(key))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """The Jaccard index of two word sets (0 when both are empty)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def group_and_name(path: str) -> tuple[str, str]:
    """The group and the fact's name of a scalar's number path: ``Literature.Training.MfuHigh``
    -> (``Literature.Training``, ``MfuHigh``); a range end ``Infrastructure.Pricing.
    H100Purchase2023.range.low`` -> (``Infrastructure.Pricing``, ``H100Purchase2023_low``),
    so the end is compared under its entry's name and its own."""
    head, _, last = path.rpartition(".")
    if head.endswith(".range") and last in ("low", "high"):
        group, _, key = head.removesuffix(".range").rpartition(".")
        return group, f"{key}_{last}"
    return head, last


def duplicate_facts(scalars: Iterable[tuple[str, Any, Any]]) -> Iterator[Finding]:
    """A finding per pair of scalars that look like one fact entered twice.

    ``scalars`` yields (path, value, provenance) with ``value`` a number or a pint Quantity.
    """
    by_dimension: dict[str, list[tuple[str, float, frozenset[str], str]]] = defaultdict(list)
    for path, value, provenance in scalars:
        if hasattr(value, "to_base_units"):
            base = value.to_base_units()
            magnitude, dimension = float(base.magnitude), str(base.units)
        else:
            magnitude, dimension = float(value), ""
        record = (provenance.id or provenance.ref) if provenance is not None else ""
        by_dimension[dimension].append((path, magnitude, name_words(group_and_name(path)[1]),
                                        record))
    for entries in by_dimension.values():
        for a, b in itertools.combinations(sorted(entries), 2):
            if group_and_name(a[0])[0] == group_and_name(b[0])[0] or a[3] == b[3]:
                continue
            if not math.isclose(a[1], b[1], rel_tol=VALUE_TOLERANCE):
                continue
            if overlap(a[2], b[2]) < NAME_OVERLAP:
                continue
            yield Finding(b[0], "duplicate-fact",
                          f"holds the same value as {a[0]} under a name of the same words, "
                          f"cited from a different source ({b[3]} vs {a[3]})",
                          "keep the fact in one home: remove one of them (point what uses it "
                          "at the other), or rename it if it is a different fact",
                          WARNING)
