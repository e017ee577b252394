"""The status of one number, as its badge shows it: Verified, Stale, Unverified, Derived, ..."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from ..provenance import Provenance, ProvenanceKind
from .policy import FreshnessPolicy


class Status(str, Enum):
    VERIFIED = "Verified"          # evidence-backed, checked within the freshness policy
    STALE = "Stale"                # evidence-backed, checked too long ago
    UNVERIFIED = "Unverified"      # evidence-backed, never checked
    DERIVED = "Derived"
    ESTIMATE = "Estimate"
    CONVENTION = "Convention"
    ILLUSTRATIVE = "Illustrative"
    HEURISTIC = "Heuristic"
    MISSING = "Missing"            # no provenance at all (fails the audit)

    def __str__(self) -> str:
        return self.value

    @property
    def symbol(self) -> str:
        """A short mark for tables where colour is unavailable (print, LaTeX)."""
        return SYMBOLS[self.value]

    @property
    def css_class(self) -> str:
        return f"badge-{self.value.lower()}"

    @property
    def meaning(self) -> str:
        return MEANINGS[self.value]


#: One letter per status: tables in print and LaTeX show these, with a legend.
SYMBOLS = {
    "Verified": "V", "Stale": "S", "Unverified": "U", "Derived": "D", "Estimate": "E",
    "Convention": "C", "Illustrative": "I", "Heuristic": "H", "Missing": "?",
}

MEANINGS = {
    "Verified": "checked against the cited source within the freshness policy",
    "Stale": "checked against the cited source, but longer ago than the policy allows",
    "Unverified": "cites a datasheet, paper or report that nobody has checked it against yet",
    "Derived": "computed from other Zoo numbers, which it names",
    "Estimate": "an estimate; its notes say how it was made",
    "Convention": "a convention or definition, not a measurement",
    "Illustrative": "an illustrative value for teaching, not a measurement",
    "Heuristic": "a rule of thumb",
    "Missing": "no provenance at all (the audit fails)",
}


_BY_KIND = {
    ProvenanceKind.DERIVED: Status.DERIVED,
    ProvenanceKind.ESTIMATE: Status.ESTIMATE,
    ProvenanceKind.CONVENTION: Status.CONVENTION,
    ProvenanceKind.ILLUSTRATIVE: Status.ILLUSTRATIVE,
    ProvenanceKind.HEURISTIC: Status.HEURISTIC,
}


def status_of(provenance: Provenance | None, path: str, *, as_of: dt.date,
              policy: FreshnessPolicy) -> Status:
    """The badge of the number at ``path`` with this provenance, on ``as_of``."""
    if provenance is None:
        return Status.MISSING
    if not provenance.evidence_backed:
        return _BY_KIND[provenance.kind]
    if provenance.verified is None:
        return Status.UNVERIFIED
    limit, _ = policy.max_age_days(provenance.kind, path)
    if limit is not None and (as_of - provenance.verified).days > limit:
        return Status.STALE
    return Status.VERIFIED
