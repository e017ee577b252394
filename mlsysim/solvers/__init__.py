"""Solvers (experimental API): serving, distributed training, and the macro models.

Parameter names follow the textbook's earlier release so notebooks keep working.
"""

from .base import ForwardModel, SolverResult
from .distributed import DistributedModel
from .serving import ServingModel

__all__ = ["DistributedModel", "ForwardModel", "ServingModel", "SolverResult"]
