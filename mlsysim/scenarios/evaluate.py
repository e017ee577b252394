"""Evaluating a scenario: run the solvers its mode calls for and judge each level.

Feasibility: memory fit (Engine, ServingModel or DistributedModel) and, where the
scenario sets a ``required_rate``, the data-rate wall. Performance: latency (time to
first token when serving, step time when training) against ``latency_sla``. Macro:
SustainabilityModel and EconomicsModel over ``duration_days`` (plus ReliabilityModel for
training) against the power, energy, carbon and cost budgets. A level below a failed
feasibility level is SKIPPED: an out-of-memory design has no latency to judge.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from ..engine import calibration
from ..engine.checks import (check_context, check_tensor_parallel, largest_node, resolve_entry,
                             show)
from ..engine.engine import Engine, default_seq_len
from ..engine.figures import workload_figures
from ..errors import InputError, UnknownNameError
from ..solvers import registry, zoo_defaults
from ..systems.fleet import DeviceGroup, Fleet
from ..formatting import stated
from .evaluation import LevelResult, Status, SystemEvaluation, fmt

def __getattr__(name: str) -> Any:
    # SLA_WARNING_MARGIN reads the Zoo, so it is resolved on first use, not at import.
    if name == "SLA_WARNING_MARGIN":
        return sla_warning_margin()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sla_warning_margin() -> float:
    """A latency inside its SLA by less than this share is a WARNING, not a PASS.

    It is the engine's held-out median absolute error against cited measurements
    (``mlsysim validate``, leave-one-source-out), stored as the derived Zoo number
    ``Literature.Calibration.HeldOutMedianError``: a smaller margin is within the model's own
    error on data it was not fitted to.
    """
    return float(calibration.value("HeldOutMedianError"))


#: Fields ``evaluate`` accepts as overrides beyond the scenario's own: efficiencies, and
#: ``solvers``, names of registered solvers to run besides the ones the levels use.
SOLVER_OVERRIDES = ("efficiency", "memory_efficiency", "solvers")


def evaluate_scenario(spec: Any, **overrides: Any) -> SystemEvaluation:
    """Evaluate ``spec`` (a ScenarioSpec) with ``overrides`` applied; see the module doc."""
    solver_args = {k: overrides.pop(k) for k in SOLVER_OVERRIDES if k in overrides}
    spec = _with_overrides(spec, overrides)
    model = resolve_entry(spec.workload, "Models", "workload")
    hardware = resolve_entry(spec.hardware, "Hardware", "hardware")
    _check_spec(spec, model, hardware)
    extra = _requested_solvers(solver_args.pop("solvers", ()), spec.mode)
    run = _Run(spec, model, hardware, solver_args)
    feasibility, performance = run.feasibility_and_performance()
    macro = run.macro() if feasibility.status is not Status.FAIL else _skipped("Macro/Economics")
    path = spec.path or "(plan)"
    return SystemEvaluation(scenario=path, title=spec.name, setup=run.setup(),
                            feasibility=feasibility, performance=performance, macro=macro,
                            results=run.results,
                            solvers={record.name: run.extra(record) for record in extra})


def _requested_solvers(requested: Any, mode: str) -> tuple[registry.SolverRecord, ...]:
    """The registry records of ``requested`` (solver names), each checked to serve ``mode``."""
    if isinstance(requested, str) or not isinstance(requested, (list, tuple)):
        raise InputError(f"solvers must be a list of registered solver names, got "
                         f"{show(requested)}; e.g. solvers=['ServingModel']", name="solvers",
                         value=requested)
    records = []
    for name in dict.fromkeys(requested):
        try:
            record = registry.get(name)
        except UnknownNameError as exc:
            raise InputError(f"solvers: {exc}", name="solvers", value=name) from None
        if mode not in record.modes:
            raise InputError(f"solvers: {record.name} serves {', '.join(record.modes)} "
                             f"scenarios, not {mode}; remove it or change the mode",
                             name="solvers", value=name)
        records.append(record)
    return tuple(records)


def _solver(name: str) -> Any:
    """A fresh instance of the registered solver ``name``."""
    return registry.get(name).create()


def _with_overrides(spec: Any, overrides: dict[str, Any]) -> Any:
    if not overrides:
        return spec
    unknown = sorted(set(overrides) - set(type(spec).model_fields) - {"metadata"})
    if unknown:
        allowed = sorted(set(type(spec).model_fields) - {"name", "description", "metadata"})
        raise InputError(f"evaluate() got unknown override(s) {', '.join(map(show, unknown))}; "
                         f"it accepts {', '.join(allowed + list(SOLVER_OVERRIDES))}",
                         name=unknown[0], value=overrides[unknown[0]])
    from pydantic import ValidationError

    from .spec import describe_errors

    data = {**spec.model_dump(), **overrides}
    try:
        updated = type(spec).model_validate(data)
    except ValidationError as exc:
        field_name = ".".join(str(p) for p in exc.errors()[0]["loc"])
        call = f"evaluate({field_name}={show(overrides[field_name])})" \
            if field_name in overrides else "evaluate()"
        raise InputError(f"{call}: {describe_errors(exc)}", name=field_name,
                         value=overrides.get(field_name)) from None
    return updated.model_copy(update={"metadata": spec.metadata})


def _check_spec(spec: Any, model: Any, hardware: Any) -> None:
    """Refuse, naming the field, the value, the limit and the fix, a scenario the solvers
    would model wrongly: a context longer than the model's, a serving scenario without a
    prompt length, a tensor-parallel group that splits the heads unevenly or leaves a node."""
    w = workload_figures(model)
    context = int(w.context_length) if w.context_length == w.context_length else None
    if spec.seq_len is not None:
        check_context(spec.seq_len, w)
    if spec.mode != "serving":
        return
    if spec.seq_len is None:
        example = min(2048, context) if context else 2048
        most = f" (at most {context}, {w.name}'s context length)" if context else ""
        raise InputError("seq_len is required in serving mode: the prompt length sets the time "
                         f"to first token and the KV cache; add it, e.g. seq_len: {example}"
                         f"{most}", name="seq_len", value=None)
    if w.kind != "decoder":
        return  # ServingModel says so, naming the model
    if spec.cluster is not None:
        node = resolve_entry(resolve_entry(spec.cluster, "Systems", "cluster").node,
                             "Systems", "node")
        per_node, node_name = node.accelerators_per_node, node.path
    else:
        largest = largest_node(hardware.path)
        per_node, node_name = largest if largest else (None, "")
        node_name = f"{node_name}, the largest {hardware.name} node in the Zoo"
    if spec.tp_size is None:
        if per_node is not None and spec.devices > per_node:
            raise InputError(
                f"serving on devices={spec.devices} without tp_size makes one tensor-parallel "
                f"group of all {spec.devices} devices, more than the {per_node} of one node "
                f"({node_name}); set tp_size to at most {per_node}, e.g. tp_size: {per_node} "
                f"serves {spec.devices // per_node} replica(s)", name="tp_size",
                value=spec.devices)
        tp = spec.devices
    else:
        tp = spec.tp_size
        if tp > spec.devices:
            raise InputError(f"tp_size={tp} exceeds devices={spec.devices}: a tensor-parallel "
                             f"group needs tp_size devices; use tp_size <= {spec.devices} or "
                             f"devices >= {tp}", name="tp_size", value=tp)
    check_tensor_parallel(tp, w, per_node=per_node, node=node_name)


def _skipped(level: str, why: str = "not evaluated: the design is infeasible") -> LevelResult:
    return LevelResult(level, Status.SKIPPED, why)


class _Run:
    """One evaluation's solver calls and the results they leave behind."""

    def __init__(self, spec: Any, model: Any, hardware: Any, solver_args: dict[str, Any]):
        self.spec, self.model, self.hardware = spec, model, hardware
        self.solver_args = solver_args
        self.results: dict[str, Any] = {}

    # -- shared -------------------------------------------------------------------------
    def _efficiency(self, workload_class: str) -> tuple[float, float]:
        eta, eta_mem = calibration.efficiency_for(workload_class, self.spec.precision)
        return (self.solver_args.get("efficiency", eta),
                self.solver_args.get("memory_efficiency", eta_mem))

    def setup(self) -> str:
        s = self.spec
        what = f"{self.model.name} on {s.devices} x {self.hardware.name}" if s.devices > 1 \
            else f"{self.model.name} on {self.hardware.name}"
        extra = f", seq {s.seq_len}" if s.seq_len else ""
        return f"{what} ({s.mode}, {s.precision}, batch {s.batch_size}{extra})"

    def extra(self, record: registry.SolverRecord) -> Any:
        """Run a solver the caller asked for by name, fed by parameter name from the scenario
        (:data:`~mlsysim.solvers.registry.SCENARIO_INPUTS`)."""
        s = self.spec
        needs = inspect.signature(record.solver.solve).parameters
        available = {"model": self.model, "hardware": self.hardware,
                     "fleet": self.fleet if "fleet" in needs else None,
                     "precision": s.precision, "batch_size": s.batch_size, "seq_len": s.seq_len,
                     "tp_size": s.tp_size, "pp_size": s.pp_size,
                     "microbatch_count": s.microbatch_count, "zero_stage": s.zero_stage,
                     "activation_recomputation": s.activation_recomputation,
                     "cp_size": s.cp_size, "placement": s.placement,
                     "duration_days": s.duration_days, "datacenter": s.grid, "grid": s.grid,
                     "mfu": s.utilization, **self.solver_args}
        result = record.create().solve(**registry.scenario_arguments(record, available))
        self.results[record.name] = result
        return result

    @functools.cached_property
    def fleet(self) -> Fleet | DeviceGroup:
        """What the macro level charges for: the cluster's first ``devices`` accelerators,
        else ``devices`` stand-alone devices."""
        s = self.spec
        if s.cluster is None:
            return DeviceGroup(self.hardware, s.devices)
        cluster = resolve_entry(s.cluster, "Systems", "cluster")
        whole = Fleet.from_cluster(cluster)
        per_node = whole.accelerators_per_node
        if s.devices % per_node:
            raise InputError(f"devices={s.devices} is not a whole number of "
                             f"{whole.node.path} nodes ({per_node} accelerators each)",
                             name="devices", value=s.devices)
        nodes = s.devices // per_node
        if nodes > whole.count:
            raise InputError(f"devices={s.devices} exceeds {cluster.path}'s "
                             f"{whole.total_accelerators} accelerators", name="devices",
                             value=s.devices)
        return Fleet(node=whole.node, count=nodes, fabric=whole.fabric,
                     oversubscription=whole.oversubscription)

    # -- feasibility and performance ------------------------------------------------------
    def feasibility_and_performance(self) -> tuple[LevelResult, LevelResult]:
        mode = self.spec.mode
        if mode == "serving":
            return self._serving()
        if mode == "training":
            return self._training()
        return self._inference()

    def _inference(self) -> tuple[LevelResult, LevelResult]:
        s = self.spec
        per_sample = not hasattr(self.model, "heads")
        cls = ("single_stream" if s.batch_size == 1 else "batch_inference") if per_sample \
            else "decode"
        eta, eta_mem = self._efficiency(cls)
        profile = Engine.solve(self.model, self.hardware, batch_size=s.batch_size,
                               precision=s.precision, efficiency=eta, memory_efficiency=eta_mem,
                               seq_len=s.seq_len)
        self.results["engine"] = profile
        memory = _memory_line(profile.memory_footprint, profile.memory_capacity)
        metrics = {"memory_required": profile.memory_footprint,
                   "memory_capacity": profile.memory_capacity}
        if not profile.feasible:
            reason = next((t for t in profile.constraint_trace if t.startswith("Memory wall")),
                          "Memory wall: " + memory)
            return (LevelResult("Feasibility", Status.FAIL, "does not fit: " + memory, metrics,
                                (reason,), profile.constraint_trace),
                    _skipped("Performance"))
        rate = profile.throughput * s.devices
        metrics["throughput"] = rate
        status, reasons, summary = Status.PASS, [], f"fits: {memory}"
        if s.required_rate is not None:
            need = s.required_rate.to(rate.units) if rate.is_compatible_with(
                s.required_rate) else None
            if need is None:
                reasons.append(f"required_rate {fmt(s.required_rate)} is not comparable with "
                               f"the {fmt(rate)} the engine reports; not checked")
                status = Status.WARNING
            elif rate < need:
                status = Status.FAIL
                reasons.append(f"Data-rate wall: needs {fmt(need)}, delivers {fmt(rate)} "
                               f"({s.devices} device(s) at {fmt(profile.latency)} per batch of "
                               f"{s.batch_size})")
                summary += f"; too slow: {fmt(rate)} < {fmt(need)} required"
            else:
                summary += f"; keeps up: {fmt(rate)} >= {fmt(need)} required"
        feasibility = LevelResult("Feasibility", status, summary, metrics, tuple(reasons),
                                  profile.constraint_trace)
        perf_metrics = {"latency": profile.latency, "throughput": rate,
                        "bottleneck": profile.bottleneck, "mfu": profile.mfu}
        bound = self._compute_only()
        detail = f"compute only, <= {fmt(rate)}" if bound \
            else f"{profile.bottleneck}-bound, {fmt(rate)}"
        performance = self._judge_latency(profile.latency, "latency", perf_metrics, detail, bound)
        return feasibility, performance

    def _serving(self) -> tuple[LevelResult, LevelResult]:
        s = self.spec
        seq = s.seq_len  # required in serving mode (_check_spec)
        tp = s.tp_size or s.devices
        eta_p, eta_pm = self._efficiency("prefill")
        eta_d, eta_dm = self._efficiency("decode")
        serving = _solver("ServingModel")
        prefill = serving.solve(self.model, self.hardware, seq_len=int(seq),
                                batch_size=s.batch_size, precision=s.precision, efficiency=eta_p,
                                tp_size=tp, memory_efficiency=eta_pm)
        decode = serving.solve(self.model, self.hardware, seq_len=int(seq),
                               batch_size=s.batch_size, precision=s.precision, efficiency=eta_d,
                               tp_size=tp, memory_efficiency=eta_dm)
        self.results.update(serving_prefill=prefill, serving_decode=decode)
        memory = _memory_line(prefill.memory_per_gpu, _capacity(self.hardware))
        metrics = {"memory_per_gpu": prefill.memory_per_gpu,
                   "kv_cache_size": prefill.kv_cache_size, "tp_size": tp}
        if not prefill.feasible:
            reason = next((t for t in prefill.constraint_trace if t.startswith("Memory wall")),
                          "Memory wall: " + memory)
            return (LevelResult("Feasibility", Status.FAIL, "does not fit: " + memory, metrics,
                                (reason,), prefill.constraint_trace), _skipped("Performance"))
        replicas = max(1, s.devices // tp)
        from ..units import Quantity

        tokens = Quantity(s.batch_size * replicas, "token") / decode.itl
        feasibility = LevelResult("Feasibility", Status.PASS,
                                  f"fits: {memory} per GPU (tp {tp})", metrics, (),
                                  prefill.constraint_trace)
        perf_metrics = {"ttft": prefill.ttft, "itl": decode.itl,
                        "decode_throughput": tokens.to("token/s")}
        bound = self._compute_only()
        at_least, at_most = (">= ", "<= ") if bound else ("", "")
        performance = self._judge_latency(prefill.ttft, "time to first token", perf_metrics,
                                          f"ITL {at_least}{fmt(decode.itl)}, {at_most}"
                                          f"{fmt(tokens.to('token/s'))} decoding", bound)
        return feasibility, performance

    def _training(self) -> tuple[LevelResult, LevelResult]:
        s = self.spec
        if s.cluster is None:
            raise InputError(f"{s.path or 'the scenario'} is a training scenario without a "
                             "cluster; name one in 'cluster' (e.g. Systems.Clusters."
                             "Research_1024_H100)", name="cluster", value=None)
        fleet = self.fleet
        eta, _ = self._efficiency("training")
        result = _solver("DistributedModel").solve(
            self.model, fleet, s.batch_size, precision=s.precision, efficiency=eta,
            tp_size=s.tp_size or 1, pp_size=s.pp_size, microbatch_count=s.microbatch_count,
            zero_stage=s.zero_stage, activation_recomputation=s.activation_recomputation,
            seq_len=s.seq_len or default_seq_len(workload_figures(self.model)),
            cp_size=s.cp_size, **({"placement": s.placement} if s.placement else {}))
        self.results["distributed"] = result
        memory = _memory_line(result.memory_per_rank, _capacity(fleet.accelerator))
        metrics = {"memory_per_rank": result.memory_per_rank, "parallelism": result.parallelism}
        if not result.feasible:
            reason = next(t for t in result.constraint_trace if t.startswith("Memory wall"))
            return (LevelResult("Feasibility", Status.FAIL, "does not fit: " + memory, metrics,
                                (reason,), result.constraint_trace), _skipped("Performance"))
        feasibility = LevelResult("Feasibility", Status.PASS, f"fits: {memory} per rank",
                                  metrics, (), result.constraint_trace)
        perf_metrics = {"step_time": result.step_latency_total,
                        "throughput": result.effective_throughput, "mfu": result.mfu,
                        "scaling_efficiency": result.scaling_efficiency}
        performance = self._judge_latency(
            result.step_latency_total, "step time", perf_metrics,
            f"{fmt(result.effective_throughput)}, MFU {result.mfu:.1%}, scaling "
            f"{result.scaling_efficiency:.0%}")
        return feasibility, performance

    def _compute_only(self) -> str | None:
        """Why the times are lower bounds, when the hardware lists no memory bandwidth."""
        if self.hardware.memory.bandwidth is not None:
            return None
        return (f"Lower bound only: the Zoo has no memory bandwidth for {self.hardware.name}, "
                "so the times count compute alone; memory-bound work (LLM decode above all) "
                "takes longer, and meeting the SLA is not confirmed")

    def _judge_latency(self, latency: Any, what: str, metrics: dict[str, Any],
                       detail: str, lower_bound: str | None = None) -> LevelResult:
        """PASS/WARNING/FAIL of ``latency`` against the SLA; ``lower_bound`` says why the
        latency is only a lower bound (then a FAIL stands but a pass is at best a WARNING)."""
        sla = self.spec.latency_sla
        at_least = ">= " if lower_bound else ""
        if sla is None:
            return LevelResult("Performance", Status.WARNING if lower_bound else Status.PASS,
                               f"{what} {at_least}{fmt(latency)}; {detail} (no latency SLA set)",
                               metrics, (lower_bound,) if lower_bound else ())
        metrics = {**metrics, "latency_sla": sla}
        ratio = float((latency / sla).m_as(""))
        if ratio > 1:
            return LevelResult("Performance", Status.FAIL,
                               f"{what} {at_least}{fmt(latency)} > {fmt(sla)} SLA; {detail}",
                               metrics, (f"Latency wall: {what} {at_least}{fmt(latency)} exceeds "
                                         f"the {fmt(sla)} SLA by {ratio - 1:.0%}",))
        if lower_bound:
            return LevelResult("Performance", Status.WARNING,
                               f"{what} {at_least}{fmt(latency)} <= {fmt(sla)} SLA; {detail}",
                               metrics, (lower_bound,))
        margin = sla_warning_margin()
        if ratio > 1 - margin:
            return LevelResult("Performance", Status.WARNING,
                               f"{what} {fmt(latency)} <= {fmt(sla)} SLA; {detail}", metrics,
                               (f"Within {1 - ratio:.0%} of the SLA, inside the model's "
                                f"{margin:.1%} held-out median error "
                                "(Literature.Calibration.HeldOutMedianError)",))
        return LevelResult("Performance", Status.PASS,
                           f"{what} {fmt(latency)} <= {fmt(sla)} SLA; {detail}", metrics)

    # -- macro ----------------------------------------------------------------------------
    def macro(self) -> LevelResult:
        s = self.spec
        fleet = self.fleet
        budgets = {name: value for name, value in (
            ("power", s.power_budget), ("energy", s.energy_budget),
            ("carbon", s.carbon_budget), ("cost", s.cost_budget)) if value is not None}
        try:
            sustain = _solver("SustainabilityModel").solve(fleet, s.duration_days, datacenter=s.grid,
                                                  mfu=s.utilization)
            econ = _solver("EconomicsModel").solve(fleet, s.duration_days, grid=s.grid,
                                          mfu=s.utilization)
        except InputError as exc:
            return LevelResult("Macro/Economics", Status.SKIPPED, f"not evaluated: {exc}",
                               reasons=tuple(f"{name} budget {fmt(value)} not checked"
                                             for name, value in budgets.items()))
        self.results.update(sustainability=sustain, economics=econ)
        trace = list(sustain.constraint_trace) + list(econ.constraint_trace)
        metrics: dict[str, Any] = {"energy": sustain.total_energy,
                                   "carbon": sustain.carbon_footprint, "tco": econ.tco,
                                   "rental_cost": econ.rental_cost,
                                   "water": sustain.water_usage}
        if s.mode == "training":
            self._reliability(fleet, metrics, trace)
        power = self.hardware.power
        measured = {"power": (power.tdp if power is not None else None, "per device"),
                    "energy": (sustain.total_energy, "over the period"),
                    "carbon": (sustain.carbon_footprint, "operational"),
                    "cost": (econ.tco, "TCO")}
        # Energy and carbon are always computed once the solvers ran; these two may be missing.
        why_unknown = {
            "power": f"{self.hardware.path} lists no power.tdp",
            "cost": f"no purchase price for {fleet.accelerator.path} (add "
                    f"{zoo_defaults.per_hardware_path(zoo_defaults.PURCHASE_PRICES, fleet.accelerator)}"
                    " with its source)"}
        failed, unchecked = [], []
        for name, budget in budgets.items():
            value, note = measured[name]
            metrics[f"{name}_budget"] = budget
            if value is None:
                unchecked.append(f"{name} budget {fmt(budget)} not checked: {why_unknown[name]}")
            elif value > budget:
                failed.append(f"{name.capitalize()} over budget: {fmt(value)} {note} > "
                              f"{fmt(budget)}")
        days = f"{stated(s.duration_days)} days"
        summary = f"{fmt(sustain.total_energy)}, {fmt(sustain.carbon_footprint)} over {days}"
        if econ.tco is not None:
            summary += f"; TCO {fmt(econ.tco)}"
        elif econ.rental_cost is not None:
            summary += f"; renting {fmt(econ.rental_cost)}"
        if "goodput" in metrics:
            summary += f"; goodput {metrics['goodput']:.0%}"
        status = Status.FAIL if failed else Status.WARNING if unchecked else Status.PASS
        if not budgets:
            summary += " (no budgets set)"
        return LevelResult("Macro/Economics", status, summary, metrics,
                           tuple(failed + unchecked), tuple(trace))

    def _reliability(self, fleet: Any, metrics: dict[str, Any], trace: list[str]) -> None:
        s = self.spec
        ckpt = _solver("CheckpointModel").solve(self.model, s.precision)
        rel = _solver("ReliabilityModel").solve(fleet, s.duration_days * 24,
                                       checkpoint_time_s=ckpt.write_time)
        self.results.update(checkpoint=ckpt, reliability=rel)
        metrics.update(fleet_mtbf=rel.fleet_mtbf, goodput=rel.goodput,
                       checkpoint_interval=rel.optimal_checkpoint_interval)
        trace += list(ckpt.constraint_trace) + list(rel.constraint_trace)


def _capacity(hardware: Any) -> Any:
    return hardware.memory.capacity if hardware.memory is not None else None


def _memory_line(required: Any, capacity: Any) -> str:
    if capacity is None:
        return f"needs {fmt(required.to('B'))} (capacity not listed)"
    return f"needs {fmt(required.to('B'))} of {fmt(capacity.to('B'))}"
