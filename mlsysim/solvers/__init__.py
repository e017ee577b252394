"""Solvers (experimental API): serving, serving capacity and tail latency, distributed
training, and the macro models.

Parameter names follow the textbook's earlier release so notebooks keep working.
"""

from .base import ForwardModel, SolverResult
from .checkpoint import CheckpointModel
from .continuous_batching import (ContinuousBatchingModel, ContinuousBatchingResult,
                                  serve_request)
from .distributed import DistributedModel
from .economics import EconomicsModel
from .reliability import ReliabilityModel
from .serving import ServingModel
from .sustainability import SustainabilityModel
from .tail_latency import TailLatencyModel, TailLatencyResult

__all__ = ["CheckpointModel", "ContinuousBatchingModel", "ContinuousBatchingResult",
           "DistributedModel", "EconomicsModel", "ForwardModel", "ReliabilityModel",
           "ServingModel", "SolverResult", "SustainabilityModel", "TailLatencyModel",
           "TailLatencyResult", "serve_request"]
