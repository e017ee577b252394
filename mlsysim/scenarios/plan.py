"""A plan file: a scenario written by a user, with assertions on the results.

``mlsysim eval plan.yaml`` reads one. Names may be short (``Llama3_70B``, ``H100``,
``Norway``); the plan resolves them across the Zoo and becomes a ScenarioSpec.
``mlsysim schema`` prints this model's JSON Schema.

Example::

    name: Chatbot on one 8-GPU server
    workload: Llama3_70B
    hardware: H100
    mode: serving
    batch_size: 4
    seq_len: 2048
    devices: 8
    region: Norway
    constraints: {latency_sla: 450 ms, cost_budget: 300000 USD}
    asserts:
      - performance.itl < 10 ms
      - macro.carbon <= 5 tCO2e
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..engine.checks import show
from ..errors import InputError, UnknownNameError
from .spec import LIMITS, Count, check_limit, describe_errors

ASSERT_PATTERN = re.compile(r"^\s*(feasibility|performance|macro|solvers\.\w+)\.(\w+)\s*"
                            r"(<=|>=|<|>|==)\s*(.+?)\s*$")
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq}


class PlanConstraints(BaseModel):
    """Targets and budgets; each becomes a check in the scorecard."""

    model_config = ConfigDict(extra="forbid")

    latency_sla: str | None = Field(default=None, description="e.g. '450 ms': latency (serving: "
                                                              "time to first token) limit.")
    required_rate: str | None = Field(default=None, description="e.g. '30 sample/s' to keep up with.")
    power_budget: str | None = Field(default=None, description="e.g. '3.5 W' per device.")
    energy_budget: str | None = Field(default=None, description="e.g. '50 MWh' over the period.")
    carbon_budget: str | None = Field(default=None, description="e.g. '20 tCO2e' over the period.")
    cost_budget: str | None = Field(default=None, description="e.g. '300000 USD' TCO over the period.")

    @field_validator("*", mode="before")
    @classmethod
    def _quantity(cls, value: Any, info: Any) -> Any:
        """Each limit is a positive, finite quantity of its dimension, kept as written."""
        if value is None:
            return value
        return check_constraint(info.field_name, value)


class PlanFile(BaseModel):
    """What ``mlsysim eval plan.yaml`` reads."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Plan", description="Title of the scorecard.")
    workload: str = Field(description="Model name or path, e.g. Llama3_70B.")
    hardware: str = Field(description="Accelerator or device name or path, e.g. H100.")
    mode: Literal["inference", "serving", "training"] = "inference"
    batch_size: Count = 1
    precision: str = "fp16"
    seq_len: Count | None = Field(default=None, description="Prompt plus context tokens; "
                                  "required in serving mode.")
    devices: Count = Field(default=1, description="How many of the hardware.")
    tp_size: Count | None = None
    pp_size: Count = 1
    cp_size: Count = 1
    placement: str | None = None
    microbatch_count: Count = 1
    zero_stage: Literal[0, 1, 2, 3] = 0
    activation_recomputation: bool = False
    fleet: str | None = Field(default=None, description="A Systems.Clusters entry (training).")
    region: str | None = Field(default=None, description="An Infrastructure.Grids entry, e.g. Norway.")
    utilization: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False)
    duration_days: float = Field(default=365.0, gt=0, allow_inf_nan=False)
    efficiency: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False,
                                     description="Share of peak compute (default: calibrated).")
    solvers: list[str] = Field(default_factory=list, description=(
        "Registered solvers to run besides the ones the scorecard uses (`mlsysim solvers` "
        "lists them and the modes each serves); each is fed from the plan by parameter name "
        "and its results are asserted as 'solvers.<Name>.<field>'."))
    constraints: PlanConstraints = Field(default_factory=PlanConstraints)
    asserts: list[str] = Field(default_factory=list, description=(
        "Checks on results: '<level>.<metric> <op> <value>', level one of feasibility, "
        "performance, macro or solvers.<Name>; op one of < <= > >= ==; e.g. "
        "'performance.latency < 10 ms'."))


def check_constraint(name: str, value: Any) -> str:
    """``value`` (text such as '450 ms') if it reads as a positive, finite quantity of the
    dimension the limit ``name`` needs; else ValueError naming the value and an example."""
    from ..units import DIMENSIONS, UnitParseError, check_dimension, parse_quantity

    dimension, example = LIMITS[name]
    if not isinstance(value, str):
        raise ValueError(f"must be a quantity with its unit, such as '{example}', got "
                         f"{show(value)}")
    try:
        quantity = parse_quantity(value)
    except UnitParseError as exc:
        cause = f" ({exc})" if len(str(exc)) <= 160 else ""
        raise ValueError(f"cannot read {show(value)} as a quantity{cause}; write e.g. "
                         f"'{example}'") from None
    try:
        check_dimension(quantity, DIMENSIONS[dimension])
    except ValueError as exc:
        raise ValueError(f"{exc}; write e.g. '{example}'") from None
    check_limit(name, quantity)
    return value


def _where(file: Path) -> str:
    """A plan file's name for a message (a long path is cut)."""
    text = str(file)
    return text if len(text) <= 80 else show(text)


@dataclass(frozen=True)
class AssertResult:
    text: str
    passed: bool
    actual: Any
    message: str


