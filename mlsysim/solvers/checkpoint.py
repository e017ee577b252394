"""Checkpoints: size from the model and optimizer state, write time from storage bandwidth."""

from __future__ import annotations

from typing import Any

from ..engine.checks import check_flag, resolve_entry
from ..engine.figures import workload_figures
from ..engine.precision import bytes_per_value, optimizer_bytes
from ..formatting import number, si, stated
from ..physics import checkpoint
from . import zoo_defaults
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult


class CheckpointResult(SolverResult):
    """How big one training checkpoint is and how long writing it takes."""

    solver = "CheckpointModel"

    checkpoint_size: Quantity = Field(description="Weights plus optimizer state (GB).")
    write_time: Quantity = Field(description="checkpoint_size / storage_bandwidth (s).")
    storage_bandwidth: Quantity = Field(description="Sustained write bandwidth used (GB/s).")


class CheckpointModel(ForwardModel):
    """How big one training checkpoint is and how long the fleet takes to write it."""

    name = "CheckpointModel"

    def solve(self, model: Any, precision: str = "bf16", storage_bandwidth: Any = None, *,
              include_optimizer: bool = True) -> CheckpointResult:
        """Checkpoint size and write time::

            size = parameters x (bytes of precision + optimizer bytes)
            time = size / storage_bandwidth

        Adam under mixed precision keeps fp32 master weights and two moments (12 bytes per
        parameter).

        Args:
            model: A model (a ``Models`` entry or its name).
            precision: Precision of the saved weights ("bf16").
            storage_bandwidth: Sustained write bandwidth, bytes/s or a Quantity ("2 TB/s");
                None takes the Zoo's figure for Meta's Llama 3 storage fabric (a smaller
                cluster's storage is usually slower, so pass your own).
            include_optimizer: Save the optimizer state too.

        Returns:
            CheckpointResult: ``checkpoint_size``, ``write_time``, ``storage_bandwidth`` and
            the constraint trace.
        """
        from ..units import Quantity as Q

        model = resolve_entry(model, "Models", "model")
        w = workload_figures(model)
        include_optimizer = check_flag(include_optimizer, "include_optimizer")
        per_param = bytes_per_value(precision) + (optimizer_bytes(precision)
                                                   if include_optimizer else 0.0)
        size = float(checkpoint.checkpoint_size(w.parameters, per_param))
        trace = [f"{stated(w.parameters)} parameters x {number(per_param)} bytes "
                 f"({precision} weights{' + Adam state' if include_optimizer else ''}) = "
                 f"{si(size, 'B')}"]
        bandwidth, note = zoo_defaults.given_or_zoo(storage_bandwidth, "B/s", "storage_bandwidth",
                                                    zoo_defaults.CHECKPOINT_BANDWIDTH)
        trace.append(f"Storage bandwidth {note}" + (
            ": Meta's sustained rate for a 16K-GPU job; a smaller cluster's storage is usually "
            "slower" if storage_bandwidth is None else ""))
        seconds = float(checkpoint.write_time(size, bandwidth))
        trace.append(f"Write time {si(size, 'B')} / {si(bandwidth, 'B/s')} = {si(seconds, 's')}")
        return CheckpointResult(
            checkpoint_size=Q(size, "B").to("GB"), write_time=Q(seconds, "s"),
            storage_bandwidth=Q(bandwidth, "B/s").to("GB/s"), constraint_trace=tuple(trace))
