"""The Zoo numbers the macro solvers fall back on, each named by its registry path.

A solver never carries a bare constant: when the caller does not give a value, it reads
one of these sourced numbers and its constraint trace names the path, so a reader can run
``mlsysim show <path>`` to see the source and the date it was checked.
"""

from __future__ import annotations

from typing import Any

from ..errors import MlsysimError

#: Mean accelerator-hours between job-interrupting failures (Meta, Llama 3 405B, 16K H100).
ACCELERATOR_MTBF = "Systems.Reliability.Llama3_GpuHoursPerUnexpectedInterruption"
#: Sustained checkpoint-write bandwidth of a large training cluster's storage (Meta Tectonic).
CHECKPOINT_BANDWIDTH = "Systems.Reliability.Llama3_CheckpointStorageSustained"
#: Industry-average PUE (Uptime Institute survey, 2023).
PUE = "ReferenceStats.Datacenter.IndustryAveragePue2023"
#: Industry-average WUE, when the Zoo has a sourced one.
WUE = "ReferenceStats.Datacenter.IndustryAverageWue"
#: Grid used when a scenario names none.
GRID = "Infrastructure.Grids.US_Avg"
#: Electricity price used when none is given (Virginia industrial, the largest US data-center market).
ELECTRICITY_PRICE = "Infrastructure.Pricing.ElectricityIndustrialVirginia"
#: Annual maintenance as a share of purchase price, when sourced.
MAINTENANCE_FRACTION = "Infrastructure.Pricing.AnnualMaintenanceFraction"
#: Life over which embodied carbon is spread when the caller gives none: the newest
#: server depreciation schedule in the Zoo (Meta, 2025). An accounting life, not a
#: measured failure age; no source in the Zoo states a typical accelerator service life.
SERVICE_LIFE = "Ops.Lifecycle.MetaServerUsefulLife2025"
#: Price of moving data out of a cloud to the internet.
EGRESS_PRICE = "Infrastructure.Pricing.AwsInternetEgress"
#: Groups keyed by Hardware entry name (``H100``).
PURCHASE_PRICES = "Infrastructure.PurchasePrices"
RENTAL_PRICES = "Infrastructure.RentalPrices"
EMBODIED_CARBON = "Infrastructure.EmbodiedCarbon"


def number(path: str) -> Any:
    """The sourced number at ``path``; an error naming the path if the Zoo lacks it."""
    found = optional_number(path)
    if found is None:
        raise MlsysimError(f"the Zoo has no {path}, which this solver needs as its default; "
                           "pass the value explicitly or add the entry with its source")
    return found


def optional_number(path: str) -> Any:
    """The sourced number at ``path``, or None when the Zoo has no such entry."""
    from ..zoo.registry import default_zoo

    group, _, key = path.rpartition(".")
    try:
        namespace = default_zoo().resolve(group)
    except (LookupError, MlsysimError):
        return None
    return namespace[key] if key in namespace else None


def per_hardware_path(group: str, hardware: Any) -> str:
    """The path of ``hardware``'s number in a group keyed by Hardware entry name
    (``Infrastructure.PurchasePrices.H100``)."""
    return f"{group}.{hardware.path.rpartition('.')[2]}"


def cite(value: Any, unit: str | None = None) -> str:
    """``"50,677 h (Systems.Reliability.Llama3_GpuHoursPerUnexpectedInterruption)"``."""
    from ..formatting import quantity

    shown = quantity(value.to(unit) if unit else value)
    path = getattr(value, "path", "")
    return f"{shown} ({path})" if path else shown


def given_or_zoo(given: Any, unit: str, name: str, path: str, *, allow_zero: bool = False,
                 required: bool = True) -> tuple[float | None, str]:
    """(value in ``unit``, how a trace shows it): the caller's ``given`` value, checked, else
    the Zoo number at ``path``, cited. When not ``required``, a number the Zoo lacks gives
    ``(None, "the Zoo has no <path>")``."""
    from ..engine.checks import check_quantity
    from ..units import Quantity

    if given is not None:
        value = check_quantity(given, unit, name, allow_zero=allow_zero)
        return value, f"{cite(Quantity(value, unit))} (given)"
    sourced = number(path) if required else optional_number(path)
    if sourced is None:
        return None, f"the Zoo has no {path}"
    return float(sourced.m_as(unit)), cite(sourced, unit)
#: Compute-optimal training tokens per parameter (Chinchilla: 1.4T tokens / 70B parameters).
TOKENS_PER_PARAMETER = "Literature.Scaling.ChinchillaTokensPerParameter"
#: Model FLOPs utilization of a well-tuned large training run (PaLM 540B on TPU v4).
TRAINING_MFU = "Literature.Training.MfuHigh"
