"""Fit one compute and one memory efficiency per workload class to the validation set.

Run ``python -m mlsysim.validation.calibrate``: for each class it searches a
grid for the pair that minimizes that class's median absolute error and prints
it. The values go into ``Literature.Calibration`` by hand, with this procedure
named in their notes; predictions then use them unchanged for every point of
the class (one pair per class, never per point).

Transformer classes doing their math in fewer than 16 bits share one more number, the
low-precision ratio r (``Literature.Calibration.LowPrecisionComputeRatio``): such a point runs
at r times its class's compute efficiency. r is searched jointly: for each r on its grid every
class is fitted as above, and the r whose fits give the lowest mean of the transformer classes'
median errors wins (one r for every class, never per point).

A decode point's prompt prefill is costed at the Zoo's prefill pair (the grid refits the decode
pair alone), so the printed values are a fixed point: after putting them in the Zoo, run again
until they repeat (``tests/test_validation_holdout.py`` checks that they do).

The same search, rerun with every measurement of one source left out, gives the
held-out (leave-one-source-out) error that ``mlsysim validate`` reports as its
headline: ``held_out``. Each point's prediction over the whole grid is computed
once (``PredictionGrid``), so a refit is a median over rows of that table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..engine.calibration import LOW_PRECISION_CLASSES, WORKLOAD_CLASSES, scales
from ..errors import PrecisionError
from .measurements import Measurement, load_measurements
from .predict import NotComparable, _entry, predict, workload_class

COMPUTE_GRID = np.round(np.arange(0.05, 1.0001, 0.01), 2)
# Descending, so that among equally good fits the highest memory efficiency wins.
MEMORY_GRID = np.round(np.arange(1.0, 0.2999, -0.05), 2)
# Descending from 1 (no effect), so that among equally good fits the smallest correction wins.
RATIO_GRID = np.round(np.arange(1.0, 0.2999, -0.02), 2)

#: A class left with no measurement once a source is held out is fitted on every remaining
#: measurement of the classes of its kind pooled (one pair): the transformer classes
#: (``LOW_PRECISION_CLASSES``: decode, prefill, training) for a transformer class, the
#: per-sample ones (CNN inference and training, MLPerf Server, Tiny) otherwise; the model's
#: answer for a class it was never calibrated on. (Across kinds the pooled pair would mix a
#: 16-bit share with int8 ones, which the low-precision ratio would then scale twice.)
POOLED = "pooled"


def _kind(workload_class: str) -> bool:
    return workload_class in LOW_PRECISION_CLASSES


@dataclass(frozen=True)
class GridPoint:
    """One comparable measurement and its prediction at every (compute, memory) grid pair."""

    measurement: Measurement
    workload_class: str
    predicted: np.ndarray  # shape (len(COMPUTE_GRID), len(MEMORY_GRID)), in the measurement's unit
    scaled: bool = False   # low-precision math in a transformer class: runs at r x the class's eta

    @property
    def abs_error(self) -> np.ndarray:
        return np.abs(self.predicted - self.measurement.measured) / self.measurement.measured

    def predicted_at(self, compute: float, memory: float, ratio: float = 1.0) -> float:
        """The prediction at a class's (compute, memory) pair, the compute scaled by ``ratio``
        if this point is ``scaled`` (linear between grid columns, exact on them)."""
        j = int(np.flatnonzero(MEMORY_GRID == memory)[0])
        eta = compute * ratio if self.scaled else compute
        return float(np.interp(eta, COMPUTE_GRID, self.predicted[:, j]))

    @functools.cached_property
    def errors_by_ratio(self) -> np.ndarray:
        """|error| at every (ratio, class compute, memory): shape (R, C, M)."""
        if not self.scaled:
            return np.broadcast_to(self.abs_error, (len(RATIO_GRID),) + self.predicted.shape)
        out = np.empty((len(RATIO_GRID),) + self.predicted.shape)
        for k, r in enumerate(RATIO_GRID):
            eta = np.clip(COMPUTE_GRID * r, COMPUTE_GRID[0], COMPUTE_GRID[-1])
            for j in range(len(MEMORY_GRID)):
                out[k, :, j] = np.interp(eta, COMPUTE_GRID, self.predicted[:, j])
        return np.abs(out - self.measurement.measured) / self.measurement.measured


@dataclass(frozen=True)
class Fit:
    compute: float       # the class's compute efficiency (for 16-bit or wider math)
    memory: float
    median_abs_error: float
    points: int
    ratio: float = 1.0   # the shared low-precision ratio this fit was made with


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
        points.append(GridPoint(m, cls, values, scales(cls, m.precision)))
    return tuple(points)


def prediction_grid(measurements: list[Measurement] | None = None) -> tuple[GridPoint, ...]:
    """Every comparable measurement's predictions over the grid (cached per measurement set)."""
    return _grid(tuple(measurements if measurements is not None else load_measurements()))


