"""The schema of a hardware entry: compute per precision, memory, interconnect, power.

Peak compute is a table keyed by precision. Each row keeps the dense figure
and the with-sparsity figure apart, because vendors headline the sparse one.
Floating-point rows are in FLOP/s; integer rows (``int8``, ``int4``) in OP/s.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..units import DIMENSIONS, check_dimension, quantity_type
from ..zoo.entry import ZooEntry

#: Precisions a peak table may list; integer ones are measured in OP/s.
PRECISIONS = ("fp64", "fp64_tensor", "fp32", "fp32_tensor", "tf32", "fp16", "bf16", "fp8", "fp6",
              "fp4", "int8", "int4")
INTEGER_PRECISIONS = frozenset({"int8", "int4"})
Precision = Literal["fp64", "fp64_tensor", "fp32", "fp32_tensor", "tf32", "fp16", "bf16", "fp8",
                    "fp6", "fp4", "int8", "int4"]



class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _rate_field(description: str):
    # Precision decides the dimension (FLOP/s or OP/s), so the row validator checks it.
    from typing import Any

    from pydantic import BeforeValidator, PlainSerializer
    from typing import Annotated

    from ..units import UnitParseError, parse_quantity, _serialize

    def parse(value: Any):
        try:
            return parse_quantity(value)
        except UnitParseError as exc:
            raise ValueError(str(exc)) from None

    return Annotated[Any, BeforeValidator(parse), PlainSerializer(_serialize, return_type=str)]


_RateValue = _rate_field("peak rate")


class PeakRate(_Part):
    """Peak throughput at one precision."""

    dense: _RateValue = Field(description="Peak without structured sparsity.")
    sparse: _RateValue | None = Field(
        default=None, description="Peak with 2:4 structured sparsity, as vendors headline it."
    )
    accumulate: Precision | None = Field(
        default=None, description="The accumulate precision these peaks are for, where the "
        "vendor gives two (GeForce tensor cores run FP16 with FP16 accumulate at twice the "
        "FP32-accumulate rate); unset when the vendor gives one.")

    @model_validator(mode="after")
    def _sparse_not_below_dense(self) -> "PeakRate":
        if self.sparse is not None and self.sparse.dimensionality == self.dense.dimensionality:
            if self.sparse < self.dense:
                raise ValueError(f"sparse peak {self.sparse:~} is below dense peak {self.dense:~}; "
                                 "the two are probably swapped")
        return self


class ComputeSpec(_Part):
    """Compute: the peak table and what executes it."""

    architecture: str | None = Field(default=None, description="Micro-architecture name.")
    compute_units: int | None = Field(default=None, ge=1,
                                      description="SMs, CUs, TensorCores or CPU cores.")
    clock: quantity_type(DIMENSIONS["frequency"]) | None = Field(
        default=None, description="Maximum (boost) clock.")
    peak: dict[Precision, PeakRate] = Field(
        default_factory=dict, description="Peak throughput per precision, dense and with sparsity.")

    @model_validator(mode="after")
    def _dimension_per_precision(self) -> "ComputeSpec":
        for precision, row in self.peak.items():
            expected = DIMENSIONS["op_rate" if precision in INTEGER_PRECISIONS else "flop_rate"]
            for label in ("dense", "sparse"):
                value = getattr(row, label)
                if value is None:
                    continue
                try:
                    check_dimension(value, expected)
                except ValueError as exc:
                    unit = "TOPS (OP/s)" if precision in INTEGER_PRECISIONS else "TFLOP/s"
                    raise ValueError(f"peak.{precision}.{label}: {exc}; write it in {unit}") from None
        return self


class MemorySpec(_Part):
    """Main memory (HBM, GDDR, LPDDR or on-chip SRAM for microcontrollers)."""

    type: str | None = Field(default=None, description="Technology, e.g. HBM3 or SRAM.")
    capacity: quantity_type(DIMENSIONS["bytes"]) = Field(description="Capacity as the vendor states it.")
    bandwidth: quantity_type(DIMENSIONS["bandwidth"]) | None = Field(
        default=None, description="Peak bandwidth to main memory.")
    rom: quantity_type(DIMENSIONS["bytes"]) | None = Field(default=None, description="On-chip ROM.")
    flash: quantity_type(DIMENSIONS["bytes"]) | None = Field(default=None,
                                                             description="On-package flash.")


class LinkSpec(_Part):
    """One kind of link. Bandwidth always says whether it is per direction or both summed."""

    name: str = Field(description="Link technology, e.g. NVLink 4 or PCIe Gen5 x16.")
    bandwidth: quantity_type(DIMENSIONS["bandwidth"]) = Field(description="Bandwidth per device.")
    direction: Literal["per_direction", "bidirectional_total"] = Field(
        description="per_direction: each way; bidirectional_total: both directions added.")
    links: int | None = Field(default=None, ge=1, description="Number of links per device.")

    @property
    def per_direction(self):
        """Bandwidth in one direction."""
        return self.bandwidth if self.direction == "per_direction" else self.bandwidth / 2


class InterconnectSpec(_Part):
    """Links to peers (scale-up fabric) and to the host."""

    scale_up: LinkSpec | None = Field(default=None, description="NVLink, Infinity Fabric, ICI, ...")
    host: LinkSpec | None = Field(default=None, description="Link to the host CPU (PCIe).")


class PowerSpec(_Part):
    """Power envelope."""

    tdp: quantity_type(DIMENSIONS["power"]) | None = Field(
        default=None, description="Maximum thermal design power (board power for accelerators).")
    min: quantity_type(DIMENSIONS["power"]) | None = Field(
        default=None, description="Lowest configurable power mode.")
    idle: quantity_type(DIMENSIONS["power"]) | None = Field(
        default=None, description="Measured board draw with no work running (a sourced "
                                  "measurement, not a power mode); the energy models prefer it "
                                  "to min as the idle draw.")

    @model_validator(mode="after")
    def _idle_within_tdp(self) -> "PowerSpec":
        if self.idle is not None and self.tdp is not None and self.idle > self.tdp:
            raise ValueError(f"power.idle ({self.idle:~}) exceeds power.tdp ({self.tdp:~}); "
                             "an idle draw must lie at or below the TDP, so check both against "
                             "their sources")
        return self


class HardwareNode(ZooEntry):
    """One accelerator, SoC or microcontroller."""

    vendor: str = Field(description="Who makes it.")
    release_year: int | None = Field(default=None, ge=1970, le=2100, description="Year of release.")
    form_factor: str | None = Field(default=None, description="SXM5, OAM, PCIe card, module, SoC, ...")
    compute: ComputeSpec = Field(description="Compute resources and the peak table.")
    memory: MemorySpec = Field(description="Main memory.")
    interconnect: InterconnectSpec = Field(default_factory=InterconnectSpec,
                                           description="Links to peers and host.")
    power: PowerSpec = Field(default_factory=PowerSpec, description="Power envelope.")

    def peak(self, precision: str, *, sparse: bool = False):
        """Peak rate at ``precision``; a clear error when the chip does not list it."""
        from ..errors import MlsysimError

        row = self.compute.peak.get(precision)
        if row is None:
            listed = ", ".join(self.compute.peak) or "none"
            raise MlsysimError(f"{self.name} lists no {precision} peak (it lists: {listed}); "
                               "choose one of those precisions")
        if sparse:
            if row.sparse is None:
                raise MlsysimError(f"{self.name} lists no with-sparsity {precision} peak")
            return row.sparse
        return row.dense
