"""Gates 1-4 of the lineage audit over a Zoo, plus the data-quality gates.

1. missing provenance: a number with no source record;
2. invalid record: a record that breaks the kind rules, a bad date, an empty ref;
3. dangling reference: an unknown catalog id, a derived input that does not resolve;
4. expired verification: ``verified`` older than the freshness policy allows;

and the quality gates: "consistency" (references resolve, a fact stated in two
entries agrees) and "plausibility" (numbers within per-field bounds declared
in ``lineage/plausibility.yaml``).

Each finding is one line ``path: [gate] problem — fix``. Findings of severity
"warning" (numbers citing an evidence-backed record nobody has verified yet)
are reported but never fail the audit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import yaml

from ..errors import ZooError
from ..provenance import Provenance, ProvenanceKind
from ..zoo.catalog import CATALOG_FILE
from ..zoo.registry import Zoo
from .policy import FreshnessPolicy

if TYPE_CHECKING:
    from .references import Problem, ReferenceIndex

GATES = ("missing-provenance", "invalid-record", "dangling-reference", "expired-verification",
         "derived-drift", "document-reference", "appendix-drift",
         "invalid-entry", "consistency", "plausibility", "unverified")


@dataclass(frozen=True, order=True)
class Finding:
    """One broken link in a number's lineage."""

    path: str
    gate: str
    problem: str
    fix: str
    severity: str = "error"

    def line(self) -> str:
        return f"{self.path}: [{self.gate}] {self.problem} — {self.fix}"


@dataclass
class AuditReport:
    findings: list[Finding]
    numbers: int
    entries: int
    as_of: dt.date
    #: What document references are checked against (None when the Zoo did not load).
    references: "ReferenceIndex | None" = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def _load_error_finding(exc: ZooError) -> Finding:
    path = exc.entry or exc.file or "?"
    problem = exc.problem
    if exc.field:
        problem = f"field {exc.field}: {problem}"
    if exc.file and exc.entry:
        problem += f" (in {exc.file})"
    return Finding(path, exc.gate, problem, exc.fix or "fix the file and run the audit again")


def audit_zoo(zoo: Zoo, *, as_of: dt.date | None = None, scope: Iterable[str] | None = None,
              policy: FreshnessPolicy | None = None,
              documents: Sequence[Path] = ()) -> AuditReport:
    """Run gates 1-6 over every group in ``scope`` (namespace names; all when None).

    ``documents`` are files or folders (.qmd, .md, .tex, .ipynb) whose registry
    paths gate 6 checks.
    """
    as_of = as_of or dt.date.today()
    policy = policy or FreshnessPolicy.load()
    wanted = set(scope) if scope else None
    findings: list[Finding] = []

    try:
        catalog = zoo.catalog
    except ZooError as exc:
        return AuditReport([_load_error_finding(exc)], 0, 0, as_of)
    for record_id, exc in sorted(catalog.errors.items()):
        findings.append(Finding(f"{CATALOG_FILE}#{record_id}", "invalid-record", exc.problem,
                                exc.fix or "fix the record"))
    for record_id in catalog:
        record = catalog.get(record_id)
        if record.verified and record.verified > as_of:
            findings.append(Finding(
                f"{CATALOG_FILE}#{record_id}", "invalid-record",
                f"verified {record.verified.isoformat()} is after the as-of date {as_of.isoformat()}",
                "a verification date cannot be in the future; give the day the check was made"))

    try:
        groups = [g for g in zoo.groups() if wanted is None or g.path.split(".")[0] in wanted]
        group_paths = {g.path for g in groups}
    except ZooError as exc:
        return AuditReport(findings + [_load_error_finding(exc)], 0, 0, as_of)

    # Load every group once (collecting, not raising), so derived inputs resolve
    # against what the audit sees and one broken entry does not cascade.
    from ..zoo.loader import load_group

    loaded: dict[str, dict] = {}
    failed_entries: set[str] = set()
    for group in zoo.groups():
        errors: list[ZooError] = []
        loaded[group.path] = load_group(group.spec, zoo.data_root, catalog, errors)
        failed_entries.update(exc.entry for exc in errors if exc.entry)
        if group.path in group_paths:
            findings.extend(_load_error_finding(exc) for exc in errors)
    all_numbers = number_map(record for records in loaded.values() for record in records.values())
    known_numbers = set(all_numbers)

    numbers = entries = 0
    unverified: dict[str, list[str]] = {}
    for group in groups:
        for record in loaded[group.path].values():
            entries += 1
            uncovered = []
            for field, _value in record.numbers():
                numbers += 1
                path = f"{record.path}.{field}" if field else record.path
                provenance = record.provenance_for(field or "value")
                if provenance is None:
                    uncovered.append(field or "value")
                    continue
                findings.extend(_check_number(path, provenance, as_of, policy, known_numbers,
                                              failed_entries))
                if provenance.evidence_backed and provenance.verified is None:
                    unverified.setdefault(_record_label(provenance), []).append(path)
            if uncovered:
                findings.append(Finding(
                    record.path, "missing-provenance",
                    f"{len(uncovered)} number(s) have no provenance: {', '.join(uncovered)}",
                    "add 'provenance: <catalog id>' to the entry, or per-field sources under "
                    "'field_provenance'"))
    in_scope = [record for group in groups for record in loaded[group.path].values()]
    findings.extend(_quality_findings(zoo, loaded, in_scope))
    findings.extend(_drift_findings(zoo, in_scope, all_numbers, complete=wanted is None,
                                    failed_entries=frozenset(failed_entries)))
    from .references import ReferenceIndex, check_documents

    index = ReferenceIndex.from_loaded(zoo, loaded)
    findings.extend(reference_findings(check_documents(documents, index)))
    for label, paths in sorted(unverified.items()):
        findings.append(Finding(
            label, "unverified",
            f"{len(paths)} number(s) cite this evidence-backed record, which nobody has verified "
            f"yet (e.g. {paths[0]})",
            "check the numbers against the source and add 'verified: YYYY-MM-DD'", "warning"))
    return AuditReport(sorted(set(findings), key=lambda finding: finding.line()), numbers, entries,
                       as_of, index)


