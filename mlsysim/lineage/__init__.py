"""Lineage: the gates that keep every number traceable to a fresh, valid source."""

from .audit import audit_zoo
from .finding import Finding
from .policy import FreshnessPolicy

__all__ = ["Finding", "FreshnessPolicy", "audit_zoo"]
