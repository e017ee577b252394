"""Compare every measurement with its prediction; summarize by the median absolute error."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from ..errors import PrecisionError
from .measurements import Measurement, load_measurements
from .predict import NotComparable, predict


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    predicted: float
    workload_class: str
    detail: str

    @property
    def error(self) -> float:
        """Signed relative error: (predicted - measured) / measured."""
        return (self.predicted - self.measurement.measured) / self.measurement.measured


@dataclass(frozen=True)
class ValidationReport:
    rows: list[Row]
    skipped: list[tuple[Measurement, str]] = field(default_factory=list)

    @property
    def median_abs_error(self) -> float:
        return statistics.median(abs(row.error) for row in self.rows) if self.rows else float("nan")

    def by_class(self) -> dict[str, float]:
        classes: dict[str, list[float]] = {}
        for row in self.rows:
            classes.setdefault(row.workload_class, []).append(abs(row.error))
        return {name: statistics.median(errors) for name, errors in sorted(classes.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "compared": len(self.rows),
            "median_abs_error": self.median_abs_error,
            "median_abs_error_by_class": self.by_class(),
            "rows": [{"id": r.measurement.id, "class": r.workload_class,
                      "workload": r.measurement.workload, "hardware": r.measurement.hardware,
                      "metric": r.measurement.metric, "unit": r.measurement.unit,
                      "scope": r.measurement.scope, "predicted": r.predicted,
                      "measured": r.measurement.measured, "error": r.error,
                      "source": r.measurement.source, "config": r.detail} for r in self.rows],
            "skipped": [{"id": m.id, "reason": reason} for m, reason in self.skipped],
        }

    def table(self) -> str:
        """Plain text: one line per point, then the medians."""
        lines = [f"{'measurement':<50} {'predicted':>12} {'measured':>12} {'unit':<10} {'error':>8}"]
        for r in self.rows:
            m = r.measurement
            lines.append(f"{m.id[:50]:<50} {r.predicted:>12.4g} {m.measured:>12.4g} "
                         f"{m.unit:<10} {r.error:>+8.1%}")
        for m, reason in self.skipped:
            lines.append(f"{m.id[:50]:<50} {'skipped':>12}  ({reason})")
        per_class = ", ".join(f"{name} {value:.1%}" for name, value in self.by_class().items())
        lines.append(f"median absolute error over {len(self.rows)} measurements: "
                     f"{self.median_abs_error:.1%} ({per_class}); {len(self.skipped)} skipped")
        return "\n".join(lines)


def validate(measurements: list[Measurement] | None = None,
             efficiencies: dict[str, tuple[float, float]] | None = None) -> ValidationReport:
    rows, skipped = [], []
    for m in measurements if measurements is not None else load_measurements():
        try:
            prediction = predict(m, efficiencies)
        except NotComparable as exc:
            skipped.append((m, str(exc)))
            continue
        except PrecisionError as exc:
            skipped.append((m, f"the Zoo lists no such peak: {str(exc).split(';')[0]}"))
            continue
        rows.append(Row(m, prediction.value, prediction.workload_class, prediction.detail))
    return ValidationReport(rows, skipped)
