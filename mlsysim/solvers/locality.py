"""Locality wall: the time and energy to bring data to the compute from each memory level.

A first-order transfer model (the latency-bandwidth or "alpha-beta" model of Hockney, "The
communication challenge for MPP", Parallel Computing 1994) with Horowitz's access energies
(ISSCC 2014, "Computing's energy problem")::

    t(level) = bytes / bandwidth(level) + latency(level)
    E(level) = bytes x energy_per_access(level) / bytes_per_access

Weight streaming (decode with the weights outside device memory, read once per step):

    t_token = weight_bytes / bandwidth(level) + latency(level)

Bandwidths are the chip's Zoo figures (memory, scale-up link, host link, each one way), a
``Systems.Fabrics`` entry for the network and ``Hardware.Tech.NvmeGen4SequentialRead`` for
storage; a level the chosen hardware has no figure for is an error naming it. Latency is
the fabric's where the Zoo has one, else left out (said in the trace). Energy is the access
energy of reading the bytes at the source (SRAM or DRAM), where the Zoo has it; link and
network energy are not in the Zoo, so it is a lower bound for remote levels.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..engine.checks import check_quantity, resolve_entry
from ..engine.figures import workload_figures
from ..engine.precision import bytes_per_value
from ..errors import InputError, shown
from ..formatting import number, si
from . import zoo_defaults
from .base import ForwardModel, Quantity, SolverResult

#: The levels, nearest first, and what each is.
LEVELS = {"sram": "on-chip SRAM (a chip whose memory is SRAM)",
          "device_memory": "the accelerator's own memory (HBM, GDDR, LPDDR or SRAM)",
          "peer": "another accelerator's memory over the scale-up link (NVLink, ICI, ...)",
          "host": "host memory over the host link (PCIe, NVLink-C2C)",
          "network": "another node over the scale-out fabric",
          "storage": "local flash storage (NVMe SSD)"}
#: Storage read bandwidth used when none is given.
STORAGE_BANDWIDTH = "Hardware.Tech.NvmeGen4SequentialRead"
#: Access energy of one 64-bit word, by the kind of memory the bytes are read from.
SRAM_ACCESS_ENERGY = "Hardware.Tech.Sram1MBRead64bEnergy45nm"
DRAM_ACCESS_ENERGY = "Hardware.Tech.DramAccess64bEnergyLow"
#: Bytes in one access of those energies (a 64-bit word).
ACCESS_BYTES = 8


class LocalityResult(SolverResult):
    """Moving ``bytes_moved`` from one memory level to the compute: time, energy, slow-down."""

    solver = "LocalityModel"

    level: str = Field(description="Where the data starts: sram, device_memory, peer, host, "
                                   "network or storage.")
    bytes_moved: Quantity = Field(description="Bytes moved (B): the data given, or the "
                                              "model's weights at the precision.")
    bandwidth: Quantity = Field(description="One-way bandwidth of the level (B/s).")
    latency: Quantity = Field(description="Fixed cost of one transfer (s); 0 where the Zoo has "
                                          "no figure (see the trace).")
    transfer_time: Quantity = Field(description="bytes / bandwidth + latency (s).")
    energy: Quantity | None = Field(description="Access energy of reading the bytes at the "
                                                "source (J); None where the Zoo has no figure.")
    device_memory_time: Quantity | None = Field(description="The same bytes from device memory "
                                                            "(s); None if the chip lists no "
                                                            "memory bandwidth.")
    slowdown: float | None = Field(description="transfer_time / device_memory_time.")
    decode_time_per_token: Quantity | None = Field(
        description="Weight streaming: one decode step reads every weight once from the level "
                    "(s); None without a model.")
    tokens_per_second: Quantity | None = Field(
        description="1 / decode_time_per_token for one sequence (token/s); None without a "
                    "model.")


class LocalityModel(ForwardModel):
    """Time and energy to move data to the compute from a level of the memory hierarchy."""

    name = "LocalityModel"

    def solve(self, hardware: Any, data: Any = None, level: str = "host", model: Any = None,
              precision: str = "fp16", fabric: Any = None, bandwidth: Any = None,
              latency: Any = None) -> LocalityResult:
        """Time (and energy, where the Zoo has it) to move ``data`` bytes from ``level`` to
        ``hardware``'s compute; with ``model``, the weights streamed once per decode step::

            t = bytes / bandwidth(level) + latency(level)
            E = bytes / 8 B x E_access(64-bit word at the source)
            t_token = weight_bytes / bandwidth(level) + latency(level)

        Args:
            hardware: A ``Hardware`` entry or name.
            data: Bytes to move (a quantity such as "1 GB" or a number of bytes); None with a
                ``model`` moves its weights.
            level: One of sram, device_memory, peer, host, network, storage.
            model: A ``Models`` entry or name: weight streaming, decode time per token when
                the weights are read from ``level``.
            precision: Weight precision of ``model`` (bytes per weight).
            fabric: A ``Systems.Fabrics`` entry or name, for the network level.
            bandwidth: The level's one-way bandwidth, when the Zoo has none or to override it.
            latency: The level's per-transfer latency, to add one the Zoo lacks.

        Returns:
            LocalityResult: time, energy, bandwidth, slow-down against device memory and, with
            a model, decode time per token and tokens per second.
        """
        from ..units import Quantity as Q

        chip = resolve_entry(hardware, "Hardware", "hardware")
        if not isinstance(level, str) or level not in LEVELS:
            raise InputError(f"level must be one of {', '.join(LEVELS)}, got {shown(level)}",
                             name="level", value=level)
        if data is None and model is None:
            raise InputError("LocalityModel needs data (bytes to move, e.g. data='1 GB') or a "
                             "model whose weights stream; got neither", name="data", value=None)
        trace: list[str] = []
        if model is not None:
            w = workload_figures(resolve_entry(model, "Models", "model"))
            weights = w.parameters * bytes_per_value(precision)
            trace.append(f"Weights of {w.name}: {number(w.parameters)} parameters x "
                         f"{number(bytes_per_value(precision))} B ({precision}) = "
                         f"{si(weights, 'B')}")
        moved = weights if data is None else check_quantity(data, "B", "data")
        bw, bw_text = _bandwidth(chip, level, fabric, bandwidth)
        lat, lat_text = _latency(level, fabric, latency)
        t = moved / bw + lat
        trace.append(f"{LEVELS[level][0].upper()}{LEVELS[level][1:]}: {bw_text}; {lat_text}")
        trace.append(f"t = {si(moved, 'B')} / {si(bw, 'B/s')} + {si(lat, 's')} = {si(t, 's')}")
        energy, energy_text = _energy(chip, level, moved)
        trace.append(energy_text)
        own = chip.memory.bandwidth
        t_device = moved / float(own.m_as("B/s")) if own is not None else None
        slowdown = t / t_device if t_device else None
        if slowdown is not None:
            trace.append(f"From device memory ({si(own.m_as('B/s'), 'B/s')}) the same bytes take "
                         f"{si(t_device, 's')}: {level} is {number(slowdown)}x slower")
        t_token = None
        if model is not None:
            t_token = weights / bw + lat
            trace.append(f"Weight streaming: each decode step reads {si(weights, 'B')} from "
                         f"{level}: {si(t_token, 's')} per token, {number(1 / t_token)} token/s "
                         "per sequence (batching shares the read)")
        return LocalityResult(
            level=level, bytes_moved=Q(moved, "B"), bandwidth=Q(bw, "B/s"), latency=Q(lat, "s"),
            transfer_time=Q(t, "s"), energy=None if energy is None else Q(energy, "J"),
            device_memory_time=None if t_device is None else Q(t_device, "s"),
            slowdown=slowdown,
            decode_time_per_token=None if t_token is None else Q(t_token, "s"),
            tokens_per_second=None if t_token is None else Q(1 / t_token, "token/s"),
            constraint_trace=tuple(trace))


def _is_sram(chip: Any) -> bool:
    kind = chip.memory.type or ""
    return kind.upper().startswith("SRAM")


def _bandwidth(chip: Any, level: str, fabric: Any, given: Any) -> tuple[float, str]:
    """(one-way bandwidth in B/s, how the trace names it); InputError naming the missing
    figure when the hardware has none for the level."""
    if given is not None:
        value = check_quantity(given, "B/s", "bandwidth")
        return value, f"{si(value, 'B/s')} (given)"
    name = chip.path or chip.name
    found, source = None, ""
    if level == "sram":
        if _is_sram(chip) and chip.memory.bandwidth is not None:
            found, source = chip.memory.bandwidth, f"{name} memory.bandwidth (SRAM)"
        else:
            missing = f"{name} has no on-chip SRAM bandwidth (its memory is " \
                      f"{chip.memory.type or 'of unknown type'})"
    elif level == "device_memory":
        found, source = chip.memory.bandwidth, f"{name} memory.bandwidth"
        missing = f"{name} lists no memory.bandwidth"
    elif level in ("peer", "host"):
        link = chip.interconnect.scale_up if level == "peer" else chip.interconnect.host
        if link is not None:
            found = link.per_direction
            source = f"{name} interconnect.{'scale_up' if level == 'peer' else 'host'} " \
                     f"({link.name}, one way)"
        missing = f"{name} lists no interconnect.{'scale_up' if level == 'peer' else 'host'} link"
    elif level == "network":
        if fabric is not None:
            spec = resolve_entry(fabric, "Systems", "fabric")
            found, source = spec.per_direction, f"{spec.path or spec.name} (one way)"
        missing = "the network level needs a fabric (e.g. fabric='InfiniBand_NDR')"
    else:
        sourced = zoo_defaults.number(STORAGE_BANDWIDTH)
        return float(sourced.m_as("B/s")), zoo_defaults.cite(sourced, "GB/s")
    if found is None:
        raise InputError(f"level={level!r}: {missing}; pass bandwidth=... (e.g. '64 GB/s') with "
                         "its source, or choose another level", name="level", value=level)
    value = float(found.m_as("B/s"))
    return value, f"{si(value, 'B/s')} ({source})"


def _latency(level: str, fabric: Any, given: Any) -> tuple[float, str]:
    """(latency in s, trace text): the given one, the fabric's, else 0 with the reason."""
    if given is not None:
        value = check_quantity(given, "s", "latency", allow_zero=True)
        return value, f"latency {si(value, 's')} (given)"
    if level == "network" and fabric is not None:
        spec = resolve_entry(fabric, "Systems", "fabric")
        if spec.latency is not None:
            value = float(spec.latency.m_as("s"))
            return value, f"latency {si(value, 's')} ({spec.path})"
    return 0.0, "no latency figure in the Zoo for this level: bandwidth term only"


def _energy(chip: Any, level: str, moved: float) -> tuple[float | None, str]:
    """(access energy in J or None, trace text) of reading ``moved`` bytes at the source."""
    if level in ("network", "storage"):
        return None, f"Energy: the Zoo has no per-byte energy for {level} transfers"
    sram = level == "sram" or (level == "device_memory" and _is_sram(chip))
    path = SRAM_ACCESS_ENERGY if sram else DRAM_ACCESS_ENERGY
    per_access = zoo_defaults.number(path)
    joules = moved / ACCESS_BYTES * float(per_access.m_as("J"))
    remote = " (the source's reads only; link energy is not in the Zoo, so a lower bound)" \
        if level in ("peer", "host") else ""
    return joules, (f"Energy: {si(moved, 'B')} / {ACCESS_BYTES} B x "
                    f"{zoo_defaults.cite(per_access, 'nJ')} = {si(joules, 'J')}, a 45 nm-era "
                    f"figure{remote}")
