"""Root-cause folding: a broken Zoo file is reported once, not once per reference into it.

One bad file knocks out an entry (or a whole group stored as one file); every
reference into it (a derived input, a document path, an entry's ``hardware:``, a key
of a ``keyed_by`` group) then fails too. Those follow-on findings are dropped and
counted on the root cause's line.
"""

from __future__ import annotations

import re

from ..errors import ZooError
from ..zoo.registry import NAMESPACES, Zoo
from .finding import Finding


class Causes:
    """The root causes of the load failures one audit saw."""

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
            finding = Finding.from_error(exc)
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
