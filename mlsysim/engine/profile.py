"""The result of Engine.solve: floats inside, pint Quantities at the surface."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..formatting import number, quantity, si
from .precision import bytes_per_value, formats, weight_only_note


#: What each result of a pass means, for listings that describe fields (a wall's worked example).
FIELDS = {
    "latency": "Time of one pass: the roofline's larger of compute time and memory time.",
    "throughput": "Samples (or tokens, for a decoder) per second at that latency.",
    "bottleneck": "Which roof binds: compute or memory.",
    "mfu": "Model FLOPs utilisation: achieved FLOP/s over the chip's dense peak.",
    "feasible": "Whether weights, activations and caches fit in device memory.",
    "energy": "Energy of one pass from idle power and utilisation (or TDP, an upper bound).",
    "memory_footprint": "Bytes the pass needs resident: weights plus activations or KV cache.",
    "memory_capacity": "The device's memory capacity.",
    "compute_time": "FLOPs over the efficiency-scaled peak rate.",
    "memory_time": "Bytes moved over the efficiency-scaled memory bandwidth.",
    "flops": "Floating-point operations of the pass.",
    "memory_traffic": "Bytes the pass moves to and from device memory.",
    "arithmetic_intensity": "FLOPs per byte moved; compared with the chip's ridge point.",
}


@dataclass(frozen=True, slots=True)
class PerformanceProfile:
    """What one pass of a workload costs on one device, and why.

    Stable fields (API.md): ``latency``, ``throughput``, ``bottleneck``, ``mfu``,
    ``feasible``, ``energy``. Extras: ``memory_footprint``, ``arithmetic_intensity``,
    ``compute_time``, ``memory_time``, ``flops``, ``memory_traffic``, ``constraint_trace``.
    Quantities are built on access from the SI floats kept in ``*_s``, ``*_j`` and
    ``*_bytes`` fields.
    """

    model: str
    hardware: str
    precision: str
    batch_size: int
    seq_len: int | None
    is_training: bool
    bottleneck: str
    mfu: float
    feasible: bool
    latency_s: float
    compute_time_s: float
    memory_time_s: float
    flops_count: float
    traffic_bytes: float
    footprint_bytes: float
    capacity_bytes: float
    energy_j: float
    throughput_per_s: float
    throughput_unit: str
    peak_rate: float
    rate_unit: str
    bandwidth: float
    efficiency: float
    memory_efficiency: float
    weights_bytes: float
    #: Zoo paths of the calibrated efficiencies used because none was given.
    calibrated: tuple[str, ...] = ()
    tdp: float = float("nan")         # W
    min_power: float = float("nan")   # W, the chip's lowest power mode (power.min)
    busy_share: float = 1.0           # the busier of compute and memory over latency, 0..1
    idle_power: float = float("nan")  # W, the idle draw the energy used (power.idle or power.min)
    idle_path: str = ""               # Zoo path of that idle figure; "" when there is none
    #: A recommendation model's embedding tables (figures.EmbeddingFigures), else None.
    embeddings: Any = None

    @property
    def constraint_trace(self) -> tuple[str, ...]:
        """The reasoning behind the verdict, one line per step (built on access)."""
        stored, math = formats(self.precision)
        lines = [
            *(["Efficiency: the calibrated class value(s) " + ", ".join(self.calibrated)]
              if self.calibrated else []),
            *([weight_only_note(self.precision)] if stored != math else []),
            f"Compute: {si(self.flops_count, 'FLOP')} at {self.efficiency:.0%} of "
            f"{si(self.peak_rate, self.rate_unit)} ({math} dense peak) = "
            f"{si(self.compute_time_s, 's')}",
            (f"Memory traffic: {si(self.traffic_bytes, 'B')} at "
             + (f"{self.memory_efficiency:.0%} of " if self.memory_efficiency != 1 else "")
             + f"{si(self.bandwidth, 'B/s')} = {si(self.memory_time_s, 's')}")
            if self.bandwidth == self.bandwidth else
            (f"Memory traffic: {si(self.traffic_bytes, 'B')}; the Zoo has no memory bandwidth for "
             f"{self.hardware}, so memory time is not modeled (compute-only roofline)"),
        ]
        if self.embeddings is not None:
            lines.append(self._gather_line())
        intensity = self.flops_count / self.traffic_bytes
        if self.bandwidth == self.bandwidth:
            ridge = self.peak_rate * self.efficiency / (self.bandwidth * self.memory_efficiency)
            relation = "below" if intensity < ridge else "at or above"
            lines.append(f"Roofline: intensity {number(intensity)} FLOP/B is {relation} the ridge "
                         f"{number(ridge)} FLOP/B -> {self.bottleneck}-bound, "
                         f"{si(self.latency_s, 's')} per pass")
        else:
            lines.append(f"Roofline: compute only -> {si(self.latency_s, 's')} per pass")
        other = self.footprint_bytes - self.weights_bytes
        label = "optimizer state, gradients and activations" if self.is_training else (
            "KV cache" if self.seq_len and self.throughput_unit == "token/s" else "activations")
        need = (f"needs {si(self.footprint_bytes, 'B')} (weights {si(self.weights_bytes, 'B')} + "
                f"{label} {si(other, 'B')}), has {si(self.capacity_bytes, 'B')}")
        if self.feasible:
            lines.append(f"Memory fits: {need}")
        elif self.embeddings is not None:
            lines.append(f"Memory wall: {need}; {self.sharding_advice()}")
        else:
            lines.append(f"Memory wall: {need}")
        lines.append(self._energy_line())
        lines.append(self._binding_line())
        return tuple(lines)

    @property
    def reason(self) -> str:
        """What limits the pass, in words: the memory-wall line when it does not fit, else the
        roofline line (the CLI prints it beside an infeasible result)."""
        wanted = "Memory wall:" if not self.feasible else "Roofline:"
        return next(line for line in self.constraint_trace if line.startswith(wanted))

    def _gather_line(self) -> str:
        """Embedding gathers: the rows a pass reads from tables that stay resident whole."""
        e = self.embeddings
        value_b = bytes_per_value(self.precision)
        per_sample = e.lookups * e.dim * value_b
        tables = self._table_bytes()
        return (f"Embedding gathers: {number(e.lookups)} lookups x {e.dim} x {number(value_b)} B "
                f"= {si(per_sample, 'B')} per sample x {self.batch_size} = "
                f"{si(per_sample * self.batch_size, 'B')} per pass (the looked-up rows, not the "
                f"{si(tables, 'B')} of tables); dense weights "
                f"{si(self.weights_bytes - tables, 'B')} read whole"
                + ("; training reads the gathered rows again in backward and writes their "
                   "gradients and optimizer updates, as for the dense weights"
                   if self.is_training else ""))

    def sharding_advice(self) -> str:
        """What to do when embedding tables overflow one device: shard them across devices."""
        devices = math.ceil(self.footprint_bytes / self.capacity_bytes)
        return (f"the embedding tables ({si(self._table_bytes(), 'B')}) need sharding across "
                f"devices (model-parallel embeddings, as TorchRec shards them): at least "
                f"{devices} devices' memory ({si(self.footprint_bytes, 'B')} / "
                f"{si(self.capacity_bytes, 'B')} per device, rounded up), or a lower precision")

    def _table_bytes(self) -> float:
        return self.embeddings.parameters * bytes_per_value(self.precision)

    def _binding_line(self) -> str:
        from ..walls import binding_line

        if not self.feasible:
            return binding_line("memory", "it does not fit")
        if self.bottleneck == "Memory":
            return binding_line("memory", "moving bytes takes longer than the math")
        return binding_line("compute", "the math takes longer than moving bytes")

    def _energy_line(self) -> str:
        if self.tdp != self.tdp:
            return (f"Energy: not modeled; the Zoo lists no TDP for {self.hardware}")
        if not self.idle_path:
            return (f"Energy: TDP {si(self.tdp, 'W')} x {si(self.latency_s, 's')} = "
                    f"{si(self.energy_j, 'J')}, an upper bound: the Zoo lists no idle or "
                    f"minimum power for {self.hardware} (busy {self.busy_share:.0%} of the pass)")
        watts = self.energy_j / self.latency_s
        label = ("measured idle" if self.idle_path.endswith(".power.idle")
                 else "the lowest power mode")
        return (f"Energy: {si(self.idle_power, 'W')} idle ({label}) + "
                f"({si(self.tdp, 'W')} TDP - {si(self.idle_power, 'W')}) x {self.busy_share:.0%} "
                f"busy (the busier of compute and memory) = {si(watts, 'W')}; x "
                f"{si(self.latency_s, 's')} = {si(self.energy_j, 'J')} (linear power model, "
                f"Fan et al. 2007; idle draw {self.idle_path})")

    # -- Quantities ------------------------------------------------------
    @property
    def latency(self):
        return _q(self.latency_s, "s")

    @property
    def throughput(self):
        return _q(self.throughput_per_s, self.throughput_unit)

    @property
    def energy(self):
        return _q(self.energy_j, "J")

    @property
    def memory_footprint(self):
        return _q(self.footprint_bytes, "B")

    @property
    def memory_capacity(self):
        return _q(self.capacity_bytes, "B")

    @property
    def compute_time(self):
        return _q(self.compute_time_s, "s")

    @property
    def memory_time(self):
        return _q(self.memory_time_s, "s")

    @property
    def flops(self):
        return _q(self.flops_count, "FLOP")

    @property
    def memory_traffic(self):
        return _q(self.traffic_bytes, "B")

    @property
    def arithmetic_intensity(self):
        return _q(self.flops_count / self.traffic_bytes, "FLOP/B")

    # -- forms -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain numbers in SI units, for JSON."""
        from ..units import to_jsonable

        return {
            "model": self.model, "hardware": self.hardware, "precision": self.precision,
            "batch_size": self.batch_size, "seq_len": self.seq_len, "is_training": self.is_training,
            "feasible": self.feasible, "bottleneck": self.bottleneck,
            "latency_s": self.latency_s, "throughput": self.throughput_per_s,
            "throughput_unit": self.throughput_unit, "mfu": self.mfu, "energy_j": to_jsonable(self.energy_j),
            "memory_footprint_bytes": self.footprint_bytes,
            "memory_capacity_bytes": self.capacity_bytes,
            "arithmetic_intensity_flop_per_byte": self.flops_count / self.traffic_bytes,
            "compute_time_s": self.compute_time_s, "memory_time_s": self.memory_time_s,
            "flops": self.flops_count, "memory_traffic_bytes": self.traffic_bytes,
            "constraint_trace": list(self.constraint_trace),
        }

    def summary(self) -> str:
        """A few lines a student can read."""
        verdict = "fits" if self.feasible else "DOES NOT FIT"
        return (f"{self.model} on {self.hardware} ({self.precision}, batch {self.batch_size}): "
                f"{quantity(self.latency)} per pass, {quantity(self.throughput)}, "
                f"{self.bottleneck}-bound, MFU {self.mfu:.1%}; memory "
                f"{quantity(self.memory_footprint)} of {quantity(self.memory_capacity)} "
                f"({verdict})")

    def __str__(self) -> str:
        return self.summary()

    def _display_rows(self) -> list[tuple[str, str]]:
        return [("Latency", quantity(self.latency)),
                ("Throughput", quantity(self.throughput)),
                ("Bottleneck", self.bottleneck), ("MFU", f"{self.mfu:.1%}"),
                ("Memory", f"{quantity(self.memory_footprint)} of "
                           f"{quantity(self.memory_capacity)}"),
                ("Feasible", "yes" if self.feasible else "no"),
                ("Energy", quantity(self.energy))]

    def _display_title(self) -> str:
        return f"{self.model} on {self.hardware} ({self.precision}, batch {self.batch_size})"

    def _repr_markdown_(self) -> str:
        from ..display import result_markdown

        return result_markdown(self._display_title(), self._display_rows(),
                               self.constraint_trace)

    def _repr_html_(self) -> str:
        from ..display import result_html

        return result_html(self._display_title(), self._display_rows(), self.constraint_trace)


def _q(value: float, unit: str):
    from ..units import Quantity

    return Quantity(value, unit)
