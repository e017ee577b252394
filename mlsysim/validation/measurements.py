"""Published, measured results, stored as data with their citation and configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ZooError
from ..zoo.catalog import format_validation_error
from ..zoo.reference import RegistryPath
from ..zoo.yaml_io import read_yaml

MEASUREMENTS_FILE = Path(__file__).with_name("measurements.yaml")


class Measurement(BaseModel):
    """One measured figure and the configuration it was measured in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Unique kebab-case id.")
    workload: RegistryPath = Field(description="The model, e.g. Models.Vision.ResNet50.")
    hardware: RegistryPath = Field(description="The accelerator.")
    devices: int = Field(ge=1, description="Accelerators in the measured system.")
    mode: Literal["inference", "decode", "prefill", "training"]
    batch_size: int | None = Field(default=None, ge=1, description="Per-device batch, if stated.")
    precision: str | None = None
    seq_len: int | None = Field(default=None, ge=1, description="Input or context tokens.")
    output_len: int | None = Field(default=None, ge=1, description="Generated tokens.")
    tp_size: int | None = Field(default=None, ge=1)
    pp_size: int | None = Field(default=None, ge=1, description="Pipeline stages (training).")
    interleave: int | None = Field(default=None, ge=1,
                                   description="Virtual pipeline chunks per stage (training).")
    global_batch: int | None = Field(default=None, ge=1,
                                     description="Global batch in sequences (training).")
    microbatch_size: int | None = Field(default=None, ge=1,
                                        description="Sequences per microbatch (training).")
    zero_stage: int | None = Field(default=None, ge=0, le=3,
                                   description="ZeRO stage (FSDP = 3) (training).")
    system: RegistryPath | None = Field(
        default=None, description="The Systems.Nodes entry the run used, e.g. "
        "Systems.Nodes.DGX_H100; with global_batch, training is predicted by DistributedModel.")
    scenario: Literal["offline", "server"] | None = Field(
        default=None, description="MLPerf Inference scenario: 'offline' (all samples at once; "
        "the system's maximum throughput) or 'server' (Poisson arrivals; the largest rate at "
        "which the benchmark's latency bounds hold). None for other benchmarks.")
    metric: Literal["throughput", "latency", "mfu", "tflops_per_device"]
    measured: float = Field(gt=0)
    unit: str
    scope: Literal["system", "per_device"]
    source: str = Field(description="Source catalog id.")
    notes: str | None = None


def load_measurements(path: Path | None = None) -> list[Measurement]:
    """Every measurement in the file; ZooError naming the entry and field on bad data."""
    file = path or MEASUREMENTS_FILE
    raw = read_yaml(file) or []
    if not isinstance(raw, list):
        raise ZooError("the measurements file must be a list of measurements", file=str(file))
    found: list[Measurement] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        try:
            measurement = Measurement.model_validate(item)
        except ValidationError as exc:
            loc, message = format_validation_error(exc)[0]
            entry = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
            raise ZooError(message, file=str(file), entry=str(entry), field=loc or None) from None
        if measurement.id in seen:
            raise ZooError(f"measurement id {measurement.id!r} appears twice", file=str(file),
                           entry=measurement.id, fix="give each measurement its own id")
        seen.add(measurement.id)
        found.append(measurement)
    return found
