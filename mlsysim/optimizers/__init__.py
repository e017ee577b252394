"""Optimizers: searches over the solvers' design space (experimental API).

Each optimizer enumerates the configurations a solver accepts, costs them with that solver
(or the vectorized sweep where the solver is the engine's roofline), and returns the best
configuration under an objective, the Pareto front of the trade-off it searches, and how many
configurations it evaluated and ruled out, counted per reason. One module per optimizer;
:mod:`.pareto` is their shared front. The Synthesis wall's solver,
:class:`mlsysim.solvers.SynthesisModel`, is built on them.
"""

from .batching import BatchingOptimizer, BatchingResult
from .parallelism import ParallelismOptimizer, ParallelismResult
from .pareto import dominates, pareto_front
from .placement import PlacementOptimizer, PlacementResult

__all__ = ["BatchingOptimizer", "BatchingResult", "ParallelismOptimizer", "ParallelismResult",
           "PlacementOptimizer", "PlacementResult", "dominates", "pareto_front"]
