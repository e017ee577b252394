"""Fit one compute and one memory efficiency per workload class to the validation set.

Run ``python -m mlsysim.validation.calibrate``: for each class it searches a
grid for the pair that minimizes that class's median absolute error and prints
it. The values go into ``Literature.Calibration`` by hand, with this procedure
named in their notes; predictions then use them unchanged for every point of
the class (one pair per class, never per point).
"""

from __future__ import annotations

import statistics

import numpy as np

from ..engine.calibration import WORKLOAD_CLASSES
from .measurements import load_measurements
from .predict import NotComparable, predict, workload_class
from .predict import _entry

COMPUTE_GRID = np.round(np.arange(0.05, 1.0001, 0.01), 2)
# Descending, so that among equally good fits the highest memory efficiency wins.
MEMORY_GRID = np.round(np.arange(1.0, 0.2999, -0.05), 2)


def fit() -> dict[str, tuple[float, float, float, int]]:
    """class -> (compute efficiency, memory efficiency, median abs error, points)."""
    from ..errors import PrecisionError

    measurements = load_measurements()
    by_class: dict[str, list] = {}
    for m in measurements:
        by_class.setdefault(workload_class(m, _entry(m.workload)), []).append(m)
    best = {}
    for cls, points in sorted(by_class.items()):
        top = None
        for eta in COMPUTE_GRID:
            for eta_mem in MEMORY_GRID:
                errors = []
                for m in points:
                    try:
                        p = predict(m, {cls: (float(eta), float(eta_mem))})
                    except (NotComparable, PrecisionError):
                        continue
                    errors.append(abs(p.value - m.measured) / m.measured)
                if not errors:
                    continue
                score = statistics.median(errors)
                if top is None or score < top[2] - 1e-12:
                    top = (float(eta), float(eta_mem), score, len(errors))
        if top:
            best[cls] = top
    return best


def main() -> None:
    for cls, (eta, eta_mem, score, count) in fit().items():
        print(f"{WORKLOAD_CLASSES[cls]:<15} compute {eta:.2f}  memory {eta_mem:.2f}  "
              f"median abs error {score:.1%} over {count} points")


if __name__ == "__main__":
    main()
