"""Memory footprints of weights and optimizer state."""

from __future__ import annotations


def weight_memory(parameters, bytes_per_parameter):
    """Bytes of the weights: W = N * b."""
    return parameters * bytes_per_parameter


def training_state_memory(parameters, bytes_per_parameter, optimizer_bytes_per_parameter):
    """Weights, gradients and optimizer state of data-parallel training without sharding.

    M = N * (b_weights + b_grads + b_opt). Mixed-precision Adam keeps 2 + 2 + 12 = 16 bytes
    per parameter (Rajbhandari et al., "ZeRO", 2020, section 3.1).
    """
    return parameters * (2 * bytes_per_parameter + optimizer_bytes_per_parameter)


def zero_sharded_state_memory(parameters, bytes_per_parameter, optimizer_bytes_per_parameter,
                              data_parallel, stage):
    """Per-rank weights, gradients and optimizer state under ZeRO stage 0-3.

    Stage 1 shards optimizer state, stage 2 also gradients, stage 3 also weights, each over the
    ``data_parallel`` ranks (Rajbhandari et al. 2020, Figure 1).
    """
    weights = parameters * bytes_per_parameter
    grads = parameters * bytes_per_parameter
    optimizer = parameters * optimizer_bytes_per_parameter
    if stage >= 1:
        optimizer = optimizer / data_parallel
    if stage >= 2:
        grads = grads / data_parallel
    if stage >= 3:
        weights = weights / data_parallel
    return weights + grads + optimizer
