"""Software wall: where the peak goes. An MFU decomposition built from the engine's own costs.

MFU (Chowdhery et al., "PaLM", 2022, appendix B) is model FLOPs over elapsed time at peak.
Written as a product of shares of the peak, each factor is one way software and the system
leave the peak unused (the decomposition habit of Narayanan et al., "Efficient Large-Scale
Language Model Training on GPU Clusters Using Megatron-LM", SC 2021, section 3)::

    MFU = eta x r_roofline x r_work x r_bubble x r_comm x r_overhead

    eta        = the achieved share of peak on compute-bound (matmul) kernels
    r_roofline = T_compute / max(T_compute, T_memory)           (Williams et al. 2009)
    r_work     = model FLOPs / executed FLOPs, at the busiest pipeline stage
    r_bubble   = T_compute / (T_compute + T_bubble)              (Huang et al., GPipe, 2019)
    r_comm     = (T_compute + T_bubble) / T_step                 (exposed communication)
    r_overhead = T_step / (T_step + t_overhead)                  (per-step host overhead)

On one device (``Engine.solve``) only eta and r_roofline are below 1 and their product is
the engine's ``mfu``. Over a fleet (``DistributedModel``) the last three come from the step's
parts and their product with eta is ``DistributedModel``'s ``mfu``; r_roofline then comes
from the engine's pass over one microbatch on one accelerator, which DistributedModel's
step leaves out. The Zoo has no sourced per-step or per-kernel launch overhead, so
r_overhead is 1 unless the caller gives ``step_overhead`` (a measured time per step).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_flag, check_quantity, peak_for, resolve_entry
from ..engine.engine import Engine, default_seq_len
from ..engine.figures import chip_figures, workload_figures
from ..engine.passes import sequence_flops
from ..errors import InputError
from ..formatting import number, si
from ..physics import transformer
from .base import ForwardModel, Quantity, SolverResult

#: The factors, in the order they are applied, with what each one takes away.
FACTORS = (("matmul_efficiency", "compute-bound kernels run below peak"),
           ("roofline_share", "memory-bound work (time the pass waits on memory)"),
           ("work_share", "FLOPs beyond the model's (recomputation) and the busiest stage"),
           ("bubble_share", "pipeline bubble"),
           ("communication_share", "communication the step waits for"),
           ("overhead_share", "per-step host overhead (given)"))


class SoftwareEfficiencyResult(SolverResult):
    """MFU as a product of shares of the peak, and the share that costs most."""

    solver = "SoftwareEfficiencyModel"

    mfu: float = Field(description="Model FLOPs utilization: the product of the six factors.")
    peak_rate: Quantity = Field(description="Dense peak of one accelerator at the precision "
                                            "(FLOP/s or OP/s).")
    achieved_rate: Quantity = Field(description="mfu x peak_rate: model FLOPs per second one "
                                                "accelerator achieves.")
    matmul_efficiency: float = Field(description="eta: share of peak that compute-bound "
                                                 "kernels achieve (the efficiency used).")
    roofline_share: float = Field(description="T_compute / max(T_compute, T_memory) of the "
                                              "engine's pass: 1 when compute-bound.")
    work_share: float = Field(description="Model FLOPs / FLOPs executed by the busiest rank "
                                          "(recomputation, uneven pipeline stages); 1 on one "
                                          "device.")
    bubble_share: float = Field(description="T_compute / (T_compute + T_bubble); 1 without "
                                            "pipeline parallelism.")
    communication_share: float = Field(description="(T_compute + T_bubble) / T_step: time not "
                                                   "spent waiting on communication; 1 on one "
                                                   "device.")
    overhead_share: float = Field(description="T_step / (T_step + step_overhead): time not "
                                              "lost to a given per-step host overhead; 1 "
                                              "without one.")
    largest_loss: str = Field(description="The factor furthest below 1 (the one that costs "
                                          "most), by field name.")
    configuration: str = Field(description="'single device' (Engine.solve) or 'fleet' "
                                           "(DistributedModel).")


class SoftwareEfficiencyModel(ForwardModel):
    """Decompose MFU into the shares of peak that kernels, memory, pipeline and network take."""

    name = "SoftwareEfficiencyModel"

    def solve(self, model: Any, hardware: Any = None, batch_size: int = 1,
              precision: str = "fp16", efficiency: float | None = None,
              seq_len: int | None = None, fleet: Any = None, is_training: bool = False,
              tp_size: int = 1, pp_size: int = 1, microbatch_count: int = 1,
              zero_stage: int = 0, activation_recomputation: bool = False,
              step_overhead: Any = None) -> SoftwareEfficiencyResult:
        """The MFU of one pass on ``hardware`` or one training step over ``fleet``, as the
        product of the factors in the module docstring, and which factor costs most::

            MFU = eta x r_roofline x r_work x r_bubble x r_comm x r_overhead
            r_roofline = T_compute / max(T_compute, T_memory)    (Engine.solve's pass)
            r_work = 6N model FLOPs / (N_acc x eta x peak x T_compute)
            r_bubble = T_compute / (T_compute + T_bubble)
            r_comm = (T_compute + T_bubble) / T_step             (DistributedModel's step)
            r_overhead = T_step / (T_step + step_overhead)

        Args:
            model: A ``Models`` entry or its name.
            hardware: A ``Hardware`` entry or name; used when no ``fleet`` is given.
            batch_size: Samples per pass on one device, or the global batch (sequences) of a
                fleet's training step.
            precision: Precision the accelerator lists a peak for.
            efficiency: eta in (0, 1]; None takes the engine's calibrated class value.
            seq_len: Tokens per sequence (language models); None takes the engine's default.
            fleet: A ``Systems.Clusters``/``Systems.Nodes`` entry or a Fleet: decompose a
                training step of ``DistributedModel`` instead of one pass (stand-alone
                devices, a scenario's DeviceGroup, decompose one device's pass).
            is_training: On one device, a forward and backward pass (a fleet always trains).
            tp_size: Tensor-parallel ranks of the fleet's layout (DistributedModel).
            pp_size: Pipeline stages of the fleet's layout.
            microbatch_count: Microbatches per replica per step.
            zero_stage: ZeRO sharding stage (0-3).
            activation_recomputation: Recompute the forward in the backward pass.
            step_overhead: Host time per pass or step the accelerators wait through (kernel
                launches, framework, data hand-off), e.g. "2 ms"; None counts none.

        Returns:
            SoftwareEfficiencyResult: each factor, their product (mfu), the peak, the achieved
            rate and the largest loss, with the trace.
        """
        from ..systems.fleet import DeviceGroup
        from ..units import Quantity as Q

        if isinstance(fleet, DeviceGroup):  # stand-alone devices: one device's pass
            hardware = fleet.accelerator if hardware is None else hardware
            fleet = None
        if fleet is None and hardware is None:
            raise InputError("SoftwareEfficiencyModel needs hardware (one device) or fleet (a "
                             "training step over a cluster); got neither; pass e.g. "
                             "hardware='H100'", name="hardware", value=None)
        overhead = 0.0 if step_overhead is None else check_quantity(
            step_overhead, "s", "step_overhead", allow_zero=True)
        if fleet is not None:
            return self._fleet(model, fleet, batch_size, precision, efficiency, seq_len, tp_size,
                               pp_size, microbatch_count, zero_stage, activation_recomputation,
                               overhead)
        is_training = check_flag(is_training, "is_training")
        profile = Engine.solve(model, hardware, batch_size=batch_size, precision=precision,
                               efficiency=efficiency, is_training=is_training, seq_len=seq_len)
        factors = {"matmul_efficiency": profile.efficiency,
                   "roofline_share": profile.compute_time_s / profile.latency_s,
                   "work_share": 1.0, "bubble_share": 1.0, "communication_share": 1.0,
                   "overhead_share": profile.latency_s / (profile.latency_s + overhead)}
        trace = [f"One {'training' if is_training else 'forward'} pass of {profile.model} on "
                 f"{profile.hardware} (Engine.solve), batch {profile.batch_size}: compute "
                 f"{si(profile.compute_time_s, 's')}, memory {si(profile.memory_time_s, 's')}, "
                 f"pass {si(profile.latency_s, 's')}",
                 *(["Efficiency: the calibrated class value(s) " + ", ".join(profile.calibrated)]
                   if profile.calibrated else [])]
        return _result(factors, profile.peak_rate, profile.rate_unit, "single device", trace, Q)

    def _fleet(self, model: Any, fleet: Any, batch_size: int, precision: str,
               efficiency: float | None, seq_len: int | None, tp_size: int, pp_size: int,
               microbatch_count: int, zero_stage: int, activation_recomputation: bool,
               overhead: float) -> SoftwareEfficiencyResult:
        from ..systems.fleet import Fleet, as_fleet
        from ..units import Quantity as Q
        from .distributed import DistributedModel

        step = DistributedModel().solve(
            model, fleet, batch_size, precision=precision, efficiency=efficiency,
            tp_size=tp_size, pp_size=pp_size, microbatch_count=microbatch_count,
            zero_stage=zero_stage, activation_recomputation=activation_recomputation,
            seq_len=seq_len)
        node = step.node_profile
        w = workload_figures(resolve_entry(model, "Models", "model"))
        seq = default_seq_len(w) if seq_len is None else seq_len
        tokens = check_count(batch_size) * seq
        group = fleet if isinstance(fleet, Fleet) else as_fleet(fleet)
        chip = chip_figures(group.accelerator)
        peak, rate_unit = peak_for(chip, precision)
        n = group.total_accelerators
        model_flops = float(transformer.training_flops(sequence_flops(w, tokens, seq)))
        t_compute = step.compute_latency.m_as("s")
        t_bubble = step.pipeline_bubble_latency.m_as("s")
        t_step = step.step_latency_total.m_as("s")
        # The compute time eta-ideal work would take, over the time the busiest rank computes.
        ideal = model_flops / (n * peak * node.efficiency)
        factors = {"matmul_efficiency": node.efficiency,
                   "roofline_share": node.compute_time_s / node.latency_s,
                   "work_share": ideal / t_compute,
                   "bubble_share": t_compute / (t_compute + t_bubble),
                   "communication_share": (t_compute + t_bubble) / t_step,
                   "overhead_share": t_step / (t_step + overhead)}
        trace = [f"One training step of {w.name} over {n} x {chip.name} (DistributedModel): "
                 f"compute {si(t_compute, 's')}, bubble {si(t_bubble, 's')}, exposed "
                 f"communication {si(step.communication_latency.m_as('s'), 's')}, step "
                 f"{si(t_step, 's')}; its MFU {number(step.mfu)}",
                 *[line for line in step.constraint_trace[:1] if line.startswith("Efficiency")],
                 f"Roofline share from Engine.solve of one microbatch ({node.batch_size} x "
                 f"{node.seq_len} tokens) on one accelerator: compute "
                 f"{si(node.compute_time_s, 's')} of a {si(node.latency_s, 's')} pass",
                 f"Work share: 6N model FLOPs {si(model_flops, 'FLOP')} over {n} at eta = "
                 f"{number(node.efficiency)} would take {si(ideal, 's')}; the busiest rank "
                 f"computes {si(t_compute, 's')}"]
        return _result(factors, peak, rate_unit, "fleet", trace, Q)


def _result(factors: dict[str, float], peak: float, rate_unit: str, configuration: str,
            trace: list[str], Q: Any) -> SoftwareEfficiencyResult:
    """The result: the product of ``factors``, the worst one, and a trace line per factor."""
    mfu = 1.0
    for key, _ in FACTORS:
        mfu *= factors[key]
    worst = min(FACTORS, key=lambda item: factors[item[0]])
    trace += [f"{key} = {number(factors[key])}: {what}" for key, what in FACTORS]
    trace.append(f"MFU = product = {number(mfu)} of {si(peak, rate_unit)} = "
                 f"{si(mfu * peak, rate_unit)}; largest loss: {worst[0]} "
                 f"({number(factors[worst[0]])}, {worst[1]})")
    return SoftwareEfficiencyResult(
        mfu=mfu, peak_rate=Q(peak, rate_unit), achieved_rate=Q(mfu * peak, rate_unit),
        largest_loss=worst[0], configuration=configuration, constraint_trace=tuple(trace),
        **factors)

