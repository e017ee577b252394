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


def pipeline_p2p_time(microbatches, interleave, transfer_time):
    """Point-to-point time of one step: activations forward and gradients back, per microbatch
    per chunk boundary.

    T = 2 * m * v * T_p2p: with v model chunks per stage every microbatch crosses v times as
    many stage boundaries (Narayanan et al. 2021, section 2.2.2: "the amount of communication
    also increases by v").
    """
    return 2 * microbatches * interleave * transfer_time


def data_parallel_efficiency(compute_time, exposed_communication_time):
    """Share of the step spent computing: E = T_compute / (T_compute + T_comm,exposed)."""
    return compute_time / (compute_time + exposed_communication_time)


def exposed_communication(communication_time, overlappable_compute, overlap):
    """Communication not hidden behind compute: max(0, T_comm - overlap * T_overlappable)."""
    hidden = overlap * overlappable_compute
    return np.maximum(communication_time - hidden, 0 * communication_time)
