"""The lineage gates, as objects, and the one ordered list of them.

A gate has a stable ``name`` (the id printed in each finding, ``[derived-drift]``;
tests, CI filters and users rely on it), a ``number`` for the seven lineage gates
people refer to by number, a ``title`` saying when it fails, and ``check(context)``
yielding :class:`~mlsysim.lineage.finding.Finding` objects. ``runs(context)`` says
whether the gate has anything to check (gate 6 needs documents, gate 7 a folder of
committed appendix tables).

:data:`GATES` is the only place the gates and their order are written down: the
audit runs them in this order, and the audit's summary line, the site build's
progress messages and summary, and the guide page's table all follow it. A new
gate is one class here and one entry in :data:`GATES`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Iterable, Iterator, Sequence

from ..errors import ZooError
from ..provenance import ProvenanceKind
from ..zoo.catalog import CATALOG_FILE
from .context import GateContext, record_label
from .finding import WARNING, Finding


class Gate(ABC):
    """One lineage gate. Subclasses set ``name`` and ``title`` and implement ``check``."""

    name: ClassVar[str]
    title: ClassVar[str]
    number: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for attribute in ("name", "title"):
            if not isinstance(getattr(cls, attribute, None), str) or not getattr(cls, attribute):
                raise TypeError(f"lineage gate {cls.__name__} needs a {attribute} (a non-empty "
                                "string); the name is the id printed in its findings")

    def runs(self, context: GateContext) -> bool:
        """Whether there is anything for this gate to check in ``context``."""
        return True

    @abstractmethod
    def check(self, context: GateContext) -> Iterable[Finding]:
        """The findings of this gate over ``context`` (already loaded)."""

    @property
    def label(self) -> str:
        """``'5 derived-drift'`` for a numbered gate, else its name."""
        return f"{self.number} {self.name}" if self.number is not None else self.name

    def __repr__(self) -> str:
        return f"<gate {self.label}>"


class MissingProvenance(Gate):
    name, number = "missing-provenance", 1
    title = "a registry number has no source record"

    def check(self, context: GateContext) -> Iterator[Finding]:
        uncovered: dict[str, list[str]] = {}
        for number in context.numbers:
            if number.provenance is None:
                uncovered.setdefault(number.record.path, []).append(number.field)
        for path, fields in uncovered.items():
            yield Finding(path, self.name,
                          f"{len(fields)} number(s) have no provenance: {', '.join(fields)}",
                          "add 'provenance: <catalog id>' to the entry, or per-field sources "
                          "under 'field_provenance'")


class InvalidRecord(Gate):
    name, number = "invalid-record", 2
    title = ("a record breaks the kind rules (evidence needs a link, an estimate needs notes), "
             "a date is not a date or lies after the as-of date, an id is not an identifier")

    def check(self, context: GateContext) -> Iterator[Finding]:
        yield from context.load_findings(self.name)
        as_of = context.as_of
        catalog = context.catalog
        for record_id in catalog:
            record = catalog.get(record_id)
            where = f"{CATALOG_FILE}#{record_id}"
            if record.verified and record.verified > as_of:
                yield Finding(where, self.name,
                              f"verified {record.verified.isoformat()} is after the as-of date "
                              f"{as_of.isoformat()}", "a verification date cannot be in the "
                              "future; give the day the check was made")
            elif record.retrieved and record.retrieved > as_of:  # one line per record
                yield Finding(where, self.name,
                              f"retrieved {record.retrieved.isoformat()} is after the as-of date "
                              f"{as_of.isoformat()}", "give the day the source or its copy was read")


class DanglingReference(Gate):
    name, number = "dangling-reference", 3
    title = "a record id or a derived input path does not resolve"

    def check(self, context: GateContext) -> Iterator[Finding]:
        yield from context.load_findings(self.name)
        known = context.all_numbers
        for number in context.numbers:
            if number.provenance is None or number.provenance.kind is not ProvenanceKind.DERIVED:
                continue
            for source in number.provenance.inputs:
                if source not in known:  # an input in an entry that failed to load is folded
                    yield self._unresolved(context, number.path, source)

    def _unresolved(self, context: GateContext, path: str, source: str) -> Finding:
        """The finding for an input that is no number: an alias or a whole range is named
        as such, with the canonical end paths to use instead."""
        group, _, key = source.rpartition(".")
        record = context.loaded.get(group, {}).get(key)
        if getattr(record, "range", None) is not None:
            return Finding(path, self.name, f"derived input {source} is a range, not one number",
                           f"name the end(s) it is computed from: {source}.range.low, "
                           f"{source}.range.high")
        for candidate in context.loaded.get(group, {}).values():
            target = getattr(candidate, "alias_targets", dict)().get(key)
            if target:
                return Finding(path, self.name, f"derived input {source} is an alias of "
                               f"{candidate.path}.{target}, kept for old code; a derivation "
                               "names the number's own path", f"write {candidate.path}.{target}")
        return Finding(path, self.name, f"derived input {source} does not resolve to a registry "
                       "number", "point 'inputs' at an existing registry number")


class ExpiredVerification(Gate):
    name, number = "expired-verification", 4
    title = "a verification is older than the freshness policy allows for its kind"

    def check(self, context: GateContext) -> Iterator[Finding]:
        for number in context.numbers:
            provenance = number.provenance
            if provenance is None or not provenance.evidence_backed or provenance.verified is None:
                continue
            limit, rule = context.policy.max_age_days(provenance.kind, number.path)
            age = (context.as_of - provenance.verified).days
            if limit is not None and age > limit:
                copy = f" (or the copy at {provenance.evidence_url})" if provenance.evidence_url else ""
                yield Finding(
                    number.path, self.name,
                    f"{record_label(provenance)} was verified {provenance.verified.isoformat()}, "
                    f"{age} days before {context.as_of.isoformat()}; the policy ({rule}) is exceeded",
                    f"re-check the value against {provenance.url}{copy} and update 'verified'")


class DerivedDrift(Gate):
    name, number = "derived-drift", 5
    title = ("an input of a derived number changed after the number was checked "
             "(`mlsysim audit --lock-derived` records a re-check)")

    def check(self, context: GateContext) -> list[Finding]:
        import yaml

        from .derived_lock import LOCK_FILE, check_drift, current_state, read_lock

        try:
            lock = read_lock(context.zoo.data_root)
        except (ValueError, yaml.YAMLError) as exc:
            problem = exc.problem if isinstance(exc, ZooError) else " ".join(str(exc).split())
            return [Finding(str(context.zoo.data_root / LOCK_FILE), self.name,
                            f"cannot be read: {problem}",
                            "run `mlsysim audit --lock-derived` to rewrite it")]
        state = current_state(context.records, context.all_numbers)
        return check_drift(state, lock, context.zoo.data_root, complete=context.complete,
                           failed_entries=frozenset(context.causes.failed_entries()))


class DocumentReference(Gate):
    name, number = "document-reference", 6
    title = "a chapter, notebook or page names a Zoo path that no longer resolves"

    def runs(self, context: GateContext) -> bool:
        return bool(context.documents or context.texts)

    def check(self, context: GateContext) -> list[Finding]:
        from .references import check_documents, check_texts

        problems = check_documents(context.documents, context.references)
        problems += check_texts(context.texts, context.references)
        return reference_findings(problems)


class AppendixDrift(Gate):
    name, number = "appendix-drift", 7
    title = "committed appendix tables differ from what the Zoo renders now"

    def runs(self, context: GateContext) -> bool:
        return context.appendix is not None

    def check(self, context: GateContext) -> list[Finding]:
        from ..appendix.drift import appendix_drift
        from ..appendix.tables import DECLARATION_FILE
        from ..errors import MlsysimError

        tables = context.appendix_tables or DECLARATION_FILE
        try:
            findings, _diffs = appendix_drift(context.appendix, context.zoo, as_of=context.as_of,
                                              tables_file=tables)
        except MlsysimError as exc:
            return [Finding(str(tables), self.name,
                            f"the appendix tables cannot be rendered: {exc}",
                            "fix the table declaration (or the Zoo entries it names)")]
        return findings


class InvalidEntry(Gate):
    name = "invalid-entry"
    title = "a Zoo file does not load: a bad field, unit, type or YAML"

    def check(self, context: GateContext) -> list[Finding]:
        return context.load_findings(self.name)


class Consistency(Gate):
    name = "consistency"
    title = ("entries disagree: a reference to another entry does not resolve, or a fact stated "
             "in two entries differs")

    def check(self, context: GateContext) -> Iterator[Finding]:
        from .consistency import check_consistency

        paths = {record.path for record in context.records}
        for path, problem, fix in check_consistency(_LoadedZoo(context), context.loaded):
            if ".".join(path.split(".")[:3]) in paths:
                yield Finding(path, self.name, problem, fix)


class Plausibility(Gate):
    name = "plausibility"
    title = "a number lies outside the bounds declared for its field (lineage/plausibility.yaml)"

    def check(self, context: GateContext) -> list[Finding]:
        from .plausibility import check_plausibility, load_bounds

        try:
            bounds = load_bounds()
        except ZooError as exc:
            return [Finding.from_error(exc)]
        return [Finding(path, self.name, problem, fix)
                for path, problem, fix in check_plausibility(context.records, bounds)]


class CopySource(Gate):
    name = "copy-source"
    title = ("a verified record's url is a host known to hold copies (lineage/copy_hosts.yaml), "
             "not the primary source")

    def check(self, context: GateContext) -> list[Finding]:
        from .copies import check_copies, load_copy_hosts

        try:
            hosts = load_copy_hosts()
        except ZooError as exc:
            return [Finding.from_error(exc)]
        return [Finding(label, self.name, problem, fix)
                for label, problem, fix in check_copies(context.citing(), hosts)]


class Unverified(Gate):
    name = "unverified"
    title = "numbers cite an evidence-backed record nobody has verified yet (a warning only)"

    def check(self, context: GateContext) -> Iterator[Finding]:
        unverified: dict[str, list[str]] = {}
        for number in context.numbers:
            provenance = number.provenance
            if provenance is not None and provenance.evidence_backed and provenance.verified is None:
                unverified.setdefault(record_label(provenance), []).append(number.path)
        for label, paths in sorted(unverified.items()):
            yield Finding(label, self.name,
                          f"{len(paths)} number(s) cite this evidence-backed record, which nobody "
                          f"has verified yet (e.g. {paths[0]})",
                          "check the numbers against the source and add 'verified: YYYY-MM-DD'",
                          WARNING)


class DuplicateFact(Gate):
    name = "duplicate-fact"
    title = ("a cited fact is entered twice, in two groups from two sources (lineage/duplicates.py; "
             "a warning only)")

    def check(self, context: GateContext) -> Iterator[Finding]:
        from ..zoo.scalar import ScalarEntry
        from .duplicates import duplicate_facts

        return duplicate_facts((number.path, number.record.quantity(number.field), number.provenance)
                               for number in context.numbers
                               if isinstance(number.record, ScalarEntry))


#: Every lineage gate, in the order the audit runs them and every list of them is shown.
GATES: tuple[Gate, ...] = (
    MissingProvenance(), InvalidRecord(), DanglingReference(), ExpiredVerification(),
    DerivedDrift(), DocumentReference(), AppendixDrift(),
    InvalidEntry(), Consistency(), Plausibility(), CopySource(), DuplicateFact(), Unverified(),
)


def gate_names(gates: Sequence[Gate] | None = None) -> tuple[str, ...]:
    """The names of ``gates`` (default: all of :data:`GATES`), in order."""
    return tuple(gate.name for gate in (GATES if gates is None else gates))


def describe(gates: Sequence[Gate]) -> str:
    """``'1 missing-provenance, 2 invalid-record, ..., copy-source'``: the gates, in order."""
    return ", ".join(gate.label for gate in gates)


def in_order(names: Iterable[str]) -> list[str]:
    """Gate names in the order of :data:`GATES` (names it does not know last, sorted)."""
    order = {name: index for index, name in enumerate(gate_names())}
    return sorted(set(names), key=lambda name: (order.get(name, len(order)), name))


def reference_findings(problems: Iterable) -> list[Finding]:
    """Gate 6 findings, one per stale reference, located at file:line."""
    return [Finding(p.reference.location, DocumentReference.name, p.problem, p.fix)
            for p in problems]


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

    def __init__(self, context: GateContext):
        self._zoo, self._loaded = context.zoo, context.loaded
        self.data_root = context.zoo.data_root

    def groups(self):
        for group in self._zoo.groups():
            yield _LoadedGroup(group, self._loaded.get(group.path, {}))
