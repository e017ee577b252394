"""Gates 1-4 of the lineage audit over a Zoo, plus the data-quality gates.

1. missing provenance: a number with no source record;
2. invalid record: a record that breaks the kind rules, a bad date, an empty ref;
3. dangling reference: an unknown catalog id, a derived input that does not resolve;
4. expired verification: ``verified`` older than the freshness policy allows;

and the quality gates: "consistency" (references resolve, a fact stated in two
entries agrees), "plausibility" (numbers within per-field bounds declared
in ``lineage/plausibility.yaml``) and "copy-source" (a verified record's ``url``
is the primary source, not a host known to hold copies, listed in
``lineage/copy_hosts.yaml``).

Each finding is one line ``path: [gate] problem — fix``. Findings of severity
"warning" (numbers citing an evidence-backed record nobody has verified yet)
are reported but never fail the audit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import yaml

from ..errors import SOURCE_ID, ZooError
from ..provenance import Provenance, ProvenanceKind
from ..zoo.catalog import CATALOG_FILE
from ..zoo.registry import NAMESPACES, Zoo
from .policy import FreshnessPolicy

if TYPE_CHECKING:
    from .references import Problem, ReferenceIndex

GATES = ("missing-provenance", "invalid-record", "dangling-reference", "expired-verification",
         "derived-drift", "document-reference", "appendix-drift",
         "invalid-entry", "consistency", "plausibility", "copy-source", "unverified")


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
        findings.append(Finding(_catalog_label(record_id, exc), "invalid-record", exc.problem,
                                exc.fix or "fix the record"))
    for record_id in catalog:
        record = catalog.get(record_id)
        if record.verified and record.verified > as_of:
            findings.append(Finding(
                f"{CATALOG_FILE}#{record_id}", "invalid-record",
                f"verified {record.verified.isoformat()} is after the as-of date {as_of.isoformat()}",
                "a verification date cannot be in the future; give the day the check was made"))
        if record.retrieved and record.retrieved > as_of and not (
                record.verified and record.verified > as_of):  # one line per record
            findings.append(Finding(
                f"{CATALOG_FILE}#{record_id}", "invalid-record",
                f"retrieved {record.retrieved.isoformat()} is after the as-of date "
                f"{as_of.isoformat()}", "give the day the source or its copy was read"))

    try:
        groups = [g for g in zoo.groups() if wanted is None or g.path.split(".")[0] in wanted]
        group_paths = {g.path for g in groups}
    except ZooError as exc:
        return AuditReport(findings + [_load_error_finding(exc)], 0, 0, as_of)

    # Load every group once (collecting, not raising), so derived inputs resolve
    # against what the audit sees and one broken entry does not cascade.
    from ..zoo.loader import load_group

    loaded: dict[str, dict] = {}
    causes = _Causes()
    for group in zoo.groups():
        errors: list[ZooError] = []
        loaded[group.path] = load_group(group.spec, zoo.data_root, catalog, errors)
        findings.extend(causes.add_group(group, loaded[group.path], errors,
                                         reported=group.path in group_paths))
    failed_entries = causes.failed_entries()
    all_numbers = number_map(record for records in loaded.values() for record in records.values())
    known_numbers = set(all_numbers)

    numbers = entries = 0
    unverified: dict[str, list[str]] = {}
    citing: dict[str, tuple[Provenance, list[str]]] = {
        _record_label(record): (record, []) for record in map(catalog.get, catalog)}
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
                findings.extend(_check_number(path, provenance, as_of, policy, known_numbers))
                citing.setdefault(_record_label(provenance), (provenance, []))[1].append(path)
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
    findings.extend(_copy_findings(citing))
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
    findings = causes.collapse(findings, zoo)
    return AuditReport(sorted(set(findings), key=lambda finding: finding.line()), numbers, entries,
                       as_of, index)


def _catalog_label(record_id: str, exc: ZooError) -> str:
    """Where a bad catalog record is: ``sources.yaml#id``, or the file when the id itself is bad
    (an invalid id is never echoed as a location)."""
    if SOURCE_ID.fullmatch(record_id):
        return f"{CATALOG_FILE}#{record_id}"
    return exc.file or CATALOG_FILE


class _Causes:
    """Root causes of load failures, so each is reported once and not buried.

    One bad file knocks out an entry (or a whole group stored as one file); every
    reference into it (a derived input, a document path, an entry's ``hardware:``, a key
    of a ``keyed_by`` group) then fails too. Those follow-on findings are dropped and
    counted on the root cause's line.
    """

    def __init__(self) -> None:
        self.broken: dict[str, str] = {}        # entry or group path -> root key
        self.roots: dict[str, Finding] = {}     # root key -> its finding
        self.unreported: set[str] = set()       # roots in groups outside the audit's scope
        self.counts: dict[str, int] = {}        # root key -> follow-ons dropped

    def add_group(self, group, loaded: dict, errors: list[ZooError], *,
                  reported: bool) -> list[Finding]:
        """Record a group's load errors; returns the findings to report for it."""
        out = []
        for exc in errors:
            finding = _load_error_finding(exc)
            key = exc.entry or (group.path if not loaded else None)
            if key is not None:
                self.broken.setdefault(key, key)
                self.roots.setdefault(key, finding)
                if not reported:
                    self.unreported.add(key)
            if reported:
                out.append(finding)
        return out

    def failed_entries(self) -> set[str]:
        return set(self.broken)

    def _follow_on(self, root: str) -> None:
        self.counts[root] = self.counts.get(root, 0) + 1

    def cause_of(self, finding: Finding, zoo: Zoo) -> str | None:
        """The root key a finding follows from, or None when it stands on its own."""
        if not self.broken:
            return None
        for path in [finding.path, *_PATH_IN_TEXT.findall(finding.problem)]:
            parts = path.split(".")
            for length in (3, 2):
                root = self.broken.get(".".join(parts[:length]))
                if root is not None and len(parts) >= length:
                    return root
            if len(parts) >= 2 and parts[0] in NAMESPACES:  # Scenarios.SmartDoorbell (flat)
                root = self._broken_flat_group(zoo, parts[0], parts[1])
                if root is not None:
                    return root
        keyed = _KEYED_BY.match(finding.problem)
        if keyed:  # "'H100' names no Hardware entry": the entry (or its group) failed to load
            key, namespace = keyed.groups()
            for path, root in self.broken.items():
                parts = path.split(".")
                if parts[0] == namespace and (len(parts) == 2 or parts[-1] == key):
                    return root
        return None

    def _broken_flat_group(self, zoo: Zoo, namespace: str, name: str) -> str | None:
        try:
            space = zoo.namespace(namespace)
        except Exception:  # noqa: BLE001 - the manifest error is reported on its own
            return None
        if name in space:
            return None
        for group in space.groups.values():
            if group.spec.flat and group.path in self.broken:
                return self.broken[group.path]
        return None

    def collapse(self, findings: list[Finding], zoo: Zoo) -> list[Finding]:
        """``findings`` without follow-ons; each root's line counts those it caused."""
        root_lines = {finding: key for key, finding in self.roots.items()}
        kept = []
        for finding in findings:
            if finding in root_lines:
                kept.append(finding)
                continue
            root = self.cause_of(finding, zoo)
            if root is None or root not in self.roots:
                kept.append(finding)
            elif finding.severity == "error" or root in self.unreported:
                self._follow_on(root)
        out = []
        for finding in kept:
            key = root_lines.get(finding)
            count = self.counts.pop(key, 0) if key is not None else 0
            out.append(_with_count(finding, count))
        for key, count in sorted(self.counts.items()):  # roots outside the audited scope
            if count and key in self.roots:
                root = self.roots[key]
                out.append(Finding(root.path, root.gate, f"{count} finding(s) in the audited "
                                   f"scope follow from this error outside it: {root.problem}",
                                   root.fix, root.severity))
        return out