def fit_points(points, ratio: float = 1.0) -> Fit | None:
    """The grid pair minimizing the median absolute error over ``points`` (None if empty), with
    low-precision points at ``ratio`` x the compute efficiency.

    Ties go to the lowest compute and then the highest memory efficiency (grid order).
    """
    points = list(points)
    if not points:
        return None
    k = int(np.flatnonzero(RATIO_GRID == ratio)[0])
    errors = np.stack([p.errors_by_ratio[k] for p in points])
    score = np.median(errors, axis=0)
    best = np.flatnonzero(score <= score.min() + 1e-12)[0]
    i, j = np.unravel_index(best, score.shape)
    return Fit(float(COMPUTE_GRID[i]), float(MEMORY_GRID[j]), float(score[i, j]), len(points),
               float(ratio))


def fit(measurements: list[Measurement] | None = None,
        exclude_source: str | None = None) -> dict[str, Fit]:
    """class -> its fitted pair (and the shared ratio), optionally with every measurement of one
    source left out."""
    by_class: dict[str, list[GridPoint]] = {}
    for p in prediction_grid(measurements):
        if p.measurement.source != exclude_source:
            by_class.setdefault(p.workload_class, []).append(p)
    ratio = _best_ratio(by_class)
    return {cls: f for cls, points in sorted(by_class.items())
            if (f := fit_points(points, ratio))}


def shared_ratio(fits: dict[str, Fit]) -> float:
    """The low-precision ratio a ``fit`` result was made with (every class carries the same)."""
    return next(iter(fits.values())).ratio if fits else 1.0


def _best_ratio(by_class: dict[str, list[GridPoint]]) -> float:
    """The ratio whose per-class fits give the lowest mean median error over the classes that
    hold low-precision points (1 when none does: then nothing depends on it)."""
    scored = [points for points in by_class.values() if any(p.scaled for p in points)]
    if not scored:
        return 1.0
    means = np.mean([np.median(np.stack([p.errors_by_ratio for p in points]), axis=0)
                     .reshape(len(RATIO_GRID), -1).min(axis=1) for points in scored], axis=0)
    return float(RATIO_GRID[int(np.flatnonzero(means <= means.min() + 1e-12)[0])])


@dataclass(frozen=True)
class HeldOut:
    """A measurement predicted by a fit that never saw its source."""

    measurement: Measurement
    workload_class: str
    predicted: float
    compute: float
    memory: float
    fitted_on: str  # the class whose other sources were fitted, or POOLED
    ratio: float = 1.0  # the low-precision ratio of that fit (applied if the point is scaled)

    @property
    def error(self) -> float:
        return (self.predicted - self.measurement.measured) / self.measurement.measured


def held_out(measurements: list[Measurement] | None = None) -> list[HeldOut]:
    """Leave-one-source-out predictions for every comparable measurement.

    For each source: refit every class on the measurements of all *other* sources, then predict
    that source's points. A class with no other source falls back to one pair fitted on all
    other sources' points of the classes of its kind pooled (``fitted_on == POOLED``; see
    ``POOLED``), or across every class if its kind has no other point.
    """
    points = prediction_grid(measurements)
    results = []
    for source in sorted({p.measurement.source for p in points}):
        others = [p for p in points if p.measurement.source != source]
        fits = fit(measurements, exclude_source=source)
        pooled: dict[bool, Fit | None] = {}
        for p in points:
            if p.measurement.source != source:
                continue
            f, fitted_on = fits.get(p.workload_class), p.workload_class
            if f is None:
                kind = _kind(p.workload_class)
                if kind not in pooled:
                    same = [q for q in others if _kind(q.workload_class) == kind]
                    pooled[kind] = fit_points(same or others, shared_ratio(fits))
                f, fitted_on = pooled[kind], POOLED
            if f is None:  # one source holds every measurement: nothing to fit on
                continue
            results.append(HeldOut(p.measurement, p.workload_class,
                                   p.predicted_at(f.compute, f.memory, f.ratio),
                                   f.compute, f.memory, fitted_on, f.ratio))
    order = {p.measurement.id: k for k, p in enumerate(points)}
    return sorted(results, key=lambda r: order[r.measurement.id])


def main() -> None:
    fits = fit()
    for cls, f in fits.items():
        print(f"{WORKLOAD_CLASSES[cls]:<15} compute {f.compute:.2f}  memory {f.memory:.2f}  "
              f"median abs error {f.median_abs_error:.1%} over {f.points} points")
    scaled = sum(p.scaled for p in prediction_grid())
    print(f"LowPrecisionComputeRatio {shared_ratio(fits):.2f} (applied to {scaled} points: "
          f"{', '.join(sorted(LOW_PRECISION_CLASSES))} classes with math under 16 bits)")


if __name__ == "__main__":
    main()
