"""Solvers (experimental API): serving, serving capacity and tail latency, distributed
training, and the macro models.

Parameter names follow the textbook's earlier release so notebooks keep working. Each solver
returns its own typed result (a :class:`SolverResult` subclass); :mod:`.registry` lists them
all, with the scenario modes each serves.
"""

from .base import ForwardModel, SolverResult
from .checkpoint import CheckpointModel, CheckpointResult
from .compression import CompressionModel, CompressionResult
from .continuous_batching import (ContinuousBatchingModel, ContinuousBatchingResult,
                                  serve_request)
from .distributed import DistributedModel, DistributedResult
from .economics import EconomicsModel, EconomicsResult
from .moe_routing import MoERoutingModel, MoERoutingResult
from .reasoning import ReasoningModel, ReasoningResult
from .reliability import ReliabilityModel, ReliabilityResult
from .scaling_law import ScalingLawModel, ScalingLawResult
from .sensitivity import SensitivityModel, SensitivityResult
from .serving import ServingModel, ServingResult
from .sustainability import SustainabilityModel, SustainabilityResult
from .tail_latency import TailLatencyModel, TailLatencyResult
from .multi_tenant import MultiTenantModel, MultiTenantResult
from .safety import SafetyModel, SafetyResult

__all__ = ["CheckpointModel", "CheckpointResult", "CompressionModel", "CompressionResult", "ContinuousBatchingModel",
           "ContinuousBatchingResult", "DistributedModel", "DistributedResult",
           "EconomicsModel", "EconomicsResult", "ForwardModel", "MoERoutingModel", "MoERoutingResult", "ReasoningModel", "ReasoningResult", "ReliabilityModel",
           "ReliabilityResult", "ScalingLawModel", "ScalingLawResult", "SensitivityModel", "SensitivityResult",
           "ServingModel", "ServingResult", "SolverResult",
           "SustainabilityModel", "SustainabilityResult", "TailLatencyModel",
           "TailLatencyResult", "serve_request"]
__all__ += ["MultiTenantModel", "MultiTenantResult", "SafetyModel", "SafetyResult"]
