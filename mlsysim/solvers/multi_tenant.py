"""The multi-tenant wall: several LLM workloads sharing one accelerator, split in space or in time.

Spatial partitioning (NVIDIA Multi-Instance GPU, MIG) gives each tenant a fixed GPU instance:
a share of the streaming multiprocessors and a share of the memory with its own DRAM
bandwidth. Temporal sharing (time-slicing, co-location
without partitions) gives every tenant the whole GPU in turns, slowed by whatever the
tenants do to each other's caches and bandwidth. Each tenant's cost is
:class:`~mlsysim.solvers.ServingModel`'s, on its slice or on the whole GPU.

The profile numbers (SMs, memory, instances per GPU) are Zoo data, ``Hardware.Partitions``
(NVIDIA's driver listing ``nvidia-smi mig -lgip`` for the H100 80GB). Placement rules (which
profiles may sit side by side in which memory slots) are not modelled: a partition is
accepted when its SMs, memory and per-profile instance counts fit the GPU's.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, is_number, resolve_entry
from ..errors import InputError, shown
from ..formatting import number, si
from ..units import Quantity as Q
from .base import ForwardModel, Quantity, SolverResult
from .serving import ServingModel

#: The Zoo group holding MIG profiles, keyed <Hardware entry>_<profile>_<figure>.
PARTITIONS = "Hardware.Partitions"

#: A MIG profile name as NVIDIA writes it: compute slices "g", memory "gb" ("3g.40gb").
PROFILE_NAME = re.compile(r"^[1-9][0-9]?g\.[1-9][0-9]{0,3}gb$")

#: Most tenants one call accepts: far beyond the 7 instances of any MIG GPU, small enough
#: that a typo (a batch size passed as a tenant count) is refused quickly.
MAX_TENANTS = 64


class MultiTenantResult(SolverResult):
    """Per-tenant latency and fit of workloads sharing one GPU, and what sharing buys."""

    solver = "MultiTenantModel"

    mode: str = Field(description="'spatial (MIG)' when each tenant has a partition profile, "
                                  "'temporal (time-slicing)' otherwise.")
    tenants: tuple[str, ...] = Field(description="The tenants' model names, in the order given.")
    profiles: tuple[str, ...] = Field(description="Each tenant's MIG profile (spatial mode); "
                                                  "empty in temporal mode.")
    compute_shares: tuple[float, ...] = Field(
        description="Each tenant's share of the GPU's SMs (1 in temporal mode: it gets the "
                    "whole GPU, in turns).")
    memory_shares: tuple[float, ...] = Field(
        description="Each tenant's share of the GPU's memory capacity and bandwidth (spatial); "
                    "its weights, KV cache and activations over capacity (temporal).")
    itl: tuple[float, ...] = Field(description="Each tenant's inter-token latency when sharing, "
                                               "in seconds.")
    ttft: tuple[float, ...] = Field(description="Each tenant's time to first token when "
                                                "sharing, in seconds.")
    dedicated_itl: tuple[float, ...] = Field(
        description="Each tenant's inter-token latency alone on a whole GPU, in seconds.")
    slowdowns: tuple[float, ...] = Field(description="itl / dedicated_itl per tenant.")
    throughputs: tuple[float, ...] = Field(description="Each tenant's decode tokens per second "
                                                       "when sharing: batch_size / itl.")
    fits: tuple[bool, ...] = Field(description="Whether each tenant's weights, KV cache and "
                                               "activations fit its memory when sharing.")
    partition_fits: bool = Field(
        description="Spatial: the profiles' SMs, memory and instance counts fit one GPU. "
                    "Temporal: all tenants' memory fits the GPU together.")
    feasible: bool = Field(description="partition_fits and every tenant fits.")
    aggregate_throughput: Quantity = Field(
        description="Decode tokens per second of all tenants together on the shared GPU.")
    dedicated_throughput: Quantity = Field(
        description="Decode tokens per second of the tenants on one whole GPU each.")
    gpus_dedicated: int = Field(description="GPUs the tenants need without sharing: one each.")
    utilization_gain: float = Field(
        description="aggregate_throughput / (dedicated_throughput / gpus_dedicated): how many "
                    "dedicated GPUs' worth of decode work the one shared GPU does.")
    memory_utilization_shared: float = Field(
        description="All tenants' memory over the one shared GPU's capacity.")
    memory_utilization_dedicated: float = Field(
        description="Mean share of a dedicated GPU's memory each tenant fills alone.")
    binding_tenant: str = Field(description="The tenant that binds: the first that does not "
                                            "fit, else the one slowed most by sharing.")
    interference_slowdown: float = Field(
        description="Factor on every time-sliced step for co-location interference (1 = "
                    "none; spatial mode is 1, MIG instances being isolated).")


class MultiTenantModel(ForwardModel):
    """Tenants sharing one GPU: MIG slices (spatial) or time-slicing (temporal)."""

    name = "MultiTenantModel"

    def solve(self, models: Any, hardware: Any, seq_len: int, profiles: Any = None,
              batch_size: int = 1, precision: str = "fp16", efficiency: float | None = None,
              interference_slowdown: float = 1.0, *,
              memory_efficiency: float | None = None) -> MultiTenantResult:
        """Serve every model in ``models`` on one ``hardware`` GPU, each at ``batch_size``
        requests of ``seq_len`` tokens.

        Spatial (``profiles`` given, one MIG profile per tenant): tenant i runs on an instance
        with SMs S_i and memory M_i of the whole-GPU profile's S and M (the largest profile
        the Zoo lists for the GPU). Its slice has the fractions c_i = S_i / S of every peak
        rate and m_i = M_i / M of memory capacity and bandwidth (NVIDIA: each instance has
        its own compute cores, memory, L2 cache and DRAM bandwidth, "Dividing NVIDIA A30 GPUs
        and Conquering Multiple Workloads", NVIDIA technical blog; the bandwidth is taken
        proportional to the memory), and ServingModel prices it there::

            ITL_i = ServingModel(model_i, slice(c_i, m_i)).itl
            sum S_i <= S,  sum M_i <= M,  count(p) <= instances(p)

        Temporal (``profiles`` None): tenants take the whole GPU in turns, one decode step
        each (round robin), every step slowed by ``interference_slowdown`` s >= 1::

            ITL_i  = s x sum_j ITL_j(dedicated)
            TTFT_i = s x (TTFT_i(dedicated) + sum_{j != i} ITL_j(dedicated))
            sum memory_j <= capacity

        The interference factor is a parameter: co-location slowdowns are workload pairs'
        measurements and the Zoo holds none. Both modes report::

            throughput  = sum_i B / ITL_i
            gain        = throughput / (sum_i B / ITL_i(dedicated) / n)

        Args:
            models: The tenants: a list of decoder language models (``Models`` entries or
                names), one per tenant; a model may appear twice.
            hardware: The GPU all tenants share (a ``Hardware`` entry or its name).
            seq_len: Context tokens per request, for every tenant.
            profiles: One MIG profile name per tenant ("3g.40gb"), or None for time-slicing.
            batch_size: Concurrent requests per tenant.
            precision: Serving precision of every tenant.
            efficiency: Share of peak compute; None takes ServingModel's calibrated values.
            interference_slowdown: Time-slicing only: factor >= 1 on every shared step.
            memory_efficiency: Share of peak memory bandwidth; None as ServingModel.

        Returns:
            MultiTenantResult: per-tenant ITL, TTFT, slowdown and fit; whether the partition
            fits; aggregate and dedicated throughput, the utilisation gain, and which tenant
            binds.

        Raises:
            InputError: models not a non-empty list, profiles of another length or unknown
                for the GPU, an interference factor below 1 or given with MIG profiles.
        """
        entries = _check_models(models)
        chip = resolve_entry(hardware, "Hardware", "hardware")
        s = _check_slowdown(interference_slowdown)
        serve = dict(seq_len=seq_len, batch_size=batch_size, precision=precision,
                     efficiency=efficiency, memory_efficiency=memory_efficiency)
        dedicated = [ServingModel().solve(entry, chip, **serve) for entry in entries]
        d_itl = [float(r.itl.m_as("s")) for r in dedicated]
        names = tuple(entry.name for entry in entries)
        batch = check_count(batch_size)
        if profiles is None:
            shared = _temporal(dedicated, d_itl, s)
            names_p: tuple[str, ...] = ()
        else:
            if s != 1:
                raise InputError(f"interference_slowdown applies to time-slicing (profiles="
                                 f"None); got {number(s)} with MIG profiles, whose instances "
                                 "are isolated. Drop one of the two",
                                 name="interference_slowdown", value=interference_slowdown)
            names_p = _check_profiles(profiles, len(entries), chip)
            shared = _spatial(entries, chip, names_p, serve)
        itl, ttft, c_shares, m_shares, fits, partition_fits, trace = shared
        trace[:0] = [line for line in dedicated[0].constraint_trace
                     if line.startswith(("Efficiency", "The Zoo"))]
        slowdowns = tuple(a / b for a, b in zip(itl, d_itl))
        per_tenant = tuple(batch / t for t in itl)
        throughput = sum(per_tenant)
        dedicated_tp = sum(batch / t for t in d_itl)
        n = len(entries)
        gain = throughput / (dedicated_tp / n)
        mem = [float(r.memory_per_gpu.m_as("B")) for r in dedicated]
        capacity = float(chip.memory.capacity.m_as("B"))
        mem_shared = sum(mem) / capacity
        mem_dedicated = sum(mem) / capacity / n
        misfit = [i for i, ok in enumerate(fits) if not ok]
        binding = misfit[0] if misfit else max(range(n), key=lambda i: slowdowns[i])
        feasible = partition_fits and not misfit
        mode = "temporal (time-slicing)" if profiles is None else "spatial (MIG)"
        for i in range(n):
            trace.append(f"Tenant {i + 1} {names[i]} ({entries[i].path}): ITL {si(itl[i], 's')} shared vs "
                         f"{si(d_itl[i], 's')} on a whole {chip.name} ({number(slowdowns[i])}x)"
                         + ("" if fits[i] else "; does not fit its memory"))
        trace.append(f"Throughput: {number(throughput)} tokens/s on one shared GPU vs "
                     f"{number(dedicated_tp)} tokens/s on {n} dedicated GPUs: the shared GPU "
                     f"does {number(gain)} dedicated GPUs' worth of decode work; memory "
                     f"{number(100 * mem_shared, 3)}% used shared vs "
                     f"{number(100 * mem_dedicated, 3)}% per dedicated GPU")
        why = ("does not fit" if misfit else f"is slowed most ({number(slowdowns[binding])}x)")
        trace.append(f"Multi-tenant wall: tenant {binding + 1} ({names[binding]}) binds: it "
                     f"{why}" + ("" if partition_fits else "; the partition itself does not "
                                 "fit the GPU"))
        return MultiTenantResult(
            mode=mode, tenants=names, profiles=names_p, compute_shares=tuple(c_shares),
            memory_shares=tuple(m_shares), itl=tuple(itl), ttft=tuple(ttft), dedicated_itl=tuple(d_itl), slowdowns=slowdowns,
            throughputs=per_tenant, fits=tuple(fits), partition_fits=partition_fits, feasible=feasible,
            aggregate_throughput=Q(throughput, "token/s"),
            dedicated_throughput=Q(dedicated_tp, "token/s"), gpus_dedicated=n,
            utilization_gain=gain, memory_utilization_shared=mem_shared,
            memory_utilization_dedicated=mem_dedicated, binding_tenant=names[binding],
            interference_slowdown=s, constraint_trace=tuple(trace))


def _temporal(dedicated: list, d_itl: list[float], s: float) -> tuple:
    """Round-robin time-slicing of the whole GPU: ITL, TTFT, shares, fits, trace."""
    total = sum(d_itl)
    itl = [s * total for _ in d_itl]
    ttft = [s * (float(r.ttft.m_as("s")) + total - d_itl[i]) for i, r in enumerate(dedicated)]
    memory = [float(r.memory_utilization) for r in dedicated]
    together = sum(memory) <= 1
    fits = [together and bool(r.feasible) for r in dedicated]
    trace = [f"Time-slicing: {len(d_itl)} tenants take the whole GPU in turns, one decode step "
             f"each; a round takes {si(total, 's')} x interference {number(s)} = "
             f"{si(s * total, 's')}",
             f"Memory: the tenants hold {number(100 * sum(memory), 3)}% of the GPU together"
             + ("" if together else " — more than it has; they cannot be co-located")]
    return itl, ttft, [1.0] * len(d_itl), memory, fits, together, trace


def _spatial(entries: list, chip: Any, names: tuple[str, ...], serve: dict) -> tuple:
    """Each tenant on its MIG slice: ITL, TTFT, shares, fits, partition fit, trace."""
    full = _whole_gpu_profile(chip)
    sms_full, mem_full = _figure(chip, full, "Sms"), _figure(chip, full, "Memory")
    itl, ttft, c_shares, m_shares, fits = [], [], [], [], []
    for entry, profile in zip(entries, names):
        c = float(_figure(chip, profile, "Sms") / sms_full)
        m = float((_figure(chip, profile, "Memory") / mem_full).m_as(""))
        result = ServingModel().solve(entry, _slice(chip, c, m), **serve)
        itl.append(float(result.itl.m_as("s")))
        ttft.append(float(result.ttft.m_as("s")))
        c_shares.append(c)
        m_shares.append(m)
        fits.append(bool(result.feasible))
    sms_used = sum(float(_figure(chip, p, "Sms")) for p in names)
    mem_used = sum(float(_figure(chip, p, "Memory").m_as("GiB")) for p in names)
    over = [p for p in dict.fromkeys(names) if names.count(p) > _figure(chip, p, "Instances")]
    sms_total, mem_total = float(sms_full), float(mem_full.m_as("GiB"))
    partition_fits = sms_used <= sms_total and mem_used <= mem_total and not over
    key = _key(chip, full)
    trace = [f"MIG on {chip.name}: slices are shares of the {full} profile "
             f"({number(sms_total)} SMs, {number(mem_total)} GiB; {PARTITIONS}.{key}_Sms, "
             f"{PARTITIONS}.{key}_Memory); compute scales with SMs, memory capacity and "
             "bandwidth with memory",
             f"Partition: {', '.join(names)} use {number(sms_used)} of {number(sms_total)} SMs "
             f"and {number(mem_used)} of {number(mem_total)} GiB"
             + ("" if not over else f"; more {', '.join(over)} instances than one GPU holds")
             + ("" if partition_fits else " — does not fit one GPU (placement rules not "
                                          "modelled)")]
    for profile in dict.fromkeys(names):
        i = names.index(profile)
        trace.append(f"{profile}: {number(float(_figure(chip, profile, 'Sms')))} SMs, "
                     f"{number(float(_figure(chip, profile, 'Memory').m_as('GiB')))} GiB -> "
                     f"compute {number(100 * c_shares[i], 3)}%, memory and bandwidth "
                     f"{number(100 * m_shares[i], 3)}% ({PARTITIONS}.{_key(chip, profile)}_Sms, "
                     "_Memory, _Instances)")
    return itl, ttft, c_shares, m_shares, fits, partition_fits, trace


def _slice(chip: Any, compute: float, memory: float) -> Any:
    """A copy of ``chip`` with every peak scaled by ``compute`` and memory by ``memory``."""
    peaks = {p: row.model_copy(update={
        "dense": row.dense * compute,
        "sparse": row.sparse * compute if row.sparse is not None else None})
        for p, row in chip.compute.peak.items()}
    spec = chip.memory
    bandwidth = spec.bandwidth * memory if spec.bandwidth is not None else None
    return chip.model_copy(update={
        "compute": chip.compute.model_copy(update={"peak": peaks}),
        "memory": spec.model_copy(update={"capacity": spec.capacity * memory,
                                          "bandwidth": bandwidth})})


def _key(chip: Any, profile: str) -> str:
    """``H100_3g_40gb``: the Zoo key prefix of ``profile`` on ``chip``."""
    return f"{chip.path.rpartition('.')[2]}_{profile.replace('.', '_')}"


def _figure(chip: Any, profile: str, figure: str) -> Any:
    """The Zoo number ``Hardware.Partitions.<chip>_<profile>_<figure>``."""
    from ..zoo.registry import default_zoo

    return default_zoo().resolve(PARTITIONS)[f"{_key(chip, profile)}_{figure}"]


def _known_profiles(chip: Any) -> list[str]:
    """The MIG profiles the Zoo lists for ``chip`` ("1g.10gb", ...), smallest first."""
    from ..zoo.registry import default_zoo

    prefix = chip.path.rpartition(".")[2] + "_"
    found = []
    for key in default_zoo().resolve(PARTITIONS).records():
        profile = key[len(prefix):-len("_Sms")].replace("_", ".", 1)
        if key.startswith(prefix) and key.endswith("_Sms") and PROFILE_NAME.match(profile):
            found.append(profile)
    return sorted(found, key=lambda p: (int(p.split("g")[0]), p))


def _whole_gpu_profile(chip: Any) -> str:
    """The profile with the most SMs: the whole GPU as one instance."""
    return max(_known_profiles(chip), key=lambda p: float(_figure(chip, p, "Sms")))


def _check_models(models: Any) -> list:
    if isinstance(models, (str, bytes)) or not isinstance(models, (list, tuple)) or not models:
        raise InputError(f"models must be a non-empty list of tenant models (Models entries or "
                         f"names), got {shown(models)}; e.g. models=['Llama3_8B', 'Llama3_2_1B']",
                         name="models", value=models)
    if len(models) > MAX_TENANTS:
        raise InputError(f"models lists {len(models)} tenants; at most {MAX_TENANTS} share one "
                         "GPU here (a MIG GPU holds at most 7); pass fewer tenants",
                         name="models", value=len(models))
    return [resolve_entry(model, "Models", "models") for model in models]


def _check_profiles(profiles: Any, tenants: int, chip: Any) -> tuple[str, ...]:
    known = _known_profiles(chip)
    listed = ", ".join(known) or "none"
    if isinstance(profiles, str) or not isinstance(profiles, (list, tuple)):
        raise InputError(f"profiles must be a list of MIG profile names, one per tenant, or "
                         f"None for time-slicing; got {shown(profiles)}. {chip.name}'s profiles "
                         f"in the Zoo: {listed}", name="profiles", value=profiles)
    if len(profiles) != tenants:
        raise InputError(f"profiles lists {len(profiles)} profiles for {tenants} tenants; give "
                         "one MIG profile per model", name="profiles", value=profiles)
    for profile in profiles:
        if not isinstance(profile, str) or not PROFILE_NAME.match(profile) or profile not in known:
            raise InputError(f"profiles: {shown(profile)} is not a MIG profile the Zoo lists for "
                             f"{chip.name} ({PARTITIONS}); use one of: {listed}",
                             name="profiles", value=profile)
    return tuple(profiles)


def _check_slowdown(value: Any) -> float:
    if not is_number(value) or not value >= 1 or value == float("inf"):
        raise InputError(f"interference_slowdown must be a finite number >= 1 (the factor by "
                         f"which co-located tenants slow each step; 1 = no interference), got "
                         f"{shown(value)}", name="interference_slowdown", value=value)
    return float(value)
