"""Pipeline parallelism: the bubble."""

from __future__ import annotations

import numpy as np


def pipeline_bubble_fraction(stages, microbatches, interleave=1):
    """Idle share of a 1F1B pipeline step relative to the useful time.

    bubble / ideal = (p - 1) / (v * m), with p stages, m microbatches and v model chunks per
    stage (Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters
    Using Megatron-LM", SC 2021, section 2.2).
    """
    return (stages - 1) / (interleave * microbatches)


def data_parallel_efficiency(compute_time, exposed_communication_time):
    """Share of the step spent computing: E = T_compute / (T_compute + T_comm,exposed)."""
    return compute_time / (compute_time + exposed_communication_time)


def exposed_communication(communication_time, overlappable_compute, overlap):
    """Communication not hidden behind compute: max(0, T_comm - overlap * T_overlappable)."""
    hidden = overlap * overlappable_compute
    return np.maximum(communication_time - hidden, 0 * communication_time)
