"""Energy, carbon and water of running a fleet for a period."""

from __future__ import annotations

from typing import Any

from ..engine.checks import check_count, check_fraction, check_quantity, resolve_entry, show
from ..formatting import number, quantity, si, stated
from ..physics import roofline, sustainability
from ..systems.fleet import DeviceGroup, as_fleet, idle_power, it_power
from . import zoo_defaults
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult

DAY = 86400.0
YEAR_DAYS = 365.25
JOULES_PER_KWH = 3.6e6
#: Hardware outside this namespace runs outside a data center (phones, edge modules,
#: microcontrollers): no facility overhead (PUE 1) and no cooling water is charged.
DATACENTER_HARDWARE = "Hardware.Cloud."


def energy(joules: float) -> str:
    """Energy in the unit of the display ladder that fits it (MWh, kWh or Wh)."""
    from ..units import Quantity as Q

    return quantity(Q(joules / JOULES_PER_KWH, "kWh").to("MWh"))


def in_datacenter(group: Any) -> bool:
    """Whether the fleet sits in a data center (so PUE and WUE apply)."""
    return not isinstance(group, DeviceGroup) or \
        group.hardware.path.startswith(DATACENTER_HARDWARE)


class SustainabilityResult(SolverResult):
    """Energy, carbon and water of running a fleet for a period."""

    solver = "SustainabilityModel"

    it_power: Quantity = Field(description="Power drawn by the IT equipment at full load (kW).")
    it_energy: Quantity = Field(description="IT energy over the period: power x time x busy "
                                            "share (MWh).")
    total_energy: Quantity = Field(description="Energy at the meter: it_energy x pue (MWh).")
    pue: float = Field(description="Power usage effectiveness applied (facility / IT energy).")
    carbon_intensity: Quantity = Field(description="Grid carbon intensity used (gCO2e/kWh).")
    carbon_footprint: Quantity = Field(description="Operational carbon: total_energy x "
                                                   "carbon_intensity (tCO2e).")
    water_usage: Quantity | None = Field(description="Cooling water: it_energy x WUE (L); None "
                                                     "when no sourced WUE is known.")
    embodied_carbon: Quantity | None = Field(description="Manufacturing carbon of the "
                                                         "accelerators (tCO2e); None when the "
                                                         "Zoo has no figure.")
    embodied_carbon_amortized: Quantity | None = Field(description="The period's share of "
                                                                   "embodied_carbon over the "
                                                                   "service life (tCO2e).")


