"""A finding: one broken link in a number's lineage, reported as one line like a linter's.

``path: [gate] problem — fix``. A finding of severity ``error`` fails a strict audit (and a
strict site build); a ``warning`` is reported but never fails anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ZooError

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True, order=True)
class Finding:
    """One broken link in a number's lineage."""

    path: str
    gate: str
    problem: str
    fix: str
    severity: str = ERROR

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding severity must be one of {', '.join(SEVERITIES)}, "
                             f"got {self.severity!r}")

    def line(self) -> str:
        return f"{self.path}: [{self.gate}] {self.problem} — {self.fix}"

    @classmethod
    def from_error(cls, exc: ZooError) -> "Finding":
        """The finding for a Zoo file that failed to load, under the gate the error carries."""
        path = exc.entry or exc.file or "?"
        problem = exc.problem
        if exc.field:
            problem = f"field {exc.field}: {problem}"
        if exc.file and exc.entry:
            problem += f" (in {exc.file})"
        return cls(path, exc.gate, problem, exc.fix or "fix the file and run the audit again")
