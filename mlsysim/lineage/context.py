"""What the lineage gates check: one load of the Zoo plus the documents and tables to compare.

A :class:`GateContext` loads the catalog and every group once, collecting errors
instead of raising (one broken entry never hides the rest), so every gate sees the
same Zoo. The load's own errors are findings too; each is handed to the gate it
names (``invalid-entry``, ``invalid-record``, ``dangling-reference``) by
:meth:`GateContext.load_findings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..errors import SOURCE_ID, ZooError
from ..provenance import Provenance
from ..zoo.catalog import CATALOG_FILE
from ..zoo.registry import Zoo
from .causes import Causes
from .finding import Finding
from .policy import FreshnessPolicy

if TYPE_CHECKING:
    from .references import ReferenceIndex


@dataclass(frozen=True)
class Number:
    """One registry number as the audit loaded it."""

    path: str                        # canonical path, e.g. Hardware.Cloud.H100.memory.bandwidth
    field: str                       # the field within its entry ("value" for a bare number)
    provenance: Provenance | None
    record: Any


@dataclass
class GateContext:
    """Everything a gate may look at. Build one, call :meth:`load`, then run the gates."""

    zoo: Zoo
    as_of: dt.date
    policy: FreshnessPolicy
    #: Namespaces whose entries are checked (None: all); the whole Zoo is always loaded.
    scope: frozenset[str] | None = None
    #: Files and folders (.qmd, .md, .tex, .ipynb) whose registry paths gate 6 checks.
    documents: Sequence[Path] = ()
    #: Further (location, text) pairs gate 6 checks, e.g. a site's hand-written pages.
    texts: Sequence[tuple[str, str]] = ()
    #: The folder of committed appendix tables gate 7 compares with a fresh render (None: skip).
    appendix: Path | None = None
    #: The table declaration those tables were rendered from.
    appendix_tables: Path | None = None
    #: Set by :meth:`load` when nothing else can be checked (the catalog or manifest is broken).
    fatal: Finding | None = None
    causes: Causes = field(default_factory=Causes)
    loaded: dict[str, dict] = field(default_factory=dict)
    group_paths: frozenset[str] = frozenset()
    _load_findings: list[Finding] = field(default_factory=list)
    _claimed: set[str] = field(default_factory=set)

    def load(self) -> "GateContext":
        """Load the catalog and every group, collecting errors; sets ``fatal`` when the
        catalog or the namespace manifest cannot be read."""
        from ..zoo.loader import load_group

        try:
            catalog = self.zoo.catalog
        except ZooError as exc:
            self.fatal = Finding.from_error(exc)
            return self
        for record_id, exc in sorted(catalog.errors.items()):
            self._load_findings.append(Finding(_catalog_label(record_id, exc), "invalid-record",
                                               exc.problem, exc.fix or "fix the record"))
        try:
            groups = list(self.zoo.groups())
        except ZooError as exc:
            self.fatal = Finding.from_error(exc)
            return self
        self.group_paths = frozenset(g.path for g in groups if self.in_scope(g.path))
        for group in groups:
            errors: list[ZooError] = []
            self.loaded[group.path] = load_group(group.spec, self.zoo.data_root, catalog, errors)
            self._load_findings.extend(self.causes.add_group(
                group, self.loaded[group.path], errors, reported=group.path in self.group_paths))
        return self

    def in_scope(self, path: str) -> bool:
        return self.scope is None or path.split(".")[0] in self.scope

    @property
    def complete(self) -> bool:
        """Whether the whole Zoo is checked (no --scope)."""
        return self.scope is None

    @property
    def catalog(self):
        return self.zoo.catalog

    def load_findings(self, gate: str) -> list[Finding]:
        """The load errors that carry ``gate``; each is handed out once."""
        self._claimed.add(gate)
        return [finding for finding in self._load_findings if finding.gate == gate]

    def unclaimed_load_findings(self) -> list[Finding]:
        """Load errors under a gate no gate that ran asked for (never dropped)."""
        return [finding for finding in self._load_findings if finding.gate not in self._claimed]

    @cached_property
    def records(self) -> list:
        """The entries in scope, loaded."""
        return [record for path, records in self.loaded.items() if path in self.group_paths
                for record in records.values()]

    @cached_property
    def numbers(self) -> list[Number]:
        """Every number of the entries in scope, with the record it cites (if any)."""
        return [Number(f"{record.path}.{name}" if name else record.path, name or "value",
                       record.provenance_for(name or "value"), record)
                for record in self.records for name, _value in record.numbers()]

    @cached_property
    def all_numbers(self) -> dict[str, tuple]:
        """Canonical path -> (value, provenance) of every number the whole Zoo loaded."""
        return number_map(record for records in self.loaded.values() for record in records.values())

    @cached_property
    def references(self) -> "ReferenceIndex":
        """What document references (gate 6) resolve against."""
        from .references import ReferenceIndex

        return ReferenceIndex.from_loaded(self.zoo, self.loaded)

    def citing(self) -> Iterator[tuple[str, Provenance, list[str]]]:
        """(label, record, numbers citing it) for every catalog record and every inline
        record a number in scope cites."""
        catalog = self.catalog
        found: dict[str, tuple[Provenance, list[str]]] = {
            record_label(record): (record, []) for record in map(catalog.get, catalog)}
        for number in self.numbers:
            if number.provenance is not None:
                found.setdefault(record_label(number.provenance),
                                 (number.provenance, []))[1].append(number.path)
        for label, (record, paths) in found.items():
            yield label, record, paths


def number_map(records: Iterable) -> dict[str, tuple]:
    """Canonical number path -> (value, provenance) for every number of ``records``."""
    return {(f"{record.path}.{field}" if field else record.path):
            (value, record.provenance_for(field or "value"))
            for record in records for field, value in record.numbers()}


def record_label(provenance: Provenance) -> str:
    """Where a source record is: ``sources.yaml#id``, or ``inline record 'ref'``."""
    return f"{CATALOG_FILE}#{provenance.id}" if provenance.id else f"inline record '{provenance.ref}'"


def _catalog_label(record_id: str, exc: ZooError) -> str:
    """Where a bad catalog record is: ``sources.yaml#id``, or the file when the id itself is bad
    (an invalid id is never echoed as a location)."""
    if SOURCE_ID.fullmatch(record_id):
        return f"{CATALOG_FILE}#{record_id}"
    return exc.file or CATALOG_FILE
