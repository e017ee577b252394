"""Vectorized design-space sweeps: models x hardware x batch sizes x precisions at once.

``sweep`` evaluates the same ``pass_cost`` and roofline formulas as
``Engine.solve``, on NumPy arrays, so each cell equals the scalar result.
A precision a chip does not list gives NaN in that cell (never a fallback), and the cell is
infeasible with the reason in ``SweepResult.notes``; a precision that no chip of the sweep
lists is a PrecisionError, as in ``Engine.solve``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, MlsysimError, PrecisionError
from ..physics import roofline
from .checks import (check_context, check_count, check_flag, check_fraction, check_precision,
                     resolve_entry, show, usable_precisions)
from .engine import default_seq_len, modeled_bandwidth
from .figures import chip_figures, workload_figures
from .passes import pass_cost, pass_rate
from .precision import (EXAMPLE, activation_bytes, bytes_per_value, formats, is_known,
                        math_format, optimizer_bytes)


@dataclass(frozen=True)
class SweepResult:
    """Arrays of shape (models, hardware, batch sizes, precisions), SI units."""

    models: tuple[str, ...]
    hardware: tuple[str, ...]
    batch_sizes: np.ndarray
    precisions: tuple[str, ...]
    latency_s: np.ndarray
    compute_time_s: np.ndarray
    memory_time_s: np.ndarray
    throughput: np.ndarray
    mfu: np.ndarray
    feasible: np.ndarray
    compute_bound: np.ndarray
    footprint_bytes: np.ndarray
    #: Which (hardware, precision) pairs the chip lists a peak for, shape (hardware, precisions).
    supported: np.ndarray | None = None
    #: Why some cells are NaN and infeasible ("NVIDIA T4 lists no fp8 peak (it supports ...)").
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return int(self.latency_s.size)

    def best(self) -> dict[str, Any]:
        """The feasible configuration with the highest throughput."""
        score = np.where(self.feasible & np.isfinite(self.throughput), self.throughput, -np.inf)
        if not np.isfinite(score).any():
            raise MlsysimError("no configuration of the sweep is feasible (every cell runs out "
                               "of memory or uses a precision its chip lacks); add smaller "
                               "batches, lower precisions or larger chips")
        index = np.unravel_index(int(np.argmax(score)), score.shape)
        return {"model": self.models[index[0]], "hardware": self.hardware[index[1]],
                "batch_size": int(self.batch_sizes[index[2]]),
                "precision": self.precisions[index[3]],
                "throughput": float(self.throughput[index]), "latency_s": float(self.latency_s[index])}


def sweep(models: Sequence[Any], hardware: Sequence[Any], batch_sizes: Sequence[int],
          precisions: Sequence[str], efficiency: float | None = None, *,
          is_training: bool = False, seq_len: int | None = None,
          memory_efficiency: float | None = None) -> SweepResult:
    """Evaluate every combination; see the module docstring. An efficiency left as None takes
    each cell's calibrated class value, as ``Engine.solve`` does."""
    eta = None if efficiency is None else check_fraction(efficiency, "efficiency")
    eta_mem = None if memory_efficiency is None else check_fraction(memory_efficiency,
                                                                    "memory_efficiency")
    is_training = check_flag(is_training, "is_training")
    models, hardware = _listed(models, "models"), _listed(hardware, "hardware")
    batch_sizes, precisions = _listed(batch_sizes, "batch_sizes"), _listed(precisions, "precisions")
    batches = np.array([check_count(_whole(b), "batch_sizes") for b in batch_sizes], dtype=float)
    works = [workload_figures(resolve_entry(m, "Models", "model")) for m in models]
    chips = [chip_figures(resolve_entry(h, "Hardware", "hardware")) for h in hardware]
    for precision in precisions:
        _check_precision(chips, precision)
    weight_b = np.array([bytes_per_value(p) for p in precisions])
    act_b = np.array([activation_bytes(p) for p in precisions])
    opt_b = np.array([optimizer_bytes(p) for p in precisions])
    maths = [math_format(p) for p in precisions]  # a weight-only pair computes at its second
    supported = np.array([[m in c.peaks for m in maths] for c in chips], dtype=bool)
    notes = []
    for index, precision in enumerate(precisions):
        for chip, ok in zip(chips, supported[:, index]):
            if not ok:
                notes.append(f"{chip.name} lists no {maths[index]} peak (it supports: "
                             f"{', '.join(usable_precisions(chip))}): those cells are NaN and "
                             "infeasible")
    peak = np.array([[c.peaks.get(m, math.nan) for m in maths] for c in chips])  # (H, P)
    bandwidth = modeled_bandwidth(np.array([c.bandwidth for c in chips]))
    capacity = np.array([c.capacity for c in chips])

    shape = (len(works), len(chips), len(batches), len(precisions))
    out = {name: np.empty(shape) for name in ("lat", "tc", "tm", "rate", "mfu", "foot")}
    b = batches[:, None]                      # (B, 1)
    for i, w in enumerate(works):
        if seq_len is not None:
            seq = check_context(check_count(seq_len, "seq_len"), w)
        else:
            seq = default_seq_len(w) if w.kind != "per_sample" else 0
        flops, traffic, footprint = pass_cost(
            w, batch=b, seq_len=seq, weight_bytes=weight_b[None, :], act_bytes=act_b[None, :],
            optimizer_bytes=opt_b[None, :], training=is_training)      # (B, P)
        flops = np.broadcast_to(flops, (len(batches), len(precisions)))
        traffic = np.broadcast_to(traffic, flops.shape)
        eta_w, eta_mem_w = _class_efficiencies(w, batches, is_training, eta, eta_mem,
                                               precisions)                    # (B, P), (B, 1)
        t_compute = roofline.compute_time(flops[None], peak[:, None, :], eta_w)        # (H, B, P)
        t_memory = roofline.memory_time(traffic[None], bandwidth[:, None, None] * eta_mem_w)
        latency = roofline.roofline_time(t_compute, t_memory)
        rate, _ = pass_rate(w, batch=b, seq_len=seq, latency=latency, training=is_training)
        out["lat"][i], out["tc"][i], out["tm"][i] = latency, t_compute, t_memory
        out["rate"][i] = rate
        out["mfu"][i] = roofline.utilization(flops[None], latency, peak[:, None, :])
        out["foot"][i] = np.broadcast_to(footprint, flops.shape)[None]
    feasible = (out["foot"] <= capacity[None, :, None, None]) & supported[None, :, None, :]
    return SweepResult(
        models=tuple(w.name for w in works), hardware=tuple(c.name for c in chips),
        batch_sizes=batches, precisions=tuple(precisions), latency_s=out["lat"],
        compute_time_s=out["tc"], memory_time_s=out["tm"], throughput=out["rate"], mfu=out["mfu"],
        feasible=feasible, compute_bound=out["tc"] >= out["tm"], footprint_bytes=out["foot"],
        supported=supported, notes=tuple(notes))


