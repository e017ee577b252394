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
