"""Pareto fronts: the points no other point beats on every objective.

A point p dominates q when p is no worse than q on every objective and strictly better on at
least one (the standard definition; e.g. Deb, "Multi-Objective Optimization Using Evolutionary
Algorithms", Wiley 2001).
The front is the set of points no other point dominates. Computed with one NumPy comparison of
every pair, O(n^2 k): the optimizers' fronts have hundreds of points, not millions.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError


def dominates(p: Sequence[float], q: Sequence[float], maximize: Sequence[bool] = ()) -> bool:
    """Whether ``p`` dominates ``q`` (objectives minimised unless ``maximize`` says so)."""
    a, b = _as_minimised(np.array([p, q], dtype=float), maximize)
    return bool(np.all(a <= b) and np.any(a < b))


def pareto_front(points: Sequence[Sequence[float]] | np.ndarray,
                 maximize: Sequence[bool] = ()) -> np.ndarray:
    """Indices of the non-dominated rows of ``points`` (n points x k objectives), sorted by
    the first objective (best first). Rows with a NaN or infinite value are never on the
    front. ``maximize[j]`` marks objective j as larger-is-better (default: all minimised)."""
    values = np.asarray(points, dtype=float)
    if values.ndim != 2 or values.shape[1] < 1:
        raise InputError(f"points must be a table of n points x k objectives, got shape "
                         f"{values.shape}; e.g. [[step_time, memory], ...]", name="points",
                         value=values.shape)
    if len(maximize) not in (0, values.shape[1]):
        raise InputError(f"maximize must give one flag per objective ({values.shape[1]}), got "
                         f"{len(maximize)}", name="maximize", value=tuple(maximize))
    finite = np.all(np.isfinite(values), axis=1)
    index = np.flatnonzero(finite)
    if index.size == 0:
        return index
    v = _as_minimised(values[index], maximize)
    no_worse = np.all(v[:, None, :] <= v[None, :, :], axis=2)   # [j, i]: j no worse than i
    better = np.any(v[:, None, :] < v[None, :, :], axis=2)      # [j, i]: j better somewhere
    dominated = np.any(no_worse & better, axis=0)
    front = index[~dominated]
    order = np.lexsort(tuple(v[~dominated][:, j] for j in reversed(range(v.shape[1]))))
    return front[order]


def _as_minimised(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    if not len(maximize):
        return values
    sign = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    return values * sign
