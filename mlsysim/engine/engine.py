"""Engine.solve: one workload, one device, one pass, through the roofline."""

from __future__ import annotations

import math
from typing import Any

from ..errors import OOMError
from ..physics import roofline
from . import calibration
from .checks import check_context, check_count, check_flag, check_fraction, peak_for, resolve_entry
from .figures import WorkloadFigures, chip_figures, idle_draw, workload_figures
from .passes import pass_cost, pass_rate
from .precision import activation_bytes, bytes_per_value, optimizer_bytes
from ..formatting import si
from .profile import PerformanceProfile

def modeled_bandwidth(bandwidth):
    """The bandwidth the roofline uses: a chip without a published figure gets no memory roof.

    Microcontrollers and phone SoCs often publish no memory bandwidth. Rather than refuse, the
    engine then models compute time only, and the constraint trace says so.
    """
    import numpy as np

    return np.where(np.isnan(bandwidth), np.inf, bandwidth) if isinstance(bandwidth, np.ndarray) \
        else (math.inf if math.isnan(bandwidth) else bandwidth)


def default_seq_len(w: WorkloadFigures) -> int:
    default = calibration.tokens("DefaultSeqLen")
    if not math.isnan(w.context_length):
        return min(default, int(w.context_length))
    return default


class Engine:
    """The single-device roofline solver (``Engine.solve``) and its vectorized form (``sweep``)."""

    @staticmethod
    def sweep(models, hardware, batch_sizes, precisions, efficiency: float | None = None,
              **kwargs):
        """Every combination of models x hardware x batch sizes x precisions as NumPy arrays."""
        from .sweep import sweep

        return sweep(models, hardware, batch_sizes, precisions, efficiency, **kwargs)

    @staticmethod
    def solve(model: Any, hardware: Any, batch_size: int = 1, precision: str = "fp16",
              efficiency: float | None = None, *, is_training: bool = False,
              seq_len: int | None = None, raise_errors: bool = False,
              memory_efficiency: float | None = None) -> PerformanceProfile:
        """Latency, throughput, bottleneck, MFU, memory fit and energy of one pass.

        A pass is one forward pass over ``batch_size`` samples; for a decoder language model
        it is one decode step (one new token for each of ``batch_size`` sequences at context
        ``seq_len``); with ``is_training`` it is a forward and backward pass. Time follows the
        roofline, T = max(F / (eta * P_peak), B / (eta_mem * BW)), at the precision's own
        dense peak. Energy is latency times P = P_idle + (TDP - P_idle) x u (Fan, Weber and
        Barroso, ISCA 2007), u the busier of the compute (F / (P_peak T)) and memory
        (B / (BW T)) shares; P_idle is the chip's measured idle draw (``power.idle``), else its
        lowest power mode (``power.min``); without either it is TDP x latency, an upper bound.
        The trace names the Zoo path of the idle figure used. ``efficiency`` and
        ``memory_efficiency`` left as None take the calibrated value of the pass's workload class
        (``calibration.engine_class``) from ``Literature.Calibration``, cited in the trace.
        """
        w = workload_figures(resolve_entry(model, "Models", "model"))
        chip = chip_figures(resolve_entry(hardware, "Hardware", "hardware"))
        batch = check_count(batch_size)
        is_training = check_flag(is_training, "is_training")
        calibrated = ()
        peak, rate_unit = peak_for(chip, precision)
        if efficiency is None or memory_efficiency is None:
            cls = calibration.engine_class(w.kind, batch, is_training)
            eta_cal, eta_mem_cal = calibration.efficiency_for(cls, precision)
            calibrated = calibration.cited(cls, efficiency is None, memory_efficiency is None,
                                           precision)
            if efficiency is None:
                efficiency = eta_cal
            if memory_efficiency is None:
                memory_efficiency = eta_mem_cal
        eta = check_fraction(efficiency, "efficiency")
        eta_mem = check_fraction(memory_efficiency, "memory_efficiency")
        raise_errors = check_flag(raise_errors, "raise_errors")
        if seq_len is not None:
            seq = check_context(check_count(seq_len, "seq_len"), w)
        elif w.kind != "per_sample":
            seq = default_seq_len(w)
        else:
            seq = None
        weight_b = bytes_per_value(precision)
        flops, traffic, footprint = pass_cost(
            w, batch=batch, seq_len=seq or 0, weight_bytes=weight_b,
            act_bytes=activation_bytes(precision), optimizer_bytes=optimizer_bytes(precision),
            training=is_training)
        t_compute = roofline.compute_time(flops, peak, eta)
        t_memory = roofline.memory_time(traffic, modeled_bandwidth(chip.bandwidth) * eta_mem)
        latency = roofline.roofline_time(t_compute, t_memory)
        feasible = footprint <= chip.capacity
        rate, unit = pass_rate(w, batch=batch, seq_len=seq, latency=latency, training=is_training)
        mfu = float(roofline.utilization(flops, latency, peak))
        busy = max(mfu, float(roofline.utilization(traffic, latency,
                                                   modeled_bandwidth(chip.bandwidth))))
        idle, idle_path = idle_draw(chip)
        profile = PerformanceProfile(
            model=w.name, hardware=chip.name, precision=precision, batch_size=batch, seq_len=seq,
            is_training=is_training, bottleneck="Compute" if t_compute >= t_memory else "Memory",
            mfu=mfu, feasible=bool(feasible),
            latency_s=float(latency), compute_time_s=float(t_compute),
            memory_time_s=float(t_memory), flops_count=float(flops), traffic_bytes=float(traffic),
            footprint_bytes=float(footprint), capacity_bytes=chip.capacity,
            energy_j=float(roofline.energy(
                roofline.board_power(chip.tdp if idle is None else idle, chip.tdp, busy), latency)),
            throughput_per_s=float(rate),
            throughput_unit=unit, peak_rate=peak, rate_unit=rate_unit, bandwidth=chip.bandwidth,
            efficiency=eta, memory_efficiency=eta_mem,
            weights_bytes=w.parameters * weight_b, calibrated=calibrated, tdp=chip.tdp,
            min_power=chip.min_power, busy_share=busy,
            idle_power=math.nan if idle is None else idle, idle_path=idle_path,
            embeddings=w.embeddings)
        if raise_errors and not feasible:
            fix = (profile.sharding_advice() if w.embeddings else
                   "use a larger memory, lower precision, smaller batch or tensor parallelism "
                   "(ServingModel tp_size)")
            raise OOMError(f"{w.name} does not fit on {chip.name}: needs "
                           f"{si(footprint, 'B')}, has {si(chip.capacity, 'B')}; {fix}",
                           required=footprint, available=chip.capacity)
        return profile