def _class_efficiencies(w, batches, training: bool, eta, eta_mem, precisions):
    """(compute efficiency per batch row and precision, shape (B, P); memory efficiency per batch
    row, shape (B, 1)): the value given, else the calibrated one of the pass's class
    (``calibration.engine_class``; only a per-sample model's class depends on the batch:
    single_stream at batch 1), scaled for low-precision math as ``Engine.solve`` does."""
    from . import calibration

    one_cls = calibration.engine_class(w.kind, 1, training)
    many_cls = calibration.engine_class(w.kind, 2, training)
    # (P, 2): each precision's (compute, memory) pair, as Engine.solve takes it (the memory
    # efficiency does not depend on the precision).
    one = np.array([calibration.efficiency_for(one_cls, p) for p in precisions])
    many = np.array([calibration.efficiency_for(many_cls, p) for p in precisions])
    single = (batches == 1)[:, None]
    return (eta if eta is not None else np.where(single, one[None, :, 0], many[None, :, 0]),
            eta_mem if eta_mem is not None else np.where(single, one[0, 1], many[0, 1]))


def _check_precision(chips: list[Any], precision: Any) -> None:
    """A precision at least one chip of the sweep lists (and mlsysim knows); else the error
    ``Engine.solve`` gives, naming the precisions the chips support."""
    known = is_known(precision)
    if known and any(math_format(precision) in chip.peaks for chip in chips):
        return
    if len(chips) == 1:
        check_precision(chips[0], precision)  # raises, naming what the chip supports
    usable = ", ".join(dict.fromkeys(p for chip in chips for p in usable_precisions(chip)))
    if known:
        raise PrecisionError(f"no chip of the sweep lists a {math_format(precision)} peak; use "
                             f"one of {usable} (the ones these chips support)",
                             name="precision", value=precision)
    if isinstance(precision, str) and ("/" in precision or precision[:1] == "w"):
        formats(precision)  # raises the weight-only pair's own message
    raise InputError(f"precision {show(precision)} is not one mlsysim knows; use one of {usable} "
                     f"(the ones these chips support) or a weight-only pair such as w4a16 "
                     f"({EXAMPLE})", name="precision", value=precision)


def _listed(values: Any, name: str) -> list[Any]:
    """A sequence argument as a list; one name, entry or number stands for a list of one."""
    if isinstance(values, (str, int, float)) or hasattr(values, "metadata"):
        return [values]
    try:
        listed = list(values)
    except TypeError:
        raise InputError(f"{name} must be a list, got {type(values).__name__} {show(values)}; "
                         f"e.g. {name}=[...]", name=name, value=values) from None
    if not listed:
        raise InputError(f"{name} is empty; give at least one", name=name, value=values)
    return listed


def _whole(value: Any) -> Any:
    """A float batch size that is a whole number (8.0, from np.arange) as an int."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value