def load_plan(path: str | Path) -> PlanFile:
    """Read and validate a plan file; InputError naming the file and field on bad input."""
    from ..errors import ZooError
    from ..zoo.yaml_io import read_yaml

    file = Path(path)
    try:
        exists = file.exists()  # read_yaml refuses what is not a regular file (a FIFO, a folder)
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        exists = False
    if not exists:
        raise InputError(f"plan file {show(str(path))} does not exist; give the path of a YAML "
                         "plan (fields in `mlsysim schema`)", name="plan", value=str(path))
    try:
        data = read_yaml(file)
    except ZooError as exc:  # unreadable, too large, not UTF-8, not YAML: one line naming the file
        raise InputError(f"plan file {_where(file)}: {exc.problem} — {exc.fix}", name="plan",
                         value=str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"{_where(file)}: a plan is a mapping of fields (workload, hardware, "
                         f"...); got {type(data).__name__}", name="plan", value=str(path))
    try:
        plan = PlanFile.model_validate(data)
    except ValidationError as exc:
        fields = {**PlanFile.model_fields, **PlanConstraints.model_fields}
        raise InputError(f"{_where(file)}: {describe_errors(exc, fields=fields)}. See "
                         "`mlsysim schema` for the fields", name="plan", value=str(path)) from None
    for text in plan.asserts:
        _parse_assert(text)
    return plan


def plan_to_scenario(plan: PlanFile) -> Any:
    """The ScenarioSpec a plan describes, with its short names resolved."""
    from ..zoo.registry import default_zoo
    from .spec import ScenarioSpec

    zoo = default_zoo()

    def path(name: str | None, namespace: str, field: str) -> str | None:
        from ..engine.checks import MAX_NAME_LENGTH

        if name is None:
            return None
        if len(name) > MAX_NAME_LENGTH:
            raise UnknownNameError(f"{field}: {show(name)} is not a {namespace} name or path "
                                   f"(those are at most {MAX_NAME_LENGTH} characters); list "
                                   f"them with `mlsysim zoo {namespace}`", name=name[:100])
        try:
            return zoo.lookup(name, namespaces=(namespace,))
        except UnknownNameError as exc:
            message = str(exc).replace(repr(name), show(name))
            raise type(exc)(f"{field}: {message}", name=exc.name,
                            suggestions=exc.suggestions) from None

    data = plan.model_dump(exclude={"constraints", "asserts", "efficiency", "fleet", "region",
                                    "solvers"})
    data.update(workload=path(plan.workload, "Models", "workload"),
                hardware=path(plan.hardware, "Hardware", "hardware"),
                cluster=path(plan.fleet, "Systems", "fleet"),
                grid=path(plan.region, "Infrastructure", "region"))
    data.update({k: v for k, v in plan.constraints.model_dump().items() if v is not None})
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        prefix = {name: "constraints." for name in PlanConstraints.model_fields}
        raise InputError(f"plan: {describe_errors(exc, prefix=prefix)}", name="plan",
                         value=plan.name) from None


def evaluate_plan(plan: PlanFile):
    """(SystemEvaluation, [AssertResult]) for a plan."""
    overrides: dict[str, Any] = {"solvers": plan.solvers} if plan.solvers else {}
    if plan.efficiency is not None:
        overrides["efficiency"] = plan.efficiency
    evaluation = plan_to_scenario(plan).evaluate(**overrides)
    return evaluation, [check_assert(text, evaluation) for text in plan.asserts]


def _parse_assert(text: str):
    from ..units import UnitParseError, parse_quantity

    match = ASSERT_PATTERN.match(text)
    if not match:
        raise InputError(f"assert {show(text)} is not '<level>.<metric> <op> <value>' (level: "
                         "feasibility, performance, macro or solvers.<Name>; op: < <= > >= ==), e.g. "
                         "'performance.latency < 10 ms'", name="asserts", value=text)
    level, metric, op, raw = match.groups()
    try:
        expected = parse_quantity(raw)
    except UnitParseError as exc:
        cause = f" ({exc})" if len(str(exc)) <= 160 else ""
        raise InputError(f"assert {show(text)}: cannot read {show(raw)} as a value{cause}; "
                         "write a number and its unit, e.g. '10 ms'", name="asserts",
                         value=text) from None
    return level, metric, op, expected


def check_assert(text: str, evaluation: Any) -> AssertResult:
    """Compare one metric of ``evaluation`` with the assert's value."""
    import pint

    from .evaluation import fmt

    level_name, metric, op, expected = _parse_assert(text)
    if level_name.startswith("solvers."):
        solver = level_name.partition(".")[2]
        if solver not in evaluation.solvers:
            return AssertResult(text, False, None, f"{level_name} was not run; add {solver} to "
                                                    "the plan's solvers")
        metrics = evaluation.solvers[solver].values
    else:
        metrics = getattr(evaluation, level_name).metrics
    if metric not in metrics:
        available = ", ".join(sorted(metrics)) or "none (the level was skipped)"
        return AssertResult(text, False, None, f"{level_name} has no metric {metric!r}; it has "
                                                f"{available}")
    actual = metrics[metric]
    if actual is None:
        return AssertResult(text, False, None, f"{level_name}.{metric} is unknown (data missing)")
    try:
        passed = bool(OPERATORS[op](actual, expected if isinstance(actual, pint.Quantity)
                                    else float(expected.m_as(""))))
    except (pint.errors.DimensionalityError, TypeError, ValueError) as exc:
        return AssertResult(text, False, actual, f"cannot compare {fmt(actual)} with "
                                                 f"{fmt(expected)}: {exc}")
    verdict = "holds" if passed else "fails"
    return AssertResult(text, passed, actual, f"{verdict}: {level_name}.{metric} = {fmt(actual)}")
