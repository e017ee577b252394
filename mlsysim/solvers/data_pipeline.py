"""Ingestion and transformation walls: can storage and the host CPUs feed the accelerators?

An input pipeline with prefetching overlaps its stages, so it delivers samples at the rate
of its slowest stage (the throughput of a pipeline is that of its bottleneck stage; Mohan
et al., "Analyzing and Mitigating Data Stalls in DNN Training", VLDB 2021, call the two
shortfalls fetch stalls and prep stalls)::

    demand      D = samples/s the accelerators consume (given, or Engine.solve x accelerators)
    ingestion   S_read = readers x read_bandwidth / bytes_per_sample
    transform   S_prep = cpu_cores x per_core_rate
    delivered   = min(D, S_read, S_prep)
    idle share  = 1 - delivered / D
    cores needed = ceil(D / per_core_rate)

The default read bandwidth is one NVMe drive (``Hardware.Tech.NvmeGen4SequentialRead``);
the default per-core rate is a measured single-thread JPEG decode rate
(``Literature.DataPipeline.PillowJpegDecodePerThread``), decode only, so it is an upper
bound on a thread that also augments.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_flag, check_quantity
from ..engine.engine import Engine
from ..errors import InputError, MlsysimError
from ..formatting import number, si
from . import zoo_defaults
from .base import ForwardModel, Quantity, SolverResult

#: Read bandwidth of one reader (a local NVMe drive) when none is given.
READ_BANDWIDTH = "Hardware.Tech.NvmeGen4SequentialRead"
#: Samples one CPU thread decodes per second when no rate is given.
PER_CORE_RATE = "Literature.DataPipeline.PillowJpegDecodePerThread"


class DataPipelineResult(SolverResult):
    """Demand against what storage and host preprocessing supply, and the stage that binds."""

    solver = "DataPipelineModel"

    demand: Quantity = Field(description="Samples per second the accelerators consume "
                                         "(sample/s).")
    required_bandwidth: Quantity = Field(description="demand x bytes_per_sample (B/s).")
    available_bandwidth: Quantity = Field(description="readers x read_bandwidth (B/s).")
    ingestion_utilization: float = Field(description="required / available bandwidth; above 1 "
                                                     "the storage cannot keep up.")
    ingestion_rate: Quantity = Field(description="Samples per second storage can deliver "
                                                 "(sample/s).")
    ingestion_binds: bool = Field(description="Storage delivers fewer samples than demanded.")
    preprocessing_rate: Quantity | None = Field(description="cpu_cores x per_core_rate "
                                                            "(sample/s); None without cpu_cores.")
    cores_needed: int = Field(description="CPU cores (threads) that keep up with demand: "
                                          "ceil(demand / per_core_rate).")
    transformation_binds: bool | None = Field(description="Preprocessing delivers fewer samples "
                                                          "than demanded; None without "
                                                          "cpu_cores.")
    delivered_rate: Quantity = Field(description="min(demand, ingestion, preprocessing) "
                                                 "(sample/s).")
    accelerator_idle_share: float = Field(description="1 - delivered / demand: the share of "
                                                      "time the accelerators wait for data.")
    binding_stage: str = Field(description="accelerators, ingestion or transformation: the "
                                            "slowest stage.")


class DataPipelineModel(ForwardModel):
    """Storage reads and host preprocessing against the accelerators' appetite."""

    name = "DataPipelineModel"

    def solve(self, bytes_per_sample: Any, consumption_rate: Any = None, model: Any = None,
              hardware: Any = None, batch_size: int = 1, precision: str = "fp16",
              efficiency: float | None = None, is_training: bool = True,
              accelerators: int = 1, read_bandwidth: Any = None, readers: int = 1,
              cpu_cores: int | None = None, per_core_rate: Any = None) -> DataPipelineResult:
        """Whether reading (ingestion wall) or decoding and augmenting (transformation wall)
        keeps up with the accelerators, and their idle share if not::

            S_read = readers x read_bandwidth / bytes_per_sample
            S_prep = cpu_cores x per_core_rate
            idle share = 1 - min(D, S_read, S_prep) / D
            cores needed = ceil(D / per_core_rate)

        Args:
            bytes_per_sample: Stored size of one sample as read (e.g. "110 kB" for a JPEG);
                per token when the engine counts tokens (language models).
            consumption_rate: Samples per second the accelerators consume together; None
                computes it from ``model`` on ``hardware`` (Engine.solve) x ``accelerators``.
            model: A ``Models`` entry or name whose throughput sets the demand when no
                ``consumption_rate`` is given.
            hardware: The ``Hardware`` entry or name it runs on.
            batch_size: Samples per pass on one accelerator.
            precision: Precision of the pass.
            efficiency: Share of peak compute; None takes the engine's calibrated value.
            is_training: A training pass (forward and backward) rather than inference.
            accelerators: Accelerators fed by this pipeline (multiplies the engine's rate).
            read_bandwidth: One reader's read bandwidth: a quantity (e.g. "2 GB/s"), a Zoo
                number, or a ``Systems.Fabrics`` entry or name (its one-way bandwidth, for
                data read over the network); None takes one NVMe drive from the Zoo.
            readers: Readers (drives, storage nodes, network links) reading in parallel.
            cpu_cores: CPU cores (threads) preprocessing; None reports only the cores needed.
            per_core_rate: Samples one core preprocesses per second; None takes a measured
                JPEG decode rate from the Zoo (decode only).

        Returns:
            DataPipelineResult: demand, bandwidth required and available, preprocessing rate,
            cores needed, the binding stage and the accelerators' idle share.
        """
        from ..units import Quantity as Q

        size = check_quantity(bytes_per_sample, "B", "bytes_per_sample")
        n_readers = check_count(readers, "readers")
        trace: list[str] = []
        if consumption_rate is not None:
            demand = check_quantity(consumption_rate, "sample/s", "consumption_rate")
            trace.append(f"Demand: {number(demand)} sample/s (given)")
        else:
            if model is None or hardware is None:
                raise InputError("DataPipelineModel needs consumption_rate (samples/s) or a "
                                 "model and hardware to compute it from; pass e.g. "
                                 "consumption_rate='5000 sample/s' or model='ResNet50', "
                                 "hardware='H100'", name="consumption_rate", value=None)
            n_acc = check_count(accelerators, "accelerators")
            profile = Engine.solve(model, hardware, batch_size=batch_size, precision=precision,
                                   efficiency=efficiency,
                                   is_training=check_flag(is_training, "is_training"))
            demand = profile.throughput_per_s * n_acc
            unit = profile.throughput_unit.split("/")[0]
            trace.append(f"Demand: {profile.model} on {profile.hardware} "
                         f"({'training' if is_training else 'inference'}, batch "
                         f"{profile.batch_size}) consumes {number(profile.throughput_per_s)} "
                         f"{unit}/s each (Engine.solve) x {n_acc} = {number(demand)} {unit}/s"
                         + ("; bytes_per_sample is per token" if unit.startswith("tok") else ""))
        link = _fabric(read_bandwidth)
        if link is not None:
            bw = float(link.per_direction.m_as("B/s"))
            bw_text = f"{si(bw, 'B/s')} ({link.path or link.name}, one way)"
        else:
            bw, bw_text = zoo_defaults.given_or_zoo(read_bandwidth, "B/s", "read_bandwidth",
                                                    READ_BANDWIDTH)
            if getattr(read_bandwidth, "path", ""):  # a Zoo number passed in: cite it
                bw_text = f"{zoo_defaults.cite(read_bandwidth, 'GB/s')} (given)"
        available = n_readers * bw
        required = demand * size
        s_read = available / size
        utilization = required / available
        trace.append(f"Ingestion: needs {number(demand)}/s x {si(size, 'B')} = "
                     f"{si(required, 'B/s')}; {n_readers} reader(s) x {bw_text} = "
                     f"{si(available, 'B/s')} ({number(100 * utilization, 3)}% used), "
                     f"{number(s_read)} sample/s")
        rate, rate_text = zoo_defaults.given_or_zoo(per_core_rate, "sample/s", "per_core_rate",
                                                    PER_CORE_RATE)
        cores_needed = math.ceil(demand / rate)
        s_prep = None
        if cpu_cores is not None:
            s_prep = check_count(cpu_cores, "cpu_cores") * rate
        trace.append(f"Transformation: {rate_text} per core; {cores_needed} core(s) keep up"
                     + (f"; {cpu_cores} give {number(s_prep)} sample/s" if s_prep else ""))
        stages = {"accelerators": demand, "ingestion": s_read}
        if s_prep is not None:
            stages["transformation"] = s_prep
        binding = min(stages, key=stages.get)
        delivered = stages[binding]
        idle = 1 - delivered / demand
        if binding == "accelerators":
            trace.append("The accelerators are the slowest stage: the pipeline keeps up")
        else:
            wall = "Ingestion" if binding == "ingestion" else "Transformation"
            trace.append(f"{wall} wall: the pipeline delivers {number(delivered)} of "
                         f"{number(demand)} sample/s; the accelerators wait "
                         f"{number(100 * idle, 3)}% of the time")
        return DataPipelineResult(
            demand=Q(demand, "sample/s"), required_bandwidth=Q(required, "B/s"),
            available_bandwidth=Q(available, "B/s"), ingestion_utilization=utilization,
            ingestion_rate=Q(s_read, "sample/s"), ingestion_binds=bool(s_read < demand),
            preprocessing_rate=None if s_prep is None else Q(s_prep, "sample/s"),
            cores_needed=cores_needed,
            transformation_binds=None if s_prep is None else bool(s_prep < demand),
            delivered_rate=Q(delivered, "sample/s"), accelerator_idle_share=idle,
            binding_stage=binding, constraint_trace=tuple(trace))


def _fabric(value: Any) -> Any:
    """The ``Systems.Fabrics`` entry ``value`` names or is, else None (a bandwidth)."""
    if hasattr(value, "per_direction"):
        return value
    if isinstance(value, str) and value.replace("_", "").replace(".", "").isalnum():
        from ..engine.checks import resolve_entry

        try:
            entry = resolve_entry(value, "Systems", "read_bandwidth")
        except MlsysimError:
            return None
        if not hasattr(entry, "per_direction"):
            raise InputError(f"read_bandwidth: {value!r} is {entry.path}, not a fabric; pass a "
                             "Systems.Fabrics entry (e.g. 'InfiniBand_NDR') or a bandwidth "
                             "such as '2 GB/s'", name="read_bandwidth", value=value)
        return entry
    return None
