"""Compare every measurement with its prediction; summarize held-out and in-sample error.

The headline is the held-out (leave-one-source-out) error: each source's points are predicted
by efficiencies fitted without that source (``calibrate.held_out``). The in-sample error
(the calibrated Zoo values, fitted on every point, scoring those same points) sits beside it,
labelled as such: it flatters the model.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import PrecisionError
from .calibrate import POOLED, HeldOut
from .measurements import Measurement, load_measurements
from .predict import NotComparable, predict


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    predicted: float
    workload_class: str
    detail: str
    feasible: bool = True

    @property
    def error(self) -> float:
        """Signed relative error: (predicted - measured) / measured."""
        return (self.predicted - self.measurement.measured) / self.measurement.measured


def summary(errors: list[float]) -> dict[str, float]:
    """Median and 90th percentile (linear interpolation) of absolute errors, and the count."""
    if not errors:
        return {"median": float("nan"), "p90": float("nan"), "count": 0}
    values = [abs(e) for e in errors]
    return {"median": float(statistics.median(values)),
            "p90": float(np.percentile(values, 90)), "count": len(values)}


def _by_class(items, cls=lambda r: r.workload_class) -> dict[str, dict[str, float]]:
    classes: dict[str, list[float]] = {}
    for item in items:
        classes.setdefault(cls(item), []).append(item.error)
    return {name: summary(errors) for name, errors in sorted(classes.items())}


@dataclass(frozen=True)
class ValidationReport:
    rows: list[Row]
    skipped: list[tuple[Measurement, str]] = field(default_factory=list)
    held_out: list[HeldOut] = field(default_factory=list)

    # -- in-sample (the calibrated values, fitted on these same points) ---------------------
    @property
    def median_abs_error(self) -> float:
        """In-sample median absolute error."""
        return summary([r.error for r in self.rows])["median"]

    def by_class(self) -> dict[str, float]:
        """In-sample median absolute error per class."""
        return {name: s["median"] for name, s in _by_class(self.rows).items()}

    def in_sample(self) -> dict[str, Any]:
        return {"overall": summary([r.error for r in self.rows]),
                "by_class": _by_class(self.rows)}

    # -- held-out (leave-one-source-out), the headline --------------------------------------
    @property
    def held_out_median_abs_error(self) -> float:
        return summary([h.error for h in self.held_out])["median"]

    def held_out_summary(self) -> dict[str, Any]:
        return {"method": "leave-one-source-out",
                "overall": summary([h.error for h in self.held_out]),
                "by_class": _by_class(self.held_out),
                "sources": len({h.measurement.source for h in self.held_out}),
                "pooled_fallback": sum(h.fitted_on == POOLED for h in self.held_out)}

    def to_dict(self) -> dict[str, Any]:
        held = {h.measurement.id: h for h in self.held_out}
        return {
            "compared": len(self.rows),
            "held_out": self.held_out_summary(),
            "in_sample": self.in_sample(),
            "median_abs_error": self.median_abs_error,
            "median_abs_error_by_class": self.by_class(),
            "rows": [{"id": r.measurement.id, "class": r.workload_class,
                      "workload": r.measurement.workload, "hardware": r.measurement.hardware,
                      "metric": r.measurement.metric, "unit": r.measurement.unit,
                      "scope": r.measurement.scope, "predicted": r.predicted,
                      "measured": r.measurement.measured, "error": r.error,
                      **({"held_out_predicted": held[r.measurement.id].predicted,
                          "held_out_error": held[r.measurement.id].error,
                          "held_out_fit": [held[r.measurement.id].compute,
                                           held[r.measurement.id].memory],
                          "held_out_fitted_on": held[r.measurement.id].fitted_on}
                         if r.measurement.id in held else {}),
                      "source": r.measurement.source, "config": r.detail,
                      "model_feasible": r.feasible} for r in self.rows],
            "infeasible": [r.measurement.id for r in self.rows if not r.feasible],
            "skipped": [{"id": m.id, "reason": reason} for m, reason in self.skipped],
        }

    def headline(self) -> list[str]:
        """The summary lines: held-out first, in-sample beside it, per class."""
        ho, ins = self.held_out_summary(), self.in_sample()
        lines = [f"held-out (leave-one-source-out over {ho['sources']} sources): median "
                 f"{ho['overall']['median']:.1%}, 90th percentile {ho['overall']['p90']:.1%} "
                 f"over {ho['overall']['count']} measurements"
                 + (f" ({ho['pooled_fallback']} of them in a class no other source measures, "
                    "predicted by a fit pooled over the other classes of its kind)"
                    if ho['pooled_fallback'] else ""),
                 f"in-sample (fitted on the same points): median absolute error over "
                 f"{ins['overall']['count']} measurements: {ins['overall']['median']:.1%}, "
                 f"90th percentile {ins['overall']['p90']:.1%}"]
        lines.append(f"{'class':<16} {'held-out median':>16} {'p90':>8} {'in-sample median':>17} "
                     f"{'p90':>8} {'points':>7}")
        for name, s in ins["by_class"].items():
            h = ho["by_class"].get(name, summary([]))
            lines.append(f"{name:<16} {h['median']:>16.1%} {h['p90']:>8.1%} "
                         f"{s['median']:>17.1%} {s['p90']:>8.1%} {s['count']:>7}")
        return lines

    def table(self) -> str:
        """Plain text: one line per point, then the held-out and in-sample summaries."""
        held = {h.measurement.id: h for h in self.held_out}
        lines = [f"{'measurement':<50} {'predicted':>12} {'measured':>12} {'unit':<10} "
                 f"{'in-sample':>9} {'held-out':>9}"]
        for r in self.rows:
            m = r.measurement
            h = held.get(m.id)
            lines.append(f"{_short(m.id):<50} {r.predicted:>12.4g} {m.measured:>12.4g} "
                         f"{m.unit:<10} {r.error:>+9.1%} "
                         + (f"{h.error:>+9.1%}" if h else f"{'-':>9}")
                         + ("" if r.feasible else "  INFEASIBLE: the model says it does not fit"))
        for m, reason in self.skipped:
            lines.append(f"{_short(m.id):<50} {'skipped':>12}  ({reason})")
        lines.extend(self.headline())
        infeasible = sum(not r.feasible for r in self.rows)
        lines.append(f"{len(self.skipped)} skipped"
                     + (f"; {infeasible} measured configuration(s) the model calls infeasible "
                        "(out of memory), flagged above" if infeasible else ""))
        return "\n".join(lines)


def _short(ident: str, width: int = 50) -> str:
    """An id cut to ``width`` in the middle, so that its end (scenario, benchmark) shows."""
    if len(ident) <= width:
        return ident
    tail = width // 2
    return ident[:width - tail - 3] + "..." + ident[-tail:]


def validate(measurements: list[Measurement] | None = None,
             efficiencies: dict[str, tuple[float, float]] | None = None, *,
             held_out: bool = True) -> ValidationReport:
    """Predict every measurement with the calibrated (or given) efficiencies, in-sample, and
    (unless ``held_out=False``) leave-one-source-out with refitted ones."""
    from .calibrate import held_out as loso

    measurements = measurements if measurements is not None else load_measurements()
    rows, skipped = [], []
    for m in measurements:
        try:
            prediction = predict(m, efficiencies)
        except NotComparable as exc:
            skipped.append((m, str(exc)))
            continue
        except PrecisionError as exc:
            skipped.append((m, f"the Zoo lists no such peak: {str(exc).split(';')[0]}"))
            continue
        rows.append(Row(m, prediction.value, prediction.workload_class, prediction.detail,
                        prediction.feasible))
    return ValidationReport(rows, skipped, loso(measurements) if held_out else [])
