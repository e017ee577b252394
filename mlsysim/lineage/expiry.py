"""Verifications falling due: which Verified numbers the freshness policy will turn Stale soon.

One computation for the status page (its "Expiring" list), the site build's summary and
``mlsysim audit`` (one warning line each), so the three always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ..provenance import Provenance
from .policy import FreshnessPolicy
from .status import Status, status_of

#: Verifications falling due within this many days are listed and warned about.
EXPIRY_HORIZON_DAYS = 180


@dataclass(frozen=True)
class Due:
    """A Verified number whose verification falls due within the horizon."""

    path: str
    verified: dt.date
    due: dt.date


def due_date(record: Provenance | None, path: str,
             policy: FreshnessPolicy) -> tuple[dt.date | None, str]:
    """(the date the verification of the number at ``path`` expires, the policy rule), or
    (None, "") when it has no verification or no age limit."""
    if record is None or not record.verified:
        return None, ""
    days, rule = policy.max_age_days(record.kind, path)
    return (record.verified + dt.timedelta(days=days), rule) if days is not None else (None, "")


def falling_due(numbers: Iterable[tuple[str, Provenance | None]], *, as_of: dt.date,
                policy: FreshnessPolicy, horizon_days: int = EXPIRY_HORIZON_DAYS) -> list[Due]:
    """The Verified numbers among (path, provenance) pairs whose verification falls due by
    ``as_of + horizon_days``, soonest first (then by path)."""
    horizon = as_of + dt.timedelta(days=horizon_days)
    found = []
    for path, record in numbers:
        due, _ = due_date(record, path, policy)
        if (due is not None and due <= horizon
                and status_of(record, path, as_of=as_of, policy=policy) is Status.VERIFIED):
            found.append(Due(path, record.verified, due))
    return sorted(found, key=lambda item: (item.due, item.path))


def warning_line(due: list[Due], horizon_days: int = EXPIRY_HORIZON_DAYS) -> str | None:
    """The one warning line about ``due`` (None when nothing falls due)."""
    if not due:
        return None
    first = due[0]
    count = f"{len(due)} verified number{'s fall' if len(due) != 1 else ' falls'}"
    return (f"{count} due for re-verification within {horizon_days} days (first: {first.path} "
            f"on {first.due.isoformat()}); see the status page")
