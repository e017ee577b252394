"""The complexity wall: how a training compute budget splits into parameters and tokens.

Chinchilla-optimal sizing (Hoffmann et al. 2022) on :mod:`mlsysim.physics.scaling`, with the
tokens-per-parameter ratio read from the Zoo, and the time the budget takes on a fleet.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_fraction, check_quantity, peak_for
from ..engine.figures import chip_figures
from ..formatting import number, si, stated
from ..physics import scaling
from ..systems.fleet import as_fleet
from . import zoo_defaults
from .base import ForwardModel, Quantity, SolverResult

DAY = 86400.0


class ScalingLawResult(SolverResult):
    """The compute-optimal model for a training budget, and how long the budget takes."""

    solver = "ScalingLawModel"

    compute_budget: Quantity = Field(description="Training compute C spent (FLOP).")
    optimal_parameters: Quantity = Field(description="Compute-optimal parameter count "
                                                     "N_opt = sqrt(C / (6 r)) (param).")
    optimal_tokens: Quantity = Field(description="Compute-optimal training tokens "
                                                 "D_opt = r N_opt (token).")
    tokens_per_parameter: float = Field(description="Ratio r = D_opt / N_opt used (tokens per "
                                                    "parameter).")
    accelerators: int | None = Field(description="Accelerators of the fleet, None when no "
                                                  "fleet was given.")
    mfu: float | None = Field(description="Model FLOPs utilization assumed for the training "
                                          "time, None when no fleet was given.")
    training_time: Quantity | None = Field(description="Wall-clock time to spend C on the fleet, "
                                                       "C / (n P MFU) (day); None without a "
                                                       "fleet.")


class ScalingLawModel(ForwardModel):
    """Chinchilla-optimal parameters and tokens for a compute budget, and its training time."""

    name = "ScalingLawModel"

    def solve(self, compute_budget: Any, fleet: Any = None, precision: str = "bf16",
              mfu: float | None = None, tokens_per_parameter: float | None = None,
              devices: int = 1) -> ScalingLawResult:
        """Split a training budget C into the compute-optimal N and D (Hoffmann et al. 2022,
        "Chinchilla": scale parameters and tokens equally, r tokens per parameter), with
        C = 6 N D (Kaplan et al. 2020: 2 N forward and 4 N backward FLOPs per token)::

            N_opt = sqrt(C / (6 r)),   D_opt = r N_opt
            T     = C / (n P MFU)      (on a fleet of n accelerators of peak P)

        r is the Zoo's Chinchilla ratio (``Literature.Scaling.ChinchillaTokensPerParameter``,
        1.4T tokens / 70B parameters) unless given; it is a single point of the paper's fit,
        so N_opt and D_opt are first-order.

        Args:
            compute_budget: Training FLOPs C (a number of FLOP or a Quantity, "1e24 FLOP").
            fleet: Optional cluster, node, ``Fleet`` or hardware entry (then ``devices`` of
                them) to time the budget on; None gives no training time.
            precision: Training precision the accelerator lists a peak for ("bf16").
            mfu: Model FLOPs utilization in (0, 1]; None takes the Zoo's
                ``Literature.Training.MfuHigh`` (PaLM 540B, a well-tuned run).
            tokens_per_parameter: Ratio r; None takes the Zoo's Chinchilla ratio.
            devices: How many stand-alone devices, when ``fleet`` is a hardware entry.

        Returns:
            ScalingLawResult: ``optimal_parameters``, ``optimal_tokens``,
            ``tokens_per_parameter``, the training time on the fleet and the trace.

        Raises:
            InputError: a budget that is not a positive number of FLOP, an mfu outside
                (0, 1], a precision the accelerator lists no peak for.
        """
        from ..units import Quantity as Q

        compute = check_quantity(compute_budget, "FLOP", "compute_budget")
        ratio, cited = zoo_defaults.given_or_zoo(tokens_per_parameter, "token/param",
                                                 "tokens_per_parameter",
                                                 zoo_defaults.TOKENS_PER_PARAMETER)
        n_opt = float(scaling.optimal_parameters(compute, ratio))
        d_opt = float(scaling.optimal_tokens(compute, ratio))
        k = scaling.TRAINING_FLOPS_PER_PARAMETER_TOKEN
        trace = [f"Tokens per parameter r = {cited}",
                 f"C = {k} N D with D = r N: N_opt = sqrt({number(compute)} FLOP / ({k} x "
                 f"{number(ratio)})) = {number(n_opt)} parameters; D_opt = {number(d_opt)} "
                 "tokens (Hoffmann et al. 2022)"]
        accelerators = used_mfu = time = None
        if fleet is not None:
            group = as_fleet(fleet, check_count(devices, "devices"))
            chip = chip_figures(group.accelerator)
            peak, rate_unit = peak_for(chip, precision)
            if mfu is None:
                sourced = zoo_defaults.number(zoo_defaults.TRAINING_MFU)
                used_mfu = float(sourced)
                mfu_note = f"{stated(used_mfu)} ({zoo_defaults.TRAINING_MFU})"
            else:
                used_mfu = check_fraction(mfu, "mfu")
                mfu_note = f"{stated(used_mfu)} (given)"
            accelerators = group.total_accelerators
            seconds = float(scaling.training_time(compute, accelerators, peak, used_mfu))
            time = Q(seconds / DAY, "day")
            trace.append(f"Training time: {number(compute)} FLOP / ({accelerators} x "
                         f"{chip.name} {si(peak, rate_unit)} {precision} x MFU {mfu_note}) = "
                         f"{number(seconds / DAY)} days")
        return ScalingLawResult(
            compute_budget=Q(compute, "FLOP"), optimal_parameters=Q(n_opt, "param"),
            optimal_tokens=Q(d_opt, "token"), tokens_per_parameter=ratio,
            accelerators=accelerators, mfu=used_mfu, training_time=time,
            constraint_trace=tuple(trace))
