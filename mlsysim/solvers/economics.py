"""Total cost of ownership of a fleet for a period, and what renting it would cost."""

from __future__ import annotations

from typing import Any

from ..engine.checks import check_count, check_fraction, check_quantity, check_share
from ..formatting import number, stated
from ..physics import economics
from ..systems.fleet import as_fleet
from . import zoo_defaults
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult
from .sustainability import DAY, JOULES_PER_KWH, YEAR_DAYS, SustainabilityModel
from .sustainability import energy as energy_text

HOUR = 3600.0
HOURS_PER_DAY = 24


class EconomicsResult(SolverResult):
    """Total cost of owning a fleet for a period, and of renting it instead (USD)."""

    solver = "EconomicsModel"

    capex: Quantity | None = Field(description="Purchase price of the accelerators (USD); None "
                                                "without a sourced price.")
    capex_amortized: Quantity | None = Field(description="The period's share of capex, "
                                                         "straight-line over the amortization "
                                                         "years (USD).")
    opex_energy: Quantity = Field(description="Energy at the meter x electricity price (USD).")
    maintenance: Quantity | None = Field(description="capex x maintenance share per year x years "
                                                     "(USD); None without a sourced share.")
    egress: Quantity = Field(description="Internet egress cost (USD); 0 when none is given.")
    tco: Quantity | None = Field(description="capex_amortized + opex_energy + maintenance + "
                                             "egress (USD); None without capex.")
    rental_cost: Quantity | None = Field(description="Renting the same accelerators for the "
                                                     "period (USD); None without a sourced "
                                                     "hourly price.")
    energy: Quantity = Field(description="Energy at the meter, from SustainabilityModel (MWh).")