class SustainabilityModel(ForwardModel):
    """IT and facility energy, operational and embodied carbon, and water."""

    name = "SustainabilityModel"

    def solve(self, fleet: Any, duration_days: float, datacenter: Any = None, mfu: float = 1.0,
              *, pue: float | None = None, wue: Any = None, lifetime_years: float | None = None,
              devices: int = 1) -> SustainabilityResult:
        """Energy, carbon and water of ``fleet`` over ``duration_days``::

            E_IT     = (P_idle + (P_IT - P_idle) x mfu) x T   (where the chip lists an idle figure)
            E_IT     = P_IT x T x mfu                          (otherwise: idle draw left out)
            E_total  = E_IT x PUE
            CO2e     = E_total x carbon intensity
            water    = E_IT x WUE
            embodied share = embodied x T / service life

        P_idle is the accelerators' measured idle draw (``power.idle``) where the Zoo lists it,
        else their lowest power mode (``power.min``); the trace names which, by Zoo path. The
        linear model is Fan, Weber and Barroso (ISCA 2007), as ``Engine.solve`` uses.

        Args:
            fleet: A cluster, node, ``Fleet`` or hardware entry (then ``devices`` of them).
            duration_days: The period T, in days or a Quantity.
            datacenter: An ``Infrastructure.Grids`` entry or name for carbon intensity and,
                where listed, PUE and WUE; None takes the Zoo's US average grid.
            mfu: Busy share the power draw scales with, in (0, 1].
            pue: Facility PUE (>= 1); None takes the grid's, else the industry average.
            wue: Water per IT kWh (L/kWh); None takes the grid's or the industry's when sourced.
            lifetime_years: Service life the embodied carbon is spread over.
            devices: How many stand-alone devices, when ``fleet`` is a hardware entry.

        Returns:
            SustainabilityResult: IT power and energy, energy at the meter, PUE, carbon, water,
            embodied carbon (None when the Zoo has no figure) and the constraint trace.
        """
        from ..units import Quantity as Q

        group = as_fleet(fleet, check_count(devices, "devices"))
        seconds = check_quantity(duration_days, "day", "duration_days") * DAY
        utilization = check_fraction(mfu, "mfu")
        trace: list[str] = []
        watts, basis = it_power(group)
        counted_idle = idle_power(group)
        trace.append(f"IT power {basis}" + ("" if counted_idle is None else
                                             f"; idle {counted_idle[1]}"))
        grid = resolve_entry(datacenter if datacenter is not None else zoo_defaults.GRID,
                             "Infrastructure", "datacenter")
        hosted = in_datacenter(group)

        if pue is not None:
            facility_pue = check_quantity(pue, "dimensionless", "pue")
            if facility_pue < 1:
                from ..errors import InputError
                raise InputError(f"pue must be >= 1 (facility energy / IT energy), got "
                                 f"{show(pue)}; e.g. pue=1.2", name="pue", value=pue)
            pue_note = f"PUE {stated(facility_pue)} (given)"
        elif not hosted:
            facility_pue, pue_note = 1.0, "PUE 1 (devices outside a data center)"
        elif grid.pue is not None:
            facility_pue, pue_note = float(grid.pue), f"PUE {stated(grid.pue)} ({grid.path}.pue)"
        else:
            sourced = zoo_defaults.number(zoo_defaults.PUE)
            facility_pue, pue_note = float(sourced), f"PUE {zoo_defaults.cite(sourced)}"

        if counted_idle is not None:  # the linear power model the engine uses (Fan et al. 2007)
            idle = counted_idle[0]
            e_it = float(roofline.board_power(idle, watts, utilization)) * seconds
            how = (f"({si(idle, 'W')} idle + ({si(watts, 'W')} - {si(idle, 'W')}) x "
                   f"{stated(utilization)} busy) x {number(seconds / DAY)} days")
        else:
            e_it = float(sustainability.it_energy(watts, seconds, utilization))
            how = (f"{si(watts, 'W')} x {number(seconds / DAY)} days x {stated(utilization)} busy"
                   + ("" if utilization == 1 else
                      " (the Zoo lists no idle power here, so idle draw is left out: a lower "
                      "bound below full load)"))
        e_total = float(sustainability.facility_energy(e_it, facility_pue))
        trace.append(f"IT energy {how} = {energy(e_it)}; {pue_note} -> {energy(e_total)} at the "
                     "meter")
        intensity = float(grid.carbon_intensity.m_as("gCO2e/kWh"))
        carbon_g = float(sustainability.operational_carbon(e_total / JOULES_PER_KWH, intensity))
        trace.append(f"Carbon {energy(e_total)} x {stated(intensity)} gCO2e/kWh ({grid.path}, "
                     f"{grid.data_year}) = {quantity(Q(carbon_g, 'gCO2e').to('tCO2e'))}")

        water = self._water(wue, grid, hosted, e_it, trace)
        embodied, embodied_share = self._embodied(group, seconds, lifetime_years, trace)

        return SustainabilityResult(
            it_power=Q(watts, "W").to("kW"),
            it_energy=Q(e_it / JOULES_PER_KWH, "kWh").to("MWh"),
            total_energy=Q(e_total / JOULES_PER_KWH, "kWh").to("MWh"), pue=facility_pue,
            carbon_intensity=Q(intensity, "gCO2e/kWh"),
            carbon_footprint=Q(carbon_g, "gCO2e").to("tCO2e"), water_usage=water,
            embodied_carbon=embodied, embodied_carbon_amortized=embodied_share,
            constraint_trace=tuple(trace))

    @staticmethod
    def _water(wue: Any, grid: Any, hosted: bool, e_it: float, trace: list[str]) -> Any:
        from ..units import Quantity as Q

        if wue is not None:
            litres_per_kwh = check_quantity(wue, "L/kWh", "wue", allow_zero=True)
            note = "given"
        elif not hosted:
            trace.append("Water: none charged to devices outside a data center")
            return Q(0.0, "L")
        elif grid.wue is not None:
            litres_per_kwh, note = float(grid.wue.m_as("L/kWh")), f"{grid.path}.wue"
        else:
            sourced = zoo_defaults.optional_number(zoo_defaults.WUE)
            if sourced is None:
                trace.append(f"Water not modelled: the Zoo has no sourced WUE for {grid.path} "
                             "or the industry; pass wue='0.3 L/kWh' to include it")
                return None
            litres_per_kwh, note = float(sourced.m_as("L/kWh")), sourced.path
        litres = float(sustainability.water_usage(e_it / JOULES_PER_KWH, litres_per_kwh))
        trace.append(f"Water {stated(litres_per_kwh)} L/kWh ({note}) x IT energy = "
                     f"{number(litres)} L")
        return Q(litres, "L")

    @staticmethod
    def _embodied(group: Any, seconds: float, lifetime_years: float | None,
                  trace: list[str]) -> tuple[Any, Any]:
        from ..units import Quantity as Q

        path = zoo_defaults.per_hardware_path(zoo_defaults.EMBODIED_CARBON, group.accelerator)
        per_unit = zoo_defaults.optional_number(path)
        if per_unit is None:
            trace.append(f"Embodied carbon not modelled: the Zoo has no {path}")
            return None, None
        total_kg = float(per_unit.m_as("kgCO2e")) * group.total_accelerators
        total = Q(total_kg, "kgCO2e").to("tCO2e")
        counted = (f"Embodied carbon {quantity(total)} for {group.total_accelerators} x "
                   f"{zoo_defaults.cite(per_unit)}")
        life_years, life_note = zoo_defaults.given_or_zoo(
            lifetime_years, "year", "lifetime_years", zoo_defaults.SERVICE_LIFE, required=False)
        if life_years is None:
            trace.append(f"{counted}; not amortized ({life_note}): pass lifetime_years")
            return total, None
        share = float(sustainability.amortized(total_kg, seconds / DAY / YEAR_DAYS, life_years))
        trace.append(f"{counted}; {quantity(Q(share, 'kgCO2e').to('tCO2e'))} of it charged to "
                     "this period over a "
                     f"{life_note} life")
        return total, Q(share, "kgCO2e").to("tCO2e")
