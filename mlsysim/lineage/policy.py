"""The freshness policy (gate 4), read from ``freshness.yaml`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..provenance import ProvenanceKind

POLICY_FILE = Path(__file__).with_name("freshness.yaml")


@dataclass(frozen=True)
class FreshnessPolicy:
    """Maximum age of a verification in days, per kind, with namespace-prefix overrides."""

    kinds: dict[str, int]
    namespaces: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> "FreshnessPolicy":
        import yaml

        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kinds = {str(k): int(v) for k, v in (raw.get("kinds") or {}).items()}
        unknown = set(kinds) - {kind.value for kind in ProvenanceKind}
        if unknown:
            raise ValueError(f"{path}: unknown provenance kinds {sorted(unknown)} in the policy")
        namespaces = {str(k): int(v) for k, v in (raw.get("namespaces") or {}).items()}
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
