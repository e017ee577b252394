"""Fit one compute and one memory efficiency per workload class to the validation set.

Run ``python -m mlsysim.validation.calibrate``: for each class it searches a
grid for the pair that minimizes that class's median absolute error and prints
it. The values go into ``Literature.Calibration`` by hand, with this procedure
named in their notes; predictions then use them unchanged for every point of
the class (one pair per class, never per point).

The same search, rerun with every measurement of one source left out, gives the
held-out (leave-one-source-out) error that ``mlsysim validate`` reports as its
headline: ``held_out``. Each point's prediction over the whole grid is computed
once (``PredictionGrid``), so a refit is a median over rows of that table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..engine.calibration import WORKLOAD_CLASSES
from ..errors import PrecisionError
from .measurements import Measurement, load_measurements
from .predict import NotComparable, _entry, predict, workload_class

COMPUTE_GRID = np.round(np.arange(0.05, 1.0001, 0.01), 2)
# Descending, so that among equally good fits the highest memory efficiency wins.
MEMORY_GRID = np.round(np.arange(1.0, 0.2999, -0.05), 2)

#: A class left with no measurement once a source is held out is fitted on every remaining
#: measurement of every class (one pooled pair): the model's answer for a class it was never
#: calibrated on.
POOLED = "pooled"


@dataclass(frozen=True)
class GridPoint:
    """One comparable measurement and its prediction at every (compute, memory) grid pair."""

    measurement: Measurement
    workload_class: str
    predicted: np.ndarray  # shape (len(COMPUTE_GRID), len(MEMORY_GRID)), in the measurement's unit

    @property
    def abs_error(self) -> np.ndarray:
        return np.abs(self.predicted - self.measurement.measured) / self.measurement.measured


@dataclass(frozen=True)
class Fit:
    compute: float
    memory: float
    median_abs_error: float
    points: int


@functools.lru_cache(maxsize=8)
def _grid(measurements: tuple[Measurement, ...]) -> tuple[GridPoint, ...]:
    points = []
    for m in measurements:
        try:
            cls = workload_class(m, _entry(m.workload))
            values = np.empty((len(COMPUTE_GRID), len(MEMORY_GRID)))
            for i, eta in enumerate(COMPUTE_GRID):
                for j, eta_mem in enumerate(MEMORY_GRID):
                    values[i, j] = predict(m, {cls: (float(eta), float(eta_mem))}).value
        except (NotComparable, PrecisionError):
            continue
        points.append(GridPoint(m, cls, values))
    return tuple(points)


def prediction_grid(measurements: list[Measurement] | None = None) -> tuple[GridPoint, ...]:
    """Every comparable measurement's predictions over the grid (cached per measurement set)."""
    return _grid(tuple(measurements if measurements is not None else load_measurements()))


def fit_points(points) -> Fit | None:
    """The grid pair minimizing the median absolute error over ``points`` (None if empty).

    Ties go to the lowest compute and then the highest memory efficiency (grid order).
    """
    points = list(points)
    if not points:
        return None
    errors = np.stack([p.abs_error for p in points])
    score = np.median(errors, axis=0)
    best = np.flatnonzero(score <= score.min() + 1e-12)[0]
    i, j = np.unravel_index(best, score.shape)
    return Fit(float(COMPUTE_GRID[i]), float(MEMORY_GRID[j]), float(score[i, j]), len(points))


def fit(measurements: list[Measurement] | None = None,
        exclude_source: str | None = None) -> dict[str, Fit]:
    """class -> its fitted pair, optionally with every measurement of one source left out."""
    by_class: dict[str, list[GridPoint]] = {}
    for p in prediction_grid(measurements):
        if p.measurement.source != exclude_source:
            by_class.setdefault(p.workload_class, []).append(p)
    return {cls: f for cls, points in sorted(by_class.items()) if (f := fit_points(points))}


@dataclass(frozen=True)
class HeldOut:
    """A measurement predicted by a fit that never saw its source."""

    measurement: Measurement
    workload_class: str
    predicted: float
    compute: float
    memory: float
    fitted_on: str  # the class whose other sources were fitted, or POOLED

    @property
    def error(self) -> float:
        return (self.predicted - self.measurement.measured) / self.measurement.measured


def held_out(measurements: list[Measurement] | None = None) -> list[HeldOut]:
    """Leave-one-source-out predictions for every comparable measurement.

    For each source: refit every class on the measurements of all *other* sources, then predict
    that source's points. A class with no other source falls back to one pair fitted on all
    other sources' points pooled across classes (``fitted_on == POOLED``).
    """
    points = prediction_grid(measurements)
    results = []
    for source in sorted({p.measurement.source for p in points}):
        others = [p for p in points if p.measurement.source != source]
        fits = fit(measurements, exclude_source=source)
        pooled = None
        for p in points:
            if p.measurement.source != source:
                continue
            f, fitted_on = fits.get(p.workload_class), p.workload_class
            if f is None:
                pooled = pooled or fit_points(others)
                f, fitted_on = pooled, POOLED
            if f is None:  # one source holds every measurement: nothing to fit on
                continue
            i = int(np.flatnonzero(COMPUTE_GRID == f.compute)[0])
            j = int(np.flatnonzero(MEMORY_GRID == f.memory)[0])
            results.append(HeldOut(p.measurement, p.workload_class, float(p.predicted[i, j]),
                                   f.compute, f.memory, fitted_on))
    order = {p.measurement.id: k for k, p in enumerate(points)}
    return sorted(results, key=lambda r: order[r.measurement.id])


def main() -> None:
    for cls, f in fit().items():
        print(f"{WORKLOAD_CLASSES[cls]:<15} compute {f.compute:.2f}  memory {f.memory:.2f}  "
              f"median abs error {f.median_abs_error:.1%} over {f.points} points")


if __name__ == "__main__":
    main()
