"""The roofline and the iron law of performance.

Williams, Waterman and Patterson, "Roofline: an insightful visual performance
model for multicore architectures", CACM 52(4), 2009.
"""

from __future__ import annotations

import numpy as np


def compute_time(flops, peak_rate, efficiency=1.0):
    """Time to execute ``flops`` at ``efficiency`` of ``peak_rate``.

    T_compute = F / (eta * P_peak)
    """
    return flops / (peak_rate * efficiency)


def memory_time(traffic, bandwidth):
    """Time to move ``traffic`` bytes over memory of ``bandwidth``.

    T_memory = B / BW
    """
    return traffic / bandwidth


def roofline_time(t_compute, t_memory):
    """A kernel that overlaps compute and memory takes the longer of the two.

    T = max(T_compute, T_memory)   (Williams et al. 2009)
    """
    return np.maximum(t_compute, t_memory)


def arithmetic_intensity(flops, traffic):
    """Operations per byte moved: I = F / B."""
    return flops / traffic


def ridge_point(peak_rate, bandwidth):
    """Intensity where compute and memory time are equal: I* = P_peak / BW."""
    return peak_rate / bandwidth


def attainable_rate(intensity, peak_rate, bandwidth):
    """The roof: P = min(P_peak, I * BW)."""
    return np.minimum(peak_rate, intensity * bandwidth)


def utilization(flops, elapsed, peak_rate):
    """Model FLOPs utilization: achieved rate over peak, MFU = F / (T * P_peak).

    Chowdhery et al., "PaLM: Scaling Language Modeling with Pathways", 2022, appendix B.
    """
    return flops / (elapsed * peak_rate)


def energy(power, elapsed):
    """Energy drawn at ``power`` for ``elapsed`` time: E = P * T."""
    return power * elapsed


def board_power(idle_power, max_power, utilization):
    """Power drawn at ``utilization`` in [0, 1], linear between idle and full load.

    P(u) = P_idle + (P_max - P_idle) * u   (Fan, Weber and Barroso, "Power Provisioning for a
    Warehouse-sized Computer", ISCA 2007: their simple model, power rising linearly with
    utilisation from the idle draw to the busy one). At u = 1 it is P_max, the TDP; with
    P_idle = P_max it is the TDP at any utilisation.
    """
    return idle_power + (max_power - idle_power) * utilization
