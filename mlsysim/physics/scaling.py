"""Compute-optimal training: how a compute budget splits into parameters and tokens.

Hoffmann et al., "Training Compute-Optimal Large Language Models" (Chinchilla), 2022: model
size and training tokens should be scaled equally, about 20 tokens per parameter (Chinchilla:
70B parameters, 1.4T tokens). Training compute C = 6 N D (Kaplan et al., "Scaling Laws for
Neural Language Models", 2020, section 2.1: 2 N FLOPs forward and 4 N backward per token).
"""

from __future__ import annotations

#: Training FLOPs per parameter per token, forward plus backward (Kaplan et al. 2020, 2.1).
TRAINING_FLOPS_PER_PARAMETER_TOKEN = 6


def optimal_parameters(compute, tokens_per_parameter,
                       flops_per_parameter_token=TRAINING_FLOPS_PER_PARAMETER_TOKEN):
    """Parameters of the compute-optimal model: with D = r N and C = k N D,
    N_opt = sqrt(C / (k r))."""
    return (compute / (flops_per_parameter_token * tokens_per_parameter)) ** 0.5


def optimal_tokens(compute, tokens_per_parameter,
                   flops_per_parameter_token=TRAINING_FLOPS_PER_PARAMETER_TOKEN):
    """Training tokens of the compute-optimal model: D_opt = r N_opt = sqrt(C r / k)."""
    return tokens_per_parameter * optimal_parameters(compute, tokens_per_parameter,
                                                     flops_per_parameter_token)


def training_time(compute, accelerators, peak, utilization):
    """Wall-clock time to spend ``compute`` FLOPs: T = C / (n P MFU)."""
    return compute / (accelerators * peak * utilization)
