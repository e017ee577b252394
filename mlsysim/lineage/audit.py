"""The lineage audit: every gate of :data:`mlsysim.lineage.gates.GATES`, in order, over one
load of the Zoo.

The gates are listed, numbered and described in :mod:`mlsysim.lineage.gates`; this
module runs them over a :class:`~mlsysim.lineage.context.GateContext`, folds follow-on
findings into their root cause (:mod:`mlsysim.lineage.causes`) and sorts what is left.

Each finding is one line ``path: [gate] problem — fix``. Findings of severity
"warning" (numbers citing an evidence-backed record nobody has verified yet)
are reported but never fail the audit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from ..errors import ZooError
from ..zoo.registry import Zoo
from . import gates as _gates
from .context import GateContext, number_map
from .expiry import Due, falling_due, warning_line
from .finding import Finding
from .policy import FreshnessPolicy

if TYPE_CHECKING:
    from .gates import Gate
    from .references import ReferenceIndex


@dataclass
class AuditReport:
    findings: list[Finding]
    numbers: int
    entries: int
    as_of: dt.date
    #: What document references are checked against (None when the Zoo did not load).
    references: "ReferenceIndex | None" = None
    #: The gates that ran, in order (empty when the Zoo did not load).
    gates: "tuple[Gate, ...]" = ()
    #: Verified numbers whose verification falls due within EXPIRY_HORIZON_DAYS, soonest first.
    due: "list[Due]" = field(default_factory=list)

    def due_warning(self) -> str | None:
        """One line about the numbers falling due for re-verification soon (None if none)."""
        return warning_line(self.due)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def passed(self) -> str:
        """``'12 lineage gates (1 missing-provenance, ..., unverified)'``: what ran, in order."""
        return f"{len(self.gates)} lineage gates ({_gates.describe(self.gates)})"


def audit_zoo(zoo: Zoo, *, as_of: dt.date | None = None, scope: Iterable[str] | None = None,
              policy: FreshnessPolicy | None = None, documents: Sequence[Path] = (),
              texts: Sequence[tuple[str, str]] = (), appendix: Path | None = None,
              appendix_tables: Path | None = None,
              progress: Callable[[str], None] = lambda step: None) -> AuditReport:
    """Run every gate of ``GATES`` that has something to check, over the groups in ``scope``
    (namespace names; all when None).

    ``documents`` are files or folders (.qmd, .md, .tex, .ipynb) and ``texts``
    (location, text) pairs whose registry paths gate 6 checks; ``appendix`` is a
    folder of committed tables gate 7 compares with a fresh render of
    ``appendix_tables`` (default: the shipped declaration). ``progress`` is told
    each gate as it starts.
    """
    context = GateContext(
        zoo, as_of or dt.date.today(), policy or FreshnessPolicy.load(),
        scope=frozenset(scope) if scope else None, documents=tuple(documents),
        texts=tuple(texts), appendix=appendix, appendix_tables=appendix_tables).load()
    if context.fatal is not None:
        return AuditReport([context.fatal], 0, 0, context.as_of)
    ran = tuple(gate for gate in _gates.GATES if gate.runs(context))
    findings: list[Finding] = []
    for gate in ran:
        progress(f"Lineage gate {gate.label}")
        findings.extend(gate.check(context))
    findings.extend(context.unclaimed_load_findings())
    findings = context.causes.collapse(findings, zoo)
    due = falling_due(((number.path, number.provenance) for number in context.numbers),
                      as_of=context.as_of, policy=context.policy)
    return AuditReport(sorted(set(findings), key=lambda finding: finding.line()),
                       len(context.numbers), len(context.records), context.as_of,
                       context.references, ran, due)


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
