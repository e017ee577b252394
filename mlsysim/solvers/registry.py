"""The one registry of solvers: name -> solver class, result model and the scenario modes it serves.

Scenario evaluation, plan files (``solvers: [...]``), the ``mlsysim solvers`` command and the
API reference all read this registry, so a new solver is one module plus one line here::

    register(RooflineRidgeModel, result=RooflineRidgeResult, modes=("inference",),
             summary="Ridge point of a chip's roofline and where a model sits against it.")

A scenario feeds a solver by parameter name: :func:`scenario_arguments` passes each ``solve``
parameter the scenario knows (``model``, ``hardware``, ``fleet``, ``precision``,
``batch_size``, ...; see :data:`SCENARIO_INPUTS`) and leaves the rest at their defaults.
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, UnknownNameError
from ..errors import shown as show
from .base import ForwardModel, SolverResult
from .checkpoint import CheckpointModel, CheckpointResult
from .distributed import DistributedModel, DistributedResult
from .economics import EconomicsModel, EconomicsResult
from .reliability import ReliabilityModel, ReliabilityResult
from .serving import ServingModel, ServingResult
from .sustainability import SustainabilityModel, SustainabilityResult
from .continuous_batching import ContinuousBatchingModel, ContinuousBatchingResult
from .tail_latency import TailLatencyModel, TailLatencyResult
from .scaling_law import ScalingLawModel, ScalingLawResult
from .reasoning import ReasoningModel, ReasoningResult
from .compression import CompressionModel, CompressionResult
from .moe_routing import MoERoutingModel, MoERoutingResult
from .sensitivity import SensitivityModel, SensitivityResult
from .chunked_prefill import ChunkedPrefillModel, ChunkedPrefillResult
from .disaggregation import DisaggregatedServingModel, DisaggregatedServingResult
from .continuous_batching import PrefixCachingModel, PrefixCachingResult
from .synthesis import SynthesisModel, SynthesisResult
from .software import SoftwareEfficiencyModel, SoftwareEfficiencyResult
from .data_pipeline import DataPipelineModel, DataPipelineResult
from .locality import LocalityModel, LocalityResult
from .multi_tenant import MultiTenantModel, MultiTenantResult
from .safety import SafetyModel, SafetyResult

#: Scenario modes (``ScenarioSpec.mode``) a solver may serve.
MODES = ("inference", "serving", "training")

#: What a scenario hands a solver, by ``solve`` parameter name, and where it comes from.
SCENARIO_INPUTS = {
    "model": "the scenario's workload (a Models entry)",
    "hardware": "the scenario's hardware (a Hardware entry)",
    "fleet": "the cluster's first `devices` accelerators, else `devices` stand-alone devices",
    "precision": "precision",
    "batch_size": "batch_size",
    "seq_len": "seq_len",
    "tp_size": "tp_size",
    "pp_size": "pp_size",
    "microbatch_count": "microbatch_count",
    "zero_stage": "zero_stage",
    "activation_recomputation": "activation_recomputation",
    "duration_days": "duration_days",
    "datacenter": "grid (an Infrastructure.Grids entry)",
    "grid": "grid (an Infrastructure.Grids entry)",
    "mfu": "utilization",
    "efficiency": "the efficiency override, when one is given",
    "memory_efficiency": "the memory_efficiency override, when one is given",
    "cp_size": "cp_size",
    "placement": "placement (rank order), when one is given",
}


@dataclass(frozen=True)
class SolverRecord:
    """One registered solver: what it is called, what it returns, which scenarios it serves."""

    name: str
    solver: type[ForwardModel]
    result: type[SolverResult]
    modes: tuple[str, ...]
    summary: str

    def create(self) -> ForwardModel:
        """A fresh instance of the solver."""
        return self.solver()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "solver": f"{self.solver.__module__}.{self.solver.__name__}",
                "result": f"{self.result.__module__}.{self.result.__name__}",
                "modes": list(self.modes), "summary": self.summary,
                "fields": self.result.field_descriptions()}


_RECORDS: dict[str, SolverRecord] = {}


def register(solver: type[ForwardModel], *, result: type[SolverResult],
             modes: tuple[str, ...] | list[str], summary: str,
             name: str | None = None) -> SolverRecord:
    """Add ``solver`` to the registry under ``name`` (default: the class's ``name``).

    ``result`` is the :class:`SolverResult` subclass its ``solve`` returns; ``modes`` the
    scenario modes it serves (a subset of :data:`MODES`); ``summary`` one line for listings.
    Registering the same class again under its name is a no-op; another class under a taken
    name is an InputError.
    """
    name = name or getattr(solver, "name", solver.__name__)
    if not (isinstance(solver, type) and issubclass(solver, ForwardModel)):
        raise InputError(f"register({show(name)}): solver must be a ForwardModel subclass, got "
                         f"{show(solver)}", name="solver", value=solver)
    if not (isinstance(result, type) and issubclass(result, SolverResult)):
        raise InputError(f"register({show(name)}): result must be a SolverResult subclass, got "
                         f"{show(result)}", name="result", value=result)
    if not isinstance(name, str) or not name.isidentifier():
        raise InputError(f"register: name must be a Python identifier, got {show(name)}",
                         name="name", value=name)
    returns = inspect.signature(solver.solve).return_annotation
    returns = getattr(returns, "__name__", returns)
    if returns is not inspect.Signature.empty and returns != result.__name__:
        raise InputError(f"register({name}): {solver.__name__}.solve is annotated to return "
                         f"{returns}, not {result.__name__}; register the result it returns",
                         name="result", value=result)
    modes = tuple(modes)
    unknown = [mode for mode in modes if mode not in MODES]
    if not modes or unknown:
        raise InputError(f"register({name}): modes must be one or more of {', '.join(MODES)}, "
                         f"got {show(list(modes))}", name="modes", value=modes)
    if not isinstance(summary, str) or not summary.strip():
        raise InputError(f"register({name}): summary must be one line of text saying what the "
                         "solver predicts", name="summary", value=summary)
    record = SolverRecord(name, solver, result, modes, summary.strip())
    taken = _RECORDS.get(name)
    if taken is not None and taken.solver is not solver:
        raise InputError(f"register: the name {name} is taken by "
                         f"{taken.solver.__module__}.{taken.solver.__name__}; choose another",
                         name="name", value=name)
    _RECORDS[name] = record
    return record


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (tests and notebooks that registered a toy solver)."""
    get(name)
    del _RECORDS[name]


def get(name: str) -> SolverRecord:
    """The record of ``name``; UnknownNameError listing the registered solvers otherwise."""
    record = _RECORDS.get(name) if isinstance(name, str) else None
    if record is None:
        close = tuple(difflib.get_close_matches(name, list(_RECORDS), n=3, cutoff=0.8)) \
            if isinstance(name, str) else ()
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise UnknownNameError(f"{show(name)} is not a registered solver{hint}; registered: "
                               f"{', '.join(_RECORDS)} (`mlsysim solvers` lists them)",
                               name=str(name)[:100], suggestions=close)
    return record


def records() -> tuple[SolverRecord, ...]:
    """Every registered solver, in registration order."""
    return tuple(_RECORDS.values())


def names() -> tuple[str, ...]:
    return tuple(_RECORDS)


def for_mode(mode: str) -> tuple[SolverRecord, ...]:
    """The solvers that serve scenarios of ``mode``."""
    return tuple(record for record in _RECORDS.values() if mode in record.modes)


def scenario_arguments(record: SolverRecord, available: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``record``'s ``solve`` that ``available`` (a scenario's inputs,
    by :data:`SCENARIO_INPUTS` name) supplies; InputError when a required parameter is not
    among them."""
    signature = inspect.signature(record.solver.solve)
    arguments: dict[str, Any] = {}
    for parameter in list(signature.parameters.values())[1:]:  # past self
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in available and available[parameter.name] is not None:
            arguments[parameter.name] = available[parameter.name]
        elif parameter.default is parameter.empty:
            raise InputError(f"{record.name}.solve needs {parameter.name!r}, which a scenario "
                             f"does not give (it gives: {', '.join(SCENARIO_INPUTS)}); give the "
                             "parameter a default or call the solver directly",
                             name="solvers", value=record.name)
    return arguments


register(ServingModel, result=ServingResult, modes=("serving",),
         summary="LLM serving: time to first token, inter-token latency, KV cache and memory "
                 "fit on tp_size GPUs of one node.")
register(DistributedModel, result=DistributedResult, modes=("training",),
         summary="One 3D-parallel training step over a fleet: compute, communication, pipeline "
                 "bubble, MFU and memory per rank.")
register(CheckpointModel, result=CheckpointResult, modes=("training",),
         summary="Size of a training checkpoint and the time to write it.")
register(ReliabilityModel, result=ReliabilityResult, modes=("training",),
         summary="Fleet MTBF, failure probability, Young-Daly checkpoint interval and goodput.")
register(SustainabilityModel, result=SustainabilityResult, modes=MODES,
         summary="Energy, operational and embodied carbon, and water of a fleet over a period.")
register(EconomicsModel, result=EconomicsResult, modes=MODES,
         summary="Total cost of ownership of a fleet over a period, and the rental alternative.")
register(ContinuousBatchingModel, result=ContinuousBatchingResult, modes=("serving",),
         summary="Serving capacity under continuous batching: the largest batch meeting TTFT "
                 "and ITL SLOs, its throughput, and the wall that binds.")
register(TailLatencyModel, result=TailLatencyResult, modes=("inference", "serving"),
         summary="Queueing and fan-out: P50, P99 and P99.9 latency of a server at a load.")
register(ScalingLawModel, result=ScalingLawResult, modes=("training",),
         summary="Complexity wall: Chinchilla-optimal parameters and tokens for a compute budget, "
                 "and its training time on a fleet.")
register(ReasoningModel, result=ReasoningResult, modes=("inference", "serving"),
         summary="Inference-time compute wall: FLOPs and latency of an answer of reasoning "
                 "tokens x samples (best-of-N, self-consistency).")
register(CompressionModel, result=CompressionResult, modes=("inference", "serving"),
         summary="Fidelity wall (cost side): memory and decode speed-up of weight-only "
                 "quantization and structured pruning; accuracy not modelled.")
register(MoERoutingModel, result=MoERoutingResult, modes=("inference", "serving", "training"),
         summary="Mixture-of-experts routing: load imbalance under skew, tokens dropped at a "
                 "capacity factor, all-to-all bytes per token.")
register(SensitivityModel, result=SensitivityResult, modes=MODES,
         summary="Sensitivity wall: a tornado table of one output of any registered solver, "
                 "each numeric input moved +/-x%.")
register(ChunkedPrefillModel, result=ChunkedPrefillResult, modes=("serving",),
         summary="Chunked prefill (Sarathi-Serve): TTFT, ITL and throughput with the prompt "
                 "prefilled C tokens per decode iteration, vs the unchunked prefill stall.")
register(DisaggregatedServingModel, result=DisaggregatedServingResult, modes=("serving",),
         summary="Prefill/decode disaggregation (DistServe, Splitwise): KV transfer, goodput "
                 "per GPU within TTFT and ITL SLOs, best pool split vs colocated serving.")
register(PrefixCachingModel, result=PrefixCachingResult, modes=("serving",),
         summary="Prefix caching: TTFT and throughput gain of a hit rate h on a shared prefix "
                 "of P tokens (less prefill, shared KV blocks) vs no cache.")
register(SynthesisModel, result=SynthesisResult, modes=("serving",),
         summary="Synthesis wall: the cheapest accelerator, tensor-parallel size and replica "
                 "count meeting throughput, TTFT/ITL and memory targets (inverse design).")
register(SoftwareEfficiencyModel, result=SoftwareEfficiencyResult, modes=MODES,
         summary="Software wall: MFU as a product of shares of peak (kernel efficiency, "
                 "memory-bound time, recomputation, pipeline bubble, communication).")
register(DataPipelineModel, result=DataPipelineResult, modes=("inference", "training"),
         summary="Ingestion and transformation walls: storage reads and host preprocessing "
                 "against the accelerators' demand; cores needed and idle share.")
register(LocalityModel, result=LocalityResult, modes=("inference", "serving"),
         summary="Locality wall: time and energy to move data from a memory level (SRAM to "
                 "storage) to the compute; decode speed when weights stream from it.")
register(MultiTenantModel, result=MultiTenantResult, modes=("inference", "serving"),
         summary="Multi-tenant wall: LLM tenants sharing one GPU as MIG slices or by "
                 "time-slicing; per-tenant latency and fit, aggregate throughput, which binds.")
register(SafetyModel, result=SafetyResult, modes=("inference", "serving"),
         summary="Safety wall: latency, GPU time and cost of guard-model checks (Llama Guard) "
                 "on the prompt and the answer, with regeneration of flagged answers.")