class EconomicsModel(ForwardModel):
    """Capex amortization, energy opex and maintenance (TCO), against renting the same chips."""

    name = "EconomicsModel"

    def solve(self, fleet: Any, duration_days: float, kwh_price: Any = None, grid: Any = None,
              mfu: float = 1.0, amortization_years: float = 3.0, *, unit_price: Any = None,
              maintenance_fraction: float | None = None, rental_price: Any = None,
              egress: Any = None, pue: float | None = None, devices: int = 1) -> EconomicsResult:
        """TCO of owning ``fleet`` for ``duration_days``, and the cloud-rental alternative::

            TCO    = capex x T / amortization_years + E_total x kwh_price
                     + capex x maintenance share x T + egress
            rental = accelerators x hours x hourly price

        Capex counts the accelerators' purchase price only (servers, network and building are
        not included, and the trace says so). Prices and shares the caller does not give come
        from the Zoo; a missing one is reported, never guessed.

        Args:
            fleet: A cluster, node, ``Fleet`` or hardware entry (then ``devices`` of them).
            duration_days: The period T, in days or a Quantity.
            kwh_price: Electricity price (USD/kWh); None takes the Zoo's default.
            grid: An ``Infrastructure.Grids`` entry for the energy (PUE), as in
                SustainabilityModel.
            mfu: Busy share the power draw scales with, in (0, 1].
            amortization_years: Straight-line depreciation period of the capex.
            unit_price: Purchase price per accelerator; None takes
                ``Infrastructure.PurchasePrices.<chip>``.
            maintenance_fraction: Share of capex per year, in [0, 1]; None takes the Zoo's.
            rental_price: Hourly price per accelerator; None takes
                ``Infrastructure.RentalPrices.<chip>``.
            egress: Data sent to the internet (bytes, or e.g. "10 TB").
            pue: Facility PUE, passed to SustainabilityModel.
            devices: How many stand-alone devices, when ``fleet`` is a hardware entry.

        Returns:
            EconomicsResult: capex, its amortized share, energy and maintenance cost, egress,
            TCO, rental cost (None where a price is missing) and the constraint trace.
        """
        from ..units import Quantity as Q

        group = as_fleet(fleet, check_count(devices, "devices"))
        days = check_quantity(duration_days, "day", "duration_days")
        years = days / YEAR_DAYS
        amortization = check_quantity(amortization_years, "year", "amortization_years")
        check_fraction(mfu, "mfu")
        if maintenance_fraction is not None:
            maintenance_fraction = check_share(maintenance_fraction, "maintenance_fraction",
                                               "a share of capex per year")
        chip = group.accelerator
        units = group.total_accelerators
        trace: list[str] = []

        energy = SustainabilityModel().solve(group, days, datacenter=grid, mfu=mfu, pue=pue)
        kwh = float(energy.total_energy.m_as("kWh"))
        price_kwh, note = zoo_defaults.given_or_zoo(kwh_price, "USD/kWh", "kwh_price",
                                                    zoo_defaults.ELECTRICITY_PRICE,
                                                    allow_zero=True)
        energy_usd = float(economics.energy_cost(kwh, price_kwh))
        trace.append(f"Energy {energy_text(kwh * JOULES_PER_KWH)} at the meter x {note} = {number(energy_usd)} USD")

        price = self._unit_price(unit_price, chip, trace)
        capex_usd = amortized_usd = maintenance_usd = None
        if price is not None:
            capex_usd = float(economics.capex(price, units))
            amortized_usd = float(economics.amortized_capex(capex_usd, years, amortization))
            trace.append(f"Capex {units} x {stated(price)} USD = {number(capex_usd)} USD "
                         "(accelerators only: servers, network and building not included); "
                         f"{number(amortized_usd)} USD of it over {number(days)} days of a "
                         f"{stated(amortization)}-year amortization")
            maintenance_usd = self._maintenance(maintenance_fraction, capex_usd, years, trace)

        egress_usd = self._egress(egress, trace)
        tco_usd = None
        if amortized_usd is not None:
            tco_usd = float(economics.tco(amortized_usd, energy_usd, maintenance_usd or 0.0)) \
                + egress_usd
            trace.append(f"TCO {number(tco_usd)} USD for the period")
        else:
            trace.append("TCO not computed: no purchase price (capex) for "
                         f"{chip.path}; pass unit_price='30000 USD'")

        rental_usd = self._rental(rental_price, chip, units, days, trace)
        def usd(amount: float | None) -> Any:
            return None if amount is None else Q(amount, "USD")

        return EconomicsResult(
            capex=usd(capex_usd), capex_amortized=usd(amortized_usd),
            opex_energy=usd(energy_usd), maintenance=usd(maintenance_usd),
            egress=usd(egress_usd), tco=usd(tco_usd), rental_cost=usd(rental_usd),
            energy=energy.total_energy, constraint_trace=tuple(trace))

    @staticmethod
    def _unit_price(unit_price: Any, chip: Any, trace: list[str]) -> float | None:
        price, note = zoo_defaults.given_or_zoo(
            unit_price, "USD", "unit_price",
            zoo_defaults.per_hardware_path(zoo_defaults.PURCHASE_PRICES, chip), required=False)
        trace.append(f"No purchase price: {note}" if price is None else
                     f"Purchase price {note} per accelerator")
        return price

    @staticmethod
    def _maintenance(fraction: float | None, capex_usd: float, years: float,
                     trace: list[str]) -> float | None:
        if fraction is not None:
            share, note = float(fraction), "given"
        else:
            sourced = zoo_defaults.optional_number(zoo_defaults.MAINTENANCE_FRACTION)
            if sourced is None:
                trace.append("Maintenance not included: the Zoo has no sourced "
                             f"{zoo_defaults.MAINTENANCE_FRACTION}; pass maintenance_fraction")
                return None
            share, note = float(sourced), sourced.path
        cost = float(economics.maintenance_cost(capex_usd, share, years))
        trace.append(f"Maintenance {share:.1%} of capex per year ({note}) = {number(cost)} USD")
        return cost

    @staticmethod
    def _egress(egress: Any, trace: list[str]) -> float:
        if egress is None:
            return 0.0
        gigabytes = check_quantity(egress, "GB", "egress", allow_zero=True)
        sourced = zoo_defaults.number(zoo_defaults.EGRESS_PRICE)
        cost = gigabytes * float(sourced.m_as("USD/GB"))
        trace.append(f"Egress {number(gigabytes)} GB x {zoo_defaults.cite(sourced)} = "
                     f"{number(cost)} USD")
        return cost

    @staticmethod
    def _rental(rental_price: Any, chip: Any, units: int, days: float,
                trace: list[str]) -> float | None:
        hourly, note = zoo_defaults.given_or_zoo(
            rental_price, "USD/hour", "rental_price",
            zoo_defaults.per_hardware_path(zoo_defaults.RENTAL_PRICES, chip), required=False)
        if hourly is None:
            trace.append(f"No rental alternative: {note}")
            return None
        cost = float(economics.rental_cost(units, days * DAY / HOUR, hourly))
        trace.append(f"Renting instead: {units} accelerators x {number(days * HOURS_PER_DAY)} h "
                     f"x {note} per accelerator-hour = {number(cost)} USD")
        return cost
