"""Solvers (experimental API): serving, serving capacity and tail latency, distributed
training, the macro models, and one solver for each of the walls.

Parameter names follow the textbook's earlier release so notebooks keep working. Each solver
returns its own typed result (a :class:`SolverResult` subclass); :mod:`.registry` lists them
all, with the scenario modes each serves.
"""

from .base import ForwardModel, SolverResult
from .checkpoint import CheckpointModel, CheckpointResult
from .chunked_prefill import ChunkedPrefillModel, ChunkedPrefillResult
from .compression import CompressionModel, CompressionResult
from .continuous_batching import (ContinuousBatchingModel, ContinuousBatchingResult,
                                  PrefixCachingModel, PrefixCachingResult, serve_request)
from .data_pipeline import DataPipelineModel, DataPipelineResult
from .disaggregation import DisaggregatedServingModel, DisaggregatedServingResult
from .distributed import DistributedModel, DistributedResult
from .economics import EconomicsModel, EconomicsResult
from .locality import LocalityModel, LocalityResult
from .moe_routing import MoERoutingModel, MoERoutingResult
from .multi_tenant import MultiTenantModel, MultiTenantResult
from .reasoning import ReasoningModel, ReasoningResult
from .reliability import ReliabilityModel, ReliabilityResult
from .safety import SafetyModel, SafetyResult
from .scaling_law import ScalingLawModel, ScalingLawResult
from .sensitivity import SensitivityModel, SensitivityResult
from .serving import ServingModel, ServingResult
from .software import SoftwareEfficiencyModel, SoftwareEfficiencyResult
from .sustainability import SustainabilityModel, SustainabilityResult
from .synthesis import SynthesisModel, SynthesisResult
from .tail_latency import TailLatencyModel, TailLatencyResult

__all__ = [
    "CheckpointModel", "CheckpointResult", "ChunkedPrefillModel", "ChunkedPrefillResult",
    "CompressionModel", "CompressionResult", "ContinuousBatchingModel", "ContinuousBatchingResult",
    "DataPipelineModel", "DataPipelineResult", "DisaggregatedServingModel",
    "DisaggregatedServingResult", "DistributedModel", "DistributedResult", "EconomicsModel",
    "EconomicsResult", "ForwardModel", "LocalityModel", "LocalityResult", "MoERoutingModel",
    "MoERoutingResult", "MultiTenantModel", "MultiTenantResult", "PrefixCachingModel", "PrefixCachingResult", "ReasoningModel",
    "ReasoningResult", "ReliabilityModel", "ReliabilityResult", "SafetyModel", "SafetyResult", "ScalingLawModel",
    "ScalingLawResult", "SensitivityModel", "SensitivityResult", "ServingModel", "ServingResult",
    "SoftwareEfficiencyModel", "SoftwareEfficiencyResult", "SolverResult", "SustainabilityModel",
    "SustainabilityResult", "SynthesisModel", "SynthesisResult", "TailLatencyModel",
    "TailLatencyResult", "serve_request",
]
