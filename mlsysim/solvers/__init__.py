"""Solvers (experimental API): serving, distributed training, and the macro models.

Parameter names follow the textbook's earlier release so notebooks keep working. Each solver
returns its own typed result (a :class:`SolverResult` subclass); :mod:`.registry` lists them
all, with the scenario modes each serves.
"""

from .base import ForwardModel, SolverResult
from .checkpoint import CheckpointModel, CheckpointResult
from .distributed import DistributedModel, DistributedResult
from .economics import EconomicsModel, EconomicsResult
from .reliability import ReliabilityModel, ReliabilityResult
from .serving import ServingModel, ServingResult
from .sustainability import SustainabilityModel, SustainabilityResult

__all__ = ["CheckpointModel", "CheckpointResult", "DistributedModel", "DistributedResult",
           "EconomicsModel", "EconomicsResult", "ForwardModel", "ReliabilityModel",
           "ReliabilityResult", "ServingModel", "ServingResult", "SolverResult",
           "SustainabilityModel", "SustainabilityResult"]
