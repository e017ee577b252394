"""Fleet reliability: MTBF, failure probability, the Young-Daly interval and goodput."""

from __future__ import annotations

from typing import Any

from ..engine.checks import check_count, check_quantity
from ..formatting import number, si, stated
from ..physics import reliability
from ..systems.fleet import DeviceGroup, as_fleet
from . import zoo_defaults
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult

HOUR = 3600.0
MINUTE = 60.0


class ReliabilityResult(SolverResult):
    """How often a fleet fails and how much of a job survives checkpoint and restart."""

    solver = "ReliabilityModel"

    fleet_mtbf: Quantity = Field(description="Mean time between failures of the whole fleet "
                                             "(hour).")
    node_mtbf: Quantity = Field(description="Mean time between failures of one node (hour).")
    failure_probability: float = Field(description="Probability of at least one failure during "
                                                   "the job, 1 - exp(-T / M).")
    expected_failures: float = Field(description="Expected failures during the job, T / M.")
    optimal_checkpoint_interval: Quantity = Field(description="Young-Daly interval "
                                                              "sqrt(2 delta M) (minute).")
    checkpoint_interval: Quantity = Field(description="Interval used: the one given, else the "
                                                      "Young-Daly optimum (minute).")
    goodput: float = Field(description="Share of wall-clock time doing useful work, after "
                                       "checkpoints, lost work and recovery.")


class ReliabilityModel(ForwardModel):
    """How often a fleet fails, and how much of a job's time survives checkpoint and restart."""

    name = "ReliabilityModel"

    def solve(self, fleet: Any, job_duration_hours: float, checkpoint_time_s: float = 60.0,
              avg_recovery_time_s: float = 300.0, *, accelerator_mtbf: Any = None,
              node_mtbf: Any = None, checkpoint_interval: Any = None,
              devices: int = 1) -> ReliabilityResult:
        """Fleet MTBF, failure probability over the job, optimal checkpoint interval, goodput.

        Components fail independently, so failure rates add; the checkpoint interval follows
        Young (1974) and Daly (2006)::

            M_node  = M_acc / n_acc      (combined with node_mtbf when given)
            M_fleet = M_node / nodes
            P(fail) = 1 - exp(-T / M_fleet)
            tau*    = sqrt(2 delta M_fleet)
            goodput = 1 - delta / tau - (tau / 2 + R) / M_fleet     (first order, >= 0)

        Args:
            fleet: A cluster, node, ``Fleet`` or hardware entry (then ``devices`` of them).
            job_duration_hours: Job length T, in hours or a Quantity.
            checkpoint_time_s: Time delta to write one checkpoint, in s or a Quantity.
            avg_recovery_time_s: Time R to restart after a failure, in s or a Quantity.
            accelerator_mtbf: MTBF of one accelerator; None takes the Zoo's Llama 3 figure,
                which charges every unexpected interruption to the GPUs.
            node_mtbf: MTBF of a node's other parts; None leaves them out.
            checkpoint_interval: Interval tau used; None takes the Young-Daly optimum.
            devices: How many stand-alone devices, when ``fleet`` is a hardware entry.

        Returns:
            ReliabilityResult: fleet and node MTBF, failure probability, expected failures,
            the optimal and the used interval, goodput and the constraint trace.
        """
        from ..units import Quantity as Q

        group = as_fleet(fleet, check_count(devices, "devices"))
        job = check_quantity(job_duration_hours, "hour", "job_duration_hours") * HOUR
        delta = check_quantity(checkpoint_time_s, "s", "checkpoint_time_s")
        recovery = check_quantity(avg_recovery_time_s, "s", "avg_recovery_time_s",
                                  allow_zero=True)
        trace: list[str] = []
        acc_hours, note = zoo_defaults.given_or_zoo(accelerator_mtbf, "hour", "accelerator_mtbf",
                                                    zoo_defaults.ACCELERATOR_MTBF)
        acc_mtbf = acc_hours * HOUR
        trace.append(f"Accelerator MTBF {note}" + (
            ": every unexpected interruption of Llama 3 pre-training charged to its GPUs"
            if accelerator_mtbf is None else ""))
        per_node = group.accelerators_per_node
        node = reliability.series_mtbf(acc_mtbf, per_node)
        if node_mtbf is not None:
            other = check_quantity(node_mtbf, "hour", "node_mtbf") * HOUR
            node = reliability.combined_mtbf(node, other)
            trace.append(f"Plus node-level failures every {stated(other / HOUR)} h (given)")
        units = group.count
        fleet_mtbf = reliability.series_mtbf(node, units)
        what = "device" if isinstance(group, DeviceGroup) else "node"
        trace.append(f"Node MTBF {number(node / HOUR)} h ({per_node} accelerators per {what}); "
                     f"fleet MTBF {number(fleet_mtbf / HOUR)} h over {units} {what}s")

        p_fail = float(reliability.failure_probability(job, fleet_mtbf))
        n_fail = float(reliability.expected_failures(job, fleet_mtbf))
        optimal = float(reliability.young_daly_interval(delta, fleet_mtbf))
        if checkpoint_interval is None:
            tau = optimal
            trace.append(f"Young-Daly interval sqrt(2 x {si(delta, 's')} x "
                         f"{number(fleet_mtbf / HOUR)} h) = {number(tau / MINUTE)} min")
        else:
            tau = check_quantity(checkpoint_interval, "s", "checkpoint_interval")
            trace.append(f"Checkpoint every {number(tau / MINUTE)} min (given; the Young-Daly "
                         f"optimum is {number(optimal / MINUTE)} min)")
        useful = float(reliability.goodput(tau, delta, recovery, fleet_mtbf))
        trace.append(f"Expected {number(n_fail)} failures over {number(job / HOUR)} h "
                     f"(P(at least one) = {p_fail:.1%}); goodput {useful:.1%}")
        if delta >= fleet_mtbf / 10 or recovery >= fleet_mtbf / 10:
            trace.append("Warning: checkpoint or recovery time is over a tenth of the fleet "
                         "MTBF; the first-order Young-Daly model overstates goodput here")
        if useful == 0.0:
            trace.append("Reliability wall: the fleet fails faster than it can checkpoint "
                         "and recover; no useful work survives")
        return ReliabilityResult(
            fleet_mtbf=Q(fleet_mtbf / HOUR, "hour"), node_mtbf=Q(node / HOUR, "hour"),
            failure_probability=p_fail, expected_failures=n_fail,
            optimal_checkpoint_interval=Q(optimal / MINUTE, "minute"),
            checkpoint_interval=Q(tau / MINUTE, "minute"), goodput=useful,
            constraint_trace=tuple(trace))
