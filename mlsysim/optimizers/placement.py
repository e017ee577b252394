"""PlacementOptimizer: where (which grid) and on what (which accelerator) to run a job so that
it emits the least carbon or costs the least, and the carbon-cost front between them."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np
from pydantic import Field

from ..engine.checks import check_count, check_quantity, resolve_entry, show
from ..errors import InputError
from ..formatting import number
from ..solvers.base import Quantity
from .base import OptimizerResult
from .pareto import pareto_front

OBJECTIVES = ("carbon", "cost")
COST_BASES = ("rental", "tco")
MODES = ("training", "serving")
DAY = 86400.0
UNSUPPORTED, NO_FIT, NO_PRICE = "precision not listed", "does not fit in memory", "no price"
NO_POWER = "no TDP in the Zoo"
GRAMS_PER_TONNE = 1e6


class PlacementResult(OptimizerResult):
    """The greenest and the cheapest (grid, accelerator) for a job, and the front between."""

    solver = "PlacementOptimizer"

    feasible: bool = Field(description="Whether any candidate can run the job and be priced.")
    objective: str = Field(description="'carbon' or 'cost': which best is reported as best.")
    best: dict[str, Any] | None = Field(description="The best candidate under the objective: "
                                                    "hardware, grid, duration_days, "
                                                    "carbon_tCO2e, cost_USD.")
    best_carbon: dict[str, Any] | None = Field(description="The candidate emitting the least "
                                                           "operational carbon.")
    best_cost: dict[str, Any] | None = Field(description="The cheapest candidate.")
    carbon: Quantity | None = Field(description="Operational carbon of best (tCO2e).")
    cost: Quantity | None = Field(description="Cost of best (USD), on cost_basis.")
    duration: Quantity | None = Field(description="How long best runs the job (day).")
    cost_basis: str = Field(description="'rental' (accelerator-hours x hourly price) or 'tco' "
                                        "(EconomicsModel's total cost of ownership).")
    front: tuple[dict[str, Any], ...] = Field(description="Pareto front of carbon (tCO2e) vs "
                                                          "cost (USD), least carbon first.")
    evaluated: int = Field(description="(hardware, grid) candidates evaluated.")
    infeasible: dict[str, int] = Field(description="Candidates ruled out, per reason.")


class PlacementOptimizer:
    """Evaluate every (accelerator, grid) pair for a job of a fixed amount of work."""

    def optimize(self, model: Any, tokens: Any, hardware: Sequence[Any] | None = None,
                 grids: Sequence[Any] | None = None, devices: int = 8, *,
                 mode: str = "training", batch_size: int = 8, seq_len: int | None = None,
                 precision: str = "fp16", efficiency: float | None = None,
                 objective: str = "carbon", cost_basis: str = "rental") -> PlacementResult:
        """Carbon and cost of ``tokens`` of work on ``devices`` of each accelerator at each
        grid. The rate per device is one vectorized Engine.sweep over the accelerators::

            T       = tokens / (devices x rate)         rate: Engine.sweep tokens/s per device
            carbon  = E_IT x PUE_grid x intensity_grid
                      E_IT = SustainabilityModel(devices, T).it_energy (grid-independent);
                      PUE as SustainabilityModel takes it: the grid's, else the Zoo's
                      industry average; 1 for devices outside a data center
            cost    = EconomicsModel(devices, T, grid).rental_cost (or .tco)

        A candidate fits when the pass's footprint spread over the devices (sharded weights,
        state and activations, first order) fits one device. Carbon is operational only
        (embodied carbon is missing for most accelerators, so it would skew the comparison).

        Args:
            model: The workload (a Models entry or its name).
            tokens: Work of the job: training tokens (mode "training") or generated tokens
                (mode "serving"), a number or e.g. "1e12".
            hardware: Accelerators to consider (default: every Hardware.Cloud entry).
            grids: Infrastructure.Grids entries (default: all of them).
            devices: Accelerators the job runs on.
            mode: "training" (forward and backward passes) or "serving" (decode steps).
            batch_size: Sequences per device per pass.
            seq_len: Tokens per sequence (training) or context (serving).
            precision: Precision of the passes.
            efficiency: Share of peak compute (None: calibrated class value).
            objective: "carbon" or "cost".
            cost_basis: "rental" or "tco".

        Returns:
            PlacementResult: best under each objective, the carbon-cost front, counts.
        """
        from ..engine.sweep import sweep
        from ..physics import sustainability as physics
        from ..solvers import EconomicsModel, SustainabilityModel
        from ..solvers.sustainability import in_datacenter
        from ..systems.fleet import DeviceGroup
        from ..units import Quantity as Q
        from ..zoo.registry import default_zoo

        for name, value, allowed in (("objective", objective, OBJECTIVES),
                                     ("cost_basis", cost_basis, COST_BASES),
                                     ("mode", mode, MODES)):
            if not isinstance(value, str) or value not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, got "
                                 f"{show(value)}", name=name, value=value)
        work = check_quantity(_plain_number(tokens), "token", "tokens")
        n = check_count(devices, "devices")
        zoo = default_zoo()
        chips = [resolve_entry(h, "Hardware", "hardware") for h in
                 (hardware if hardware is not None else _group(zoo, "Hardware.Cloud"))]
        sites = [resolve_entry(g, "Infrastructure", "grid") for g in
                 (grids if grids is not None else _group(zoo, "Infrastructure.Grids"))]
        if not chips or not sites:
            raise InputError("hardware and grids must each name at least one entry",
                             name="hardware" if not chips else "grids", value=[])
        cells = sweep([model], chips, [batch_size], [precision], efficiency,
                      is_training=mode == "training", seq_len=seq_len)
        rate = cells.throughput[0, :, 0, 0]
        fits = cells.footprint_bytes[0, :, 0, 0] / n <= \
            np.array([float(c.memory.capacity.m_as("B")) for c in chips])
        reasons: Counter[str] = Counter()
        rows: list[dict[str, Any]] = []
        sustain, economics = SustainabilityModel(), EconomicsModel()
        intensity = np.array([float(g.carbon_intensity.m_as("gCO2e/kWh")) for g in sites])
        grid_pue = np.array([_pue(g) for g in sites])
        for j, chip in enumerate(chips):
            if not cells.supported[j, 0]:
                reasons[UNSUPPORTED] += len(sites)
                continue
            if not fits[j]:
                reasons[NO_FIT] += len(sites)
                continue
            if getattr(chip.power, "tdp", None) is None:
                reasons[NO_POWER] += len(sites)
                continue
            days = work / (n * float(rate[j])) / DAY
            group = DeviceGroup(chip, n)
            rental = economics.solve(group, days).rental_cost if cost_basis == "rental" else None
            if cost_basis == "rental" and rental is None:
                reasons[NO_PRICE] += len(sites)
                continue
            # IT energy does not depend on the grid: one SustainabilityModel call, then
            # E_IT x PUE x intensity for every grid at once (the same physics functions).
            e_it = float(sustain.solve(group, days, datacenter=sites[0]).it_energy.m_as("kWh"))
            pue = grid_pue if in_datacenter(group) else np.ones(len(sites))
            carbon = physics.operational_carbon(physics.facility_energy(e_it, pue),
                                                intensity) / GRAMS_PER_TONNE
            for k, site in enumerate(sites):
                if cost_basis == "tco":
                    cost = economics.solve(group, days, grid=site).tco
                    if cost is None:
                        reasons[NO_PRICE] += 1
                        continue
                else:
                    cost = rental
                rows.append({"hardware": chip.name, "hardware_path": chip.path,
                             "grid": site.name, "grid_path": site.path, "duration_days": days,
                             "carbon_tCO2e": float(carbon[k]),
                             "cost_USD": float(cost.m_as("USD"))})
        evaluated = len(chips) * len(sites)
        infeasible = {k: reasons[k] for k in (UNSUPPORTED, NO_FIT, NO_POWER, NO_PRICE) if reasons[k]}
        trace = [f"{number(work)} {mode} tokens on {n} devices: {evaluated} (accelerator, grid) "
                 f"candidates, {len(rows)} priced"
                 + ("; ruled out: " + ", ".join(f"{c} {k}" for k, c in infeasible.items())
                    if infeasible else "")]
        common = dict(objective=objective, cost_basis=cost_basis, evaluated=evaluated,
                      infeasible=infeasible)
        if not rows:
            trace.append("No candidate can run and be priced: add accelerators with a "
                         f"{'rental' if cost_basis == 'rental' else 'purchase'} price in the "
                         "Zoo, more devices or a lower precision")
            return PlacementResult(feasible=False, best=None, best_carbon=None,
                                   best_cost=None, carbon=None, cost=None, duration=None,
                                   front=(), constraint_trace=tuple(trace), **common)
        table = np.array([[r["carbon_tCO2e"], r["cost_USD"]] for r in rows])
        greenest = rows[int(np.lexsort((table[:, 1], table[:, 0]))[0])]
        cheapest = rows[int(np.lexsort((table[:, 0], table[:, 1]))[0])]
        front = tuple(rows[i] for i in pareto_front(table))
        best = greenest if objective == "carbon" else cheapest
        for label, row in (("Least carbon", greenest), ("Least cost", cheapest)):
            trace.append(f"{label}: {row['hardware']} at {row['grid']} -> "
                         f"{number(row['duration_days'])} days, "
                         f"{number(row['carbon_tCO2e'])} tCO2e, {number(row['cost_USD'])} USD "
                         f"({cost_basis})")
        trace.append(f"Front (carbon vs cost): {len(front)} candidates; carbon is operational "
                     "(SustainabilityModel), embodied carbon not counted; the electricity price "
                     "is the Zoo's one default for every grid")
        return PlacementResult(
            feasible=True, best=best, best_carbon=greenest, best_cost=cheapest,
            carbon=Q(best["carbon_tCO2e"], "tCO2e"), cost=Q(best["cost_USD"], "USD"),
            duration=Q(best["duration_days"], "day"), front=front,
            constraint_trace=tuple(trace), **common)


def _group(zoo: Any, path: str) -> list[Any]:
    """Every entry of the Zoo group ``path`` (e.g. "Hardware.Cloud")."""
    return [zoo.resolve(f"{path}.{key}") for key in zoo.resolve(path).keys()]


def _plain_number(value: Any) -> Any:
    """A count written as text ("1e12") as a float; anything else unchanged."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _pue(grid: Any) -> float:
    """The PUE SustainabilityModel applies at ``grid`` to data-center hardware: the grid's
    own, else the Zoo's industry average (``zoo_defaults.PUE``)."""
    from ..solvers import zoo_defaults

    return float(grid.pue) if grid.pue is not None else \
        float(zoo_defaults.number(zoo_defaults.PUE))