def _drift_findings(zoo: Zoo, in_scope: list, numbers: dict, *, complete: bool,
                    failed_entries: frozenset[str]) -> list[Finding]:
    """Gate 5: derived numbers whose inputs moved since the derivation was confirmed."""
    from .derived_lock import GATE, LOCK_FILE, check_drift, current_state, read_lock

    try:
        lock = read_lock(zoo.data_root)
    except (ValueError, yaml.YAMLError) as exc:
        return [Finding(str(zoo.data_root / LOCK_FILE), GATE, f"cannot be read: {exc}",
                        "run `mlsysim audit --lock-derived` to rewrite it")]
    state = current_state(in_scope, numbers)
    return check_drift(state, lock, zoo.data_root, complete=complete, failed_entries=failed_entries)


#: Gates whose errors mean the Zoo cannot be trusted to record derivations from.
BLOCKS_LOCK = ("invalid-entry", "invalid-record", "dangling-reference", "missing-provenance")


def lock_derived(zoo: Zoo) -> tuple[Path, int]:
    """Rewrite the Zoo's ``derived.lock`` from its current derived numbers and their inputs.

    Refuses (ZooError) while the Zoo has load, record or reference errors, since
    the lock would then record a broken state. Returns (file, derived numbers recorded).
    """
    from ..zoo.loader import load_group
    from .derived_lock import current_state, write_lock

    blocking = [f for f in audit_zoo(zoo).errors if f.gate in BLOCKS_LOCK]
    if blocking:
        raise ZooError(f"{len(blocking)} lineage error(s) must be fixed before the derived "
                       f"numbers can be locked, e.g. {blocking[0].line()}",
                       fix="run `mlsysim audit` and fix the errors it lists")
    loaded = [record for group in zoo.groups()
              for record in load_group(group.spec, zoo.data_root, zoo.catalog, []).values()]
    state = current_state(loaded, number_map(loaded))
    return write_lock(zoo.data_root, state), len(state)


def number_map(records: Iterable) -> dict[str, tuple]:
    """Canonical number path -> (value, provenance) for every number of ``records``."""
    return {(f"{record.path}.{field}" if field else record.path):
            (value, record.provenance_for(field or "value"))
            for record in records for field, value in record.numbers()}


def reference_findings(problems: Iterable["Problem"]) -> list[Finding]:
    """Gate 6 findings, one per stale reference, located at file:line."""
    return [Finding(p.reference.location, "document-reference", p.problem, p.fix) for p in problems]


def _quality_findings(zoo: Zoo, loaded: dict[str, dict], in_scope: list) -> list[Finding]:
    """The consistency and plausibility gates over the entries in scope."""
    from .consistency import check_consistency
    from .plausibility import check_plausibility, load_bounds

    paths = {record.path for record in in_scope}
    found = [Finding(path, "consistency", problem, fix)
             for path, problem, fix in check_consistency(zoo, loaded)
             if ".".join(path.split(".")[:3]) in paths]
    try:
        bounds = load_bounds()
    except ZooError as exc:
        return found + [_load_error_finding(exc)]
    found += [Finding(path, "plausibility", problem, fix)
              for path, problem, fix in check_plausibility(in_scope, bounds)]
    return found


def _record_label(provenance: Provenance) -> str:
    return f"{CATALOG_FILE}#{provenance.id}" if provenance.id else f"inline record '{provenance.ref}'"


def _check_number(path: str, provenance: Provenance, as_of: dt.date, policy: FreshnessPolicy,
                  known_numbers: set[str], failed_entries: set[str]) -> list[Finding]:
    found = []
    if provenance.kind is ProvenanceKind.DERIVED:
        for source in provenance.inputs:
            entry = ".".join(source.split(".")[:3])
            if source in known_numbers or entry in failed_entries:
                continue  # a failed entry is reported once, on its own line
            found.append(Finding(path, "dangling-reference",
                                 f"derived input {source} does not resolve to a registry number",
                                 "point 'inputs' at an existing registry number"))
    if provenance.evidence_backed and provenance.verified is not None:
        limit, rule = policy.max_age_days(provenance.kind, path)
        age = (as_of - provenance.verified).days
        if limit is not None and age > limit:
            found.append(Finding(
                path, "expired-verification",
                f"{_record_label(provenance)} was verified {provenance.verified.isoformat()}, "
                f"{age} days before {as_of.isoformat()}; the policy ({rule}) is exceeded",
                f"re-check the value against {provenance.url} and update 'verified'"))
    return found
