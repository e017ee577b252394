"""The result of evaluating a scenario: three levels of the Hierarchy of Constraints.

Feasibility (does it fit, does it keep up), Performance (does it meet its latency
target), Macro/Economics (energy, carbon and cost over the period against budgets). Each
level has a status, a one-line summary, metrics, and the reasons behind the status.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..formatting import quantity


class Status(str, Enum):
    """How a level came out. SKIPPED: not evaluated (a level above failed, or data missing)."""

    PASS = "PASS"
    WARNING = "WARNING"
    FAIL = "FAIL"
    SKIPPED = "SKIPPED"


#: Order of severity when levels are combined into a verdict.
_SEVERITY = {Status.PASS: 0, Status.SKIPPED: 0, Status.WARNING: 1, Status.FAIL: 2}
_MARK = {Status.PASS: "✓", Status.WARNING: "!", Status.FAIL: "✗", Status.SKIPPED: "–"}
SCORECARD_WIDTH = 78


@dataclass(frozen=True)
class LevelResult:
    """One level: status, a one-line summary, named metrics, and why."""

    level: str
    status: Status
    summary: str
    metrics: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    trace: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status is not Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        from ..units import to_jsonable

        return {"status": self.status.value, "summary": self.summary,
                "metrics": {k: to_jsonable(v) for k, v in self.metrics.items()},
                "reasons": list(self.reasons), "trace": list(self.trace)}


@dataclass(frozen=True)
class SystemEvaluation:
    """A scenario walked through feasibility, performance and macro/economics."""

    scenario: str
    title: str
    setup: str
    feasibility: LevelResult
    performance: LevelResult
    macro: LevelResult
    results: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Results of the registered solvers the caller named (``solvers:`` in a plan), by name.
    solvers: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def levels(self) -> tuple[LevelResult, LevelResult, LevelResult]:
        return (self.feasibility, self.performance, self.macro)

    @property
    def status(self) -> Status:
        """The worst level: FAIL over WARNING over PASS (SKIPPED levels do not count)."""
        worst = max(self.levels, key=lambda level: _SEVERITY[level.status])
        return worst.status if worst.status is not Status.SKIPPED else Status.PASS

    @property
    def passed(self) -> bool:
        return self.status is not Status.FAIL

    @property
    def out_of_memory(self) -> bool:
        """Feasibility failed on memory (the command line's exit code 2)."""
        return self.feasibility.status is Status.FAIL and any(
            reason.startswith("Memory wall") for reason in self.feasibility.reasons)

    @property
    def failures(self) -> list[str]:
        """Every reason a level failed, for messages and exit codes."""
        return [reason for level in self.levels if level.status is Status.FAIL
                for reason in level.reasons]

    # -- forms --------------------------------------------------------------------------
    def scorecard(self) -> str:
        """The boxed text form: one row per level, the reasons under failing levels."""
        inner = SCORECARD_WIDTH - 4
        rows = [f"{self.title}", f"{self.setup}"]
        body = []
        for number, level in enumerate(self.levels, 1):
            head = f"{number} {level.level:<15} {_MARK[level.status]} {level.status.value:<7} "
            body += _wrap(head + level.summary, inner, len(head))
            for reason in level.reasons:
                body += _wrap(" " * len(head) + "- " + reason, inner, len(head) + 2)
        for name, result in self.solvers.items():
            head = f"+ {name}: "
            body += _wrap(head + "; ".join(f"{key} {text}" for key, text in
                                           result._display_rows()), inner, len(head))
        verdict = f"Verdict: {self.status.value}"
        top = "┌" + "─" * (SCORECARD_WIDTH - 2) + "┐"
        rule = "├" + "─" * (SCORECARD_WIDTH - 2) + "┤"
        bottom = "└" + "─" * (SCORECARD_WIDTH - 2) + "┘"
        lines = [top]
        lines += [_row(text, inner) for row in rows for text in _wrap(row, inner, 0)]
        lines += [rule] + [_row(text, inner) for text in body] + [rule]
        lines += [_row(verdict, inner), bottom]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.scorecard()

    def to_dict(self) -> dict[str, Any]:
        """A flat form: ``feasibility.status``, ``performance.latency``, ... plus the verdict."""
        from ..units import to_jsonable

        out: dict[str, Any] = {"scenario": self.scenario, "title": self.title,
                               "setup": self.setup, "status": self.status.value}
        for level in self.levels:
            key = level.level.split("/")[0].lower()
            out[f"{key}.status"] = level.status.value
            out[f"{key}.summary"] = level.summary
            for name, value in level.metrics.items():
                out[f"{key}.{name}"] = to_jsonable(value)
            out[f"{key}.reasons"] = list(level.reasons)
        for name, result in self.solvers.items():
            for field_name, value in result.to_dict().items():
                out[f"solvers.{name}.{field_name}"] = value
        return out

    def _repr_markdown_(self) -> str:
        rows = "\n".join(
            f"| {level.level} | **{level.status.value}** | {_md(level.summary)}"
            + "".join(f"<br>– {_md(reason)}" for reason in level.reasons) + " |"
            for level in self.levels)
        extra = "".join(f"\n- **{name}**: " + _md("; ".join(f"{key} {text}" for key, text in
                                                        result._display_rows()))
                        for name, result in self.solvers.items())
        return (f"**{_md(self.title)}** — {_md(self.setup)}\n\n| Level | Status | |\n"
                f"|---|---|---|\n{rows}\n{extra + chr(10) if extra else ''}\n"
                f"**Verdict: {self.status.value}**\n")

    def _repr_html_(self) -> str:
        colours = {Status.PASS: "#1b7f3b", Status.WARNING: "#a15c00", Status.FAIL: "#b3261e",
                   Status.SKIPPED: "#666"}
        rows = "".join(
            f"<tr><td>{html.escape(level.level)}</td>"
            f"<td style='color:{colours[level.status]};font-weight:bold'>"
            f"{level.status.value}</td><td>{html.escape(level.summary)}"
            + "".join(f"<br>– {html.escape(r)}" for r in level.reasons) + "</td></tr>"
            for level in self.levels)
        extra = "".join(f"<p><b>{html.escape(name)}</b>: " + html.escape("; ".join(
            f"{key} {text}" for key, text in result._display_rows())) + "</p>"
            for name, result in self.solvers.items())
        return (f"<div class='mlsysim-evaluation'><b>{html.escape(self.title)}</b> — "
                f"{html.escape(self.setup)}<table><tr><th>Level</th><th>Status</th><th></th>"
                f"</tr>{rows}</table>{extra}<b>Verdict: {self.status.value}</b></div>")


def _row(text: str, inner: int) -> str:
    return "│ " + text.ljust(inner) + " │"


def _wrap(text: str, width: int, indent: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, subsequent_indent=" " * indent,
                         break_on_hyphens=False) or [""]


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def fmt(value: Any) -> str:
    """A metric as shown in summaries (``12.3 ms``, ``1,234 tCO2e``)."""
    return quantity(value)
