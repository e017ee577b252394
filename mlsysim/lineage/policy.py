"""The freshness policy (gate 4), read from ``freshness.yaml`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ZooError, shown
from ..provenance import ProvenanceKind

POLICY_FILE = Path(__file__).with_name("freshness.yaml")
#: Longest verification lifetime a policy may give, in days (a century).
MAX_DAYS = 36_500


@dataclass(frozen=True)
class FreshnessPolicy:
    """Maximum age of a verification in days, per kind, with namespace-prefix overrides."""

    kinds: dict[str, int]
    namespaces: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> "FreshnessPolicy":
        """Read a policy file; ZooError naming the file, the key and the value when it is wrong."""
        from ..zoo.yaml_io import read_yaml

        file = str(path)
        raw = read_yaml(path) or {}
        if not isinstance(raw, Mapping) or set(raw) - {"kinds", "namespaces"}:
            raise ZooError("the freshness policy must map 'kinds' and 'namespaces' to days",
                           file=file, fix="keep only the keys 'kinds' and 'namespaces'")
        kinds = _days(raw.get("kinds"), "kinds", file)
        unknown = set(kinds) - {kind.value for kind in ProvenanceKind}
        if unknown:
            raise ZooError(f"unknown provenance kinds {shown(sorted(unknown))} in the policy",
                           file=file, fix="use kinds of DESIGN.md §4: "
                           + ", ".join(kind.value for kind in ProvenanceKind))
        namespaces = _days(raw.get("namespaces"), "namespaces", file)
        return cls(kinds=kinds, namespaces=namespaces)

    def max_age_days(self, kind: ProvenanceKind, path: str) -> tuple[int | None, str]:
        """(limit in days, which rule set it) for a number at ``path``; None if no limit applies."""
        best = None
        for prefix, days in self.namespaces.items():
            if path == prefix or path.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, days)
        if best is not None:
            return best[1], f"{best[0]} allows {best[1]} days"
        days = self.kinds.get(kind.value)
        return days, f"{kind.value} allows {days} days"


def _days(section: Any, name: str, file: str) -> dict[str, int]:
    """A ``name: days`` section of the policy, each a whole number of days in 0..MAX_DAYS."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ZooError(f"'{name}' must map names to days, got {shown(section)}", file=file,
                       field=name, fix="write one 'name: days' line per rule")
    days = {}
    for key, value in section.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise ZooError(f"{shown(value)} is not a number of days from 0 to {MAX_DAYS}",
                           file=file, field=f"{name}.{key}",
                           fix="give a whole number of days, e.g. 1095 for three years")
        days[str(key)] = value
    return days