def _with_count(finding: Finding, count: int) -> Finding:
    if not count:
        return finding
    return Finding(finding.path, finding.gate,
                   f"{finding.problem} ({count} other finding(s) follow from this one and are "
                   "left out until it is fixed)", finding.fix, finding.severity)


_PATH_IN_TEXT = re.compile(r"(?<![\w])(?:mlsysim\.)?((?:" + "|".join(NAMESPACES)
                           + r")\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
_KEYED_BY = re.compile(r"'(\w+)' names no (\w+) entry")


def _drift_findings(zoo: Zoo, in_scope: list, numbers: dict, *, complete: bool,
                    failed_entries: frozenset[str]) -> list[Finding]:
    """Gate 5: derived numbers whose inputs moved since the derivation was confirmed."""
    from .derived_lock import GATE, LOCK_FILE, check_drift, current_state, read_lock

    try:
        lock = read_lock(zoo.data_root)
    except (ValueError, yaml.YAMLError) as exc:
        problem = exc.problem if isinstance(exc, ZooError) else " ".join(str(exc).split())
        return [Finding(str(zoo.data_root / LOCK_FILE), GATE, f"cannot be read: {problem}",
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
             for path, problem, fix in check_consistency(_LoadedZoo(zoo, loaded), loaded)
             if ".".join(path.split(".")[:3]) in paths]
    try:
        bounds = load_bounds()
    except ZooError as exc:
        return found + [_load_error_finding(exc)]
    found += [Finding(path, "plausibility", problem, fix)
              for path, problem, fix in check_plausibility(in_scope, bounds)]
    return found


def _copy_findings(citing: dict[str, tuple[Provenance, list[str]]]) -> list[Finding]:
    """The copy-source gate over every catalog record and every inline record in scope."""
    from .copies import GATE, check_copies, load_copy_hosts

    try:
        hosts = load_copy_hosts()
    except ZooError as exc:
        return [_load_error_finding(exc)]
    records = ((label, record, paths) for label, (record, paths) in citing.items())
    return [Finding(label, GATE, problem, fix) for label, problem, fix in check_copies(records, hosts)]


class _LoadedGroup:
    """A group as the audit loaded it: bad entries left out, never reloaded (which would raise)."""

    def __init__(self, group, records: dict):
        self.spec, self.path, self._records = group.spec, group.path, records

    def keys(self) -> list[str]:
        return list(self._records)

    def records(self) -> dict:
        return dict(self._records)


class _LoadedZoo:
    """The Zoo seen through what the audit loaded, for the checks that walk its groups."""

    def __init__(self, zoo: Zoo, loaded: dict[str, dict]):
        self._zoo, self._loaded = zoo, loaded
        self.data_root = zoo.data_root

    def groups(self):
        for group in self._zoo.groups():
            yield _LoadedGroup(group, self._loaded.get(group.path, {}))


def _record_label(provenance: Provenance) -> str:
    return f"{CATALOG_FILE}#{provenance.id}" if provenance.id else f"inline record '{provenance.ref}'"


def _check_number(path: str, provenance: Provenance, as_of: dt.date, policy: FreshnessPolicy,
                  known_numbers: set[str]) -> list[Finding]:
    found = []
    if provenance.kind is ProvenanceKind.DERIVED:
        for source in provenance.inputs:
            if source in known_numbers:
                continue  # an input in an entry that failed to load is folded into its line
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
                f"re-check the value against {provenance.url}"
                + (f" (or the copy at {provenance.evidence_url})" if provenance.evidence_url else "")
                + " and update 'verified'"))
    return found
