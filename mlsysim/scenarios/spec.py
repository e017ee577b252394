"""The schema of a scenario: a workload on a target, with the constraints it must meet.

Scenarios are data (``zoo/data/Scenarios``); evaluating one walks the
Hierarchy of Constraints (feasibility, performance, macro/economics).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from ..engine.checks import MAX_COUNT, show
from ..units import DIMENSIONS, quantity_type
from ..zoo.entry import ZooEntry
from ..zoo.reference import RegistryPath, reference_field

#: A count (batch size, sequence length, devices, parallel sizes): a whole number in
#: [1, MAX_COUNT]; text ("8") and floats (8.0) are refused rather than converted.
Count = Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]

#: The targets and budgets a scenario can set: field -> (dimension, an example).
LIMITS = {"latency_sla": ("time", "450 ms"), "required_rate": ("sample_rate", "30 sample/s"),
          "power_budget": ("power", "3.5 W"), "energy_budget": ("energy", "50 MWh"),
          "carbon_budget": ("carbon", "20 tCO2e"), "cost_budget": ("currency", "300000 USD")}


def check_limit(name: str, quantity: Any) -> Any:
    """``quantity`` if it is a positive, finite single number; else ValueError naming the
    value, the limit and an example. An SLA or budget of zero, below zero or NaN can never
    be met or checked, so it is refused rather than reported as a FAIL or PASS."""
    magnitude = getattr(quantity, "magnitude", quantity)
    try:
        ok = math.isfinite(magnitude) and magnitude > 0
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        unit = getattr(quantity, "units", "")
        raise ValueError(f"must be a positive, finite quantity, got {show(magnitude)} "
                         f"{unit:~}".rstrip() + f"; e.g. '{LIMITS[name][1]}'")
    return quantity


def describe_errors(exc: Any, *, fields: Any = (), prefix: dict[str, str] | None = None,
                    most: int = 3) -> str:
    """A pydantic ValidationError as one line: each problem as ``field: what is wrong, got
    VALUE`` (the value cut to a readable length), an unknown field with close matches among
    ``fields``; ``prefix`` maps a field to the section it sits in (``constraints.``)."""
    import difflib

    problems = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        loc = (prefix or {}).get(str(error["loc"][0]) if error["loc"] else "", "") + loc
        kind, message = error["type"], error["msg"].removeprefix("Value error, ")
        if kind == "missing":
            problems.append(f"{loc}: required field is missing")
        elif kind == "extra_forbidden":
            last = str(error["loc"][-1])
            close = difflib.get_close_matches(last, list(fields), n=2, cutoff=0.6)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            problems.append(f"unknown field {show(loc)}{hint}")
        elif ", got " in message or show(error.get("input")) in message:
            problems.append(f"{loc}: {message}")
        else:
            problems.append(f"{loc}: {message}, got {show(error.get('input'))}")
    more = len(problems) - most
    return "; ".join(problems[:most]) + (f" (and {more} more)" if more > 0 else "")


class ScenarioSpec(ZooEntry):
    """A running example of the book: what runs where, and what it must achieve."""

    workload: RegistryPath = reference_field("Models", "The model, e.g. Models.Vision.ResNet50.")
    hardware: RegistryPath = reference_field("Hardware", "The accelerator or device it runs on.")
    mode: Literal["inference", "serving", "training"] = Field(
        default="inference", description="inference: one pass per request; serving: LLM prefill and "
                                         "decode; training: forward and backward over a fleet.")
    batch_size: Count = Field(default=1, description="Samples (or sequences) per pass.")
    precision: str = Field(default="fp16", description="Numeric precision of the weights and math.")
    seq_len: Count | None = Field(default=None, description="Context length (language models).")
    devices: Count = Field(default=1, description="How many of the hardware run the workload.")
    tp_size: Count | None = Field(default=None, description="Tensor-parallel ranks (serving: "
                                "defaults to devices; training: 1).")
    pp_size: Count = Field(default=1, description="Pipeline stages (training).")
    cp_size: Count = Field(default=1, description="Context-parallel ranks, each holding "
                                                  "seq_len / cp_size tokens (training).")
    placement: str | None = Field(default=None, description="Rank order, innermost first, e.g. "
                                  "'tp-cp-pp-dp' (training; None: DistributedModel's default).")
    microbatch_count: Count = Field(default=1,
                                  description="Microbatches per data-parallel replica (training).")
    zero_stage: Literal[0, 1, 2, 3] = Field(default=0, description="ZeRO optimizer-state sharding.")
    activation_recomputation: bool = Field(
        default=False, description="Recompute activations in the backward pass (training).")
    cluster: RegistryPath | None = reference_field(
        "Systems.Clusters", "The fleet, for training scenarios.", optional=True)
    grid: RegistryPath | None = reference_field(
        "Infrastructure.Grids", "Where the electricity comes from.", optional=True)
    utilization: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False,
                               description="Share of the year the devices are busy (duty cycle).")
    duration_days: float = Field(default=365.0, gt=0, allow_inf_nan=False,
                                 description="Period the macro level accounts for.")
    latency_sla: quantity_type(DIMENSIONS["time"]) | None = Field(
        default=None, description="Latency each pass (or first token) must beat.")
    required_rate: quantity_type(DIMENSIONS["sample_rate"]) | None = Field(
        default=None, description="Input rate the system must keep up with (the data-rate wall).")
    power_budget: quantity_type(DIMENSIONS["power"]) | None = Field(
        default=None, description="Power the device may draw.")
    energy_budget: quantity_type(DIMENSIONS["energy"]) | None = Field(
        default=None, description="Energy allowed over the period.")
    carbon_budget: quantity_type(DIMENSIONS["carbon"]) | None = Field(
        default=None, description="Emissions allowed over the period.")
    cost_budget: quantity_type(DIMENSIONS["currency"]) | None = Field(
        default=None, description="Total cost of ownership allowed over the period.")

    @field_validator(*LIMITS)
    @classmethod
    def _positive_limit(cls, value: Any, info: Any) -> Any:
        return value if value is None else check_limit(info.field_name, value)

    def evaluate(self, **overrides: Any):
        """Walk the Hierarchy of Constraints: feasibility, performance, macro/economics.

        Keyword ``overrides`` replace the scenario's own fields for this evaluation
        (``batch_size=8``, ``hardware="H200"``, ``grid="Norway"``); ``efficiency`` and
        ``memory_efficiency`` replace the calibrated defaults. Returns a
        :class:`~mlsysim.scenarios.evaluation.SystemEvaluation`.
        """
        from .evaluate import evaluate_scenario

        return evaluate_scenario(self, **overrides)
