"""Lineage: the gates that keep every number traceable to a fresh, valid source."""

from .audit import Finding, audit_zoo
from .policy import FreshnessPolicy

__all__ = ["Finding", "FreshnessPolicy", "audit_zoo"]
