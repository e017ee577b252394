"""The macro solvers (reliability, checkpoint, sustainability, economics): hand-worked
examples, monotonicity properties, and the errors bad input gets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

import mlsysim
from mlsysim.errors import InputError
from mlsysim.physics import checkpoint, economics, reliability, sustainability
from mlsysim.solvers import (CheckpointModel, EconomicsModel, ReliabilityModel,
                             SustainabilityModel)
from mlsysim.systems import DeviceGroup, Fleet, SystemNode
from mlsysim.units import Quantity as Q


def _node(power=None, per_node=8):
    data = {"name": "Test node", "vendor": "test", "accelerator": "Hardware.Cloud.H100",
            "accelerators_per_node": per_node}
    if power:
        data["power"] = power
    return SystemNode.model_validate(data)


# -- physics: hand-worked -------------------------------------------------------------
def test_reliability_formulas_hand_worked():
    # 1,000 h per GPU, 8 per node, 100 nodes: node 125 h, fleet 1.25 h.
    assert reliability.series_mtbf(reliability.series_mtbf(1000.0, 8), 100) == 1.25
    assert reliability.combined_mtbf(100.0, 100.0) == 50.0
    # 10 h job, 10 h MTBF: P = 1 - e^-1 = 0.6321.
    assert reliability.failure_probability(10.0, 10.0) == pytest.approx(0.632120558)
    # delta = 50 s, M = 10,000 s: tau = sqrt(2 * 50 * 10,000) = 1,000 s.
    assert reliability.young_daly_interval(50.0, 10_000.0) == pytest.approx(1000.0)
    # waste = 50/1000 + (500 + 100)/10,000 = 0.05 + 0.06 = 0.11; goodput 0.89.
    assert reliability.wasted_fraction(1000.0, 50.0, 100.0, 10_000.0) == pytest.approx(0.11)
    assert reliability.goodput(1000.0, 50.0, 100.0, 10_000.0) == pytest.approx(0.89)
    # At the optimum and R = 0 the waste is sqrt(2 delta / M) = sqrt(0.01) = 0.1.
    assert reliability.wasted_fraction(1000.0, 50.0, 0.0, 10_000.0) == pytest.approx(0.1)
    assert reliability.goodput(10.0, 50.0, 0.0, 10.0) == 0.0  # never negative


def test_checkpoint_sustainability_economics_formulas_hand_worked():
    assert checkpoint.checkpoint_size(8e9, 14) == 112e9
    assert checkpoint.write_time(112e9, 2e9) == 56.0
    # 10 kW for 24 h at 50 % busy = 120 kWh; PUE 1.5 -> 180 kWh; at 400 g/kWh -> 72 kg.
    e_it = sustainability.it_energy(10.0, 24.0, 0.5)
    assert e_it == 120.0
    assert sustainability.facility_energy(e_it, 1.5) == 180.0
    assert sustainability.operational_carbon(180.0, 400.0) == 72_000.0
    assert sustainability.water_usage(120.0, 0.5) == 60.0
    assert sustainability.amortized(600.0, 1.0, 6.0) == 100.0
    # 8 chips at 25,000 USD = 200,000; 1 year of 4 = 50,000; 10 %/year maintenance = 20,000.
    capex = economics.capex(25_000.0, 8)
    assert capex == 200_000.0
    assert economics.amortized_capex(capex, 1.0, 4.0) == 50_000.0
    assert economics.maintenance_cost(capex, 0.1, 1.0) == 20_000.0
    assert economics.energy_cost(1000.0, 0.1) == 100.0
    assert economics.rental_cost(8, 100.0, 2.0) == 1600.0
    assert economics.tco(50_000.0, 100.0, 20_000.0) == 70_100.0


def test_formulas_keep_dimensions():
    t = reliability.young_daly_interval(Q(60, "s"), Q(2, "hour"))
    assert t.dimensionality == Q(1, "s").dimensionality
    assert t.m_as("s") == pytest.approx(math.sqrt(2 * 60 * 7200))
    assert reliability.failure_probability(Q(1, "hour"), Q(60, "minute")).m_as("") == \
        pytest.approx(1 - math.exp(-1))
    assert checkpoint.write_time(Q(1, "TB"), Q(2, "TB/s")).m_as("s") == 0.5
    energy = sustainability.it_energy(Q(700, "W"), Q(1, "day"))
    assert energy.m_as("kWh") == pytest.approx(16.8)
    assert sustainability.operational_carbon(energy, Q(100, "gCO2e/kWh")).m_as("kgCO2e") == \
        pytest.approx(1.68)
    assert sustainability.water_usage(energy, Q(0.5, "L/kWh")).m_as("L") == pytest.approx(8.4)
    assert economics.energy_cost(energy, Q(0.1, "USD/kWh")).m_as("USD") == pytest.approx(1.68)
    assert economics.rental_cost(8, Q(1, "day"), Q(2, "USD/hour")).m_as("USD") == 384


# -- solvers: hand-worked, with the Zoo's defaults -----------------------------------------
def test_reliability_model_reproduces_llama3_interruption_rate():
    # 16,384 H100 at the Zoo's 50,677 GPU-hours per interruption: 3.093 h between them,
    # the very rate Meta reported (54 days x 24 h / 419 interruptions).
    fleet = Fleet(node=_node(), count=2048)
    result = ReliabilityModel().solve(fleet, job_duration_hours=24.0, checkpoint_time_s=60.0,
                                      avg_recovery_time_s=300.0)
    assert result.fleet_mtbf.m_as("hour") == pytest.approx(50677 / 16384, rel=1e-9)
    assert result.fleet_mtbf.m_as("hour") == pytest.approx(
        float(mlsysim.Systems.Reliability.Llama3_MeanTimeBetweenUnexpectedInterruptions.m_as(
            "hour")), rel=1e-3)
    m = 50677 / 16384 * 3600
    tau = math.sqrt(2 * 60 * m)
    assert result.optimal_checkpoint_interval.m_as("s") == pytest.approx(tau)
    assert result.goodput == pytest.approx(1 - 60 / tau - (tau / 2 + 300) / m)
    assert result.expected_failures == pytest.approx(24 * 3600 / m)
    assert "Llama3_GpuHoursPerUnexpectedInterruption" in result.constraint_trace[0]


def test_reliability_given_mtbf_and_interval():
    result = ReliabilityModel().solve(Fleet(node=_node(per_node=4), count=10), 100.0,
                                      checkpoint_time_s=Q(1, "minute"), accelerator_mtbf=4000.0,
                                      node_mtbf=Q(1000, "hour"), checkpoint_interval=Q(1, "hour"))
    # node: 1 / (4/4000 + 1/1000) = 500 h; fleet 50 h; interval 1 h as given.
    assert result.node_mtbf.m_as("hour") == pytest.approx(500.0)
    assert result.fleet_mtbf.m_as("hour") == pytest.approx(50.0)
    assert result.checkpoint_interval.m_as("minute") == pytest.approx(60.0)
    assert result.failure_probability == pytest.approx(1 - math.exp(-2))


def test_checkpoint_model_hand_worked():
    result = CheckpointModel().solve("Llama3_8B", "bf16", storage_bandwidth="10 GB/s")
    params = mlsysim.Models.Language.Llama3_8B.parameters.m_as("param")
    assert result.checkpoint_size.m_as("B") == pytest.approx(float(params) * 14)
    assert result.write_time.m_as("s") == pytest.approx(float(params) * 14 / 10e9)
    default = CheckpointModel().solve("Llama3_8B")
    assert "Llama3_CheckpointStorageSustained" in default.constraint_trace[1]
    assert default.write_time < result.write_time  # 2 TB/s beats 10 GB/s


def test_sustainability_model_hand_worked_node_power():
    # 4 nodes x 10 kW for 10 days, half busy: 4,800 kWh IT; PUE 1.2 -> 5,760 kWh; Norway grid.
    fleet = Fleet(node=_node(power="10 kW"), count=4)
    grid = mlsysim.Infrastructure.Grids.Norway
    result = SustainabilityModel().solve(fleet, 10, datacenter=grid, mfu=0.5, pue=1.2,
                                         wue="0.5 L/kWh")
    assert result.it_energy.m_as("kWh") == pytest.approx(4800.0)
    assert result.total_energy.m_as("kWh") == pytest.approx(5760.0)
    intensity = float(grid.carbon_intensity.m_as("gCO2e/kWh"))
    assert result.carbon_footprint.m_as("gCO2e") == pytest.approx(5760.0 * intensity)
    assert result.water_usage.m_as("L") == pytest.approx(2400.0)


def test_sustainability_defaults_come_from_the_zoo():
    result = SustainabilityModel().solve(Fleet(node=_node(), count=1), 1)
    # No node power: 8 x 700 W TDP; US average grid with its own PUE and WUE.
    grid = mlsysim.Infrastructure.Grids.US_Avg
    assert result.it_power.m_as("W") == pytest.approx(8 * 700)
    assert result.pue == pytest.approx(grid.pue)
    trace = "\n".join(result.constraint_trace)
    assert "accelerators only" in trace
    assert "Grids.US_Avg.pue" in trace and "Grids.US_Avg.wue" in trace


def test_grid_pue_and_wue_hand_worked():
    # 1 node x 10 kW for 10 days, fully busy: 2,400 kWh IT. Sweden: PUE 1.09, WUE 0.02 L/kWh
    # (AWS eu-north-1, 2025) -> 2,616 kWh at the meter, 48 L of water.
    grid = mlsysim.Infrastructure.Grids.Sweden
    assert (grid.pue, grid.wue.m_as("L/kWh")) == (1.09, 0.02)
    result = SustainabilityModel().solve(Fleet(node=_node(power="10 kW"), count=1), 10,
                                         datacenter=grid)
    assert result.total_energy.m_as("kWh") == pytest.approx(2616.0)
    assert result.water_usage.m_as("L") == pytest.approx(48.0)


def test_grid_without_pue_or_wue_falls_back_to_the_industry_average():
    grid = mlsysim.Infrastructure.Grids.Sweden.model_copy(update={"pue": None, "wue": None})
    result = SustainabilityModel().solve(Fleet(node=_node(), count=1), 1, datacenter=grid)
    industry = mlsysim.ReferenceStats.Datacenter
    assert result.pue == pytest.approx(float(industry.IndustryAveragePue2023))
    trace = "\n".join(result.constraint_trace)
    assert "IndustryAveragePue2023" in trace and "IndustryAverageWue" in trace


def test_edge_devices_pay_no_facility_overhead():
    result = SustainabilityModel().solve("JetsonOrinNX", 365, devices=10)
    assert result.pue == 1.0
    assert result.it_energy.m_as("kWh") == pytest.approx(10 * 25 * 24 * 365 / 1000)
    assert result.water_usage.m_as("L") == 0.0


def test_economics_model_hand_worked():
    fleet = Fleet(node=_node(power="10 kW"), count=1)
    result = EconomicsModel().solve(fleet, 365.25, kwh_price=0.1, amortization_years=4,
                                    unit_price=25_000, maintenance_fraction=0.1, pue=1.5,
                                    rental_price="2 USD/hour", egress="100 GB")
    kwh = 10 * 24 * 365.25 * 1.5
    egress = 100 * float(mlsysim.Infrastructure.Pricing.AwsInternetEgress.m_as("USD/GB"))
    assert result.capex.m_as("USD") == 200_000
    assert result.capex_amortized.m_as("USD") == pytest.approx(50_000)
    assert result.opex_energy.m_as("USD") == pytest.approx(kwh * 0.1)
    assert result.maintenance.m_as("USD") == pytest.approx(20_000)
    assert result.tco.m_as("USD") == pytest.approx(50_000 + kwh * 0.1 + 20_000 + egress)
    assert result.rental_cost.m_as("USD") == pytest.approx(8 * 24 * 365.25 * 2)


def test_economics_without_a_price_says_what_is_missing():
    result = EconomicsModel().solve(DeviceGroup("JetsonOrinNX", 2), 30)
    if result.capex is None:
        assert result.tco is None
        assert any("pass unit_price" in line for line in result.constraint_trace)
    assert result.opex_energy.m_as("USD") > 0


# -- properties -------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(nodes=st.integers(1, 4096), extra=st.integers(1, 4096),
       hours=st.floats(1, 10_000), delta=st.floats(1, 600))
def test_more_nodes_lower_fleet_mtbf_and_goodput(nodes, extra, hours, delta):
    small = ReliabilityModel().solve(Fleet(node=_node(), count=nodes), hours, delta)
    large = ReliabilityModel().solve(Fleet(node=_node(), count=nodes + extra), hours, delta)
    assert large.fleet_mtbf < small.fleet_mtbf
    assert large.failure_probability >= small.failure_probability
    assert large.goodput <= small.goodput
    assert 0 <= large.goodput <= 1


@settings(max_examples=40, deadline=None)
@given(clean=st.sampled_from(["Norway", "Sweden", "France", "Quebec"]),
       dirty=st.sampled_from(["Poland", "US_Avg", "UK"]), days=st.floats(0.1, 3650),
       mfu=st.floats(0.01, 1.0))
def test_dirtier_grid_more_carbon(clean, dirty, days, mfu):
    fleet = Fleet(node=_node(), count=2)
    # Same PUE for both, so only the grid's carbon intensity differs.
    low = SustainabilityModel().solve(fleet, days, datacenter=clean, mfu=mfu, pue=1.3)
    high = SustainabilityModel().solve(fleet, days, datacenter=dirty, mfu=mfu, pue=1.3)
    assert high.carbon_footprint > low.carbon_footprint
    assert high.total_energy == low.total_energy


@settings(max_examples=40, deadline=None)
@given(days=st.floats(1, 3650), more=st.floats(1, 3650), price=st.floats(1_000, 100_000))
def test_longer_period_costs_more(days, more, price):
    fleet = Fleet(node=_node(), count=1)
    short = EconomicsModel().solve(fleet, days, unit_price=price, maintenance_fraction=0.05)
    long = EconomicsModel().solve(fleet, days + more, unit_price=price, maintenance_fraction=0.05)
    assert long.tco > short.tco
    assert long.capex == short.capex


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: ReliabilityModel().solve("Research_1024_H100", -5), "job_duration_hours must be"),
    (lambda: ReliabilityModel().solve("Research_1024_H100", 10, checkpoint_time_s="2 GB"),
     "checkpoint_time_s must be a quantity convertible to s"),
    (lambda: SustainabilityModel().solve("Research_1024_H100", 10, mfu=1.5), "mfu must be in"),
    (lambda: SustainabilityModel().solve("Research_1024_H100", 10, pue=0.8), "pue must be >= 1"),
    (lambda: SustainabilityModel().solve("Research_1024_H100", 10, datacenter="Atlantis"),
     "datacenter"),
    (lambda: EconomicsModel().solve("Research_1024_H100", 10, maintenance_fraction=2),
     "maintenance_fraction must be"),
    (lambda: EconomicsModel().solve("Research_1024_H100", 10, kwh_price="3 USD/GB"),
     "kwh_price must be a quantity convertible to USD/kWh"),
    (lambda: Fleet(node=_node(), count=0), "Fleet count must be"),
    (lambda: DeviceGroup("H100", 0), "device count must be"),
])
def test_bad_input_names_the_input(call, message):
    with pytest.raises((InputError, mlsysim.errors.MlsysimError)) as info:
        call()
    assert message in str(info.value)


def test_component_mtbfs_combine_in_series():
    # Llama 3's per-cause GPU-hours per interruption (GPU 148, HBM3 72, network 35, NIC 7
    # interruptions) combine to the GPU-hours per interruption of those 262 together.
    reliability_data = mlsysim.Systems.Reliability
    parts = [reliability_data[f"Llama3_GpuHoursPer{cause}Interruption"].m_as("hour")
             for cause in ("FaultyGpu", "Hbm3", "NetworkSwitchCable", "Nic")]
    gpu_hours = 16384 * 54 * 24
    assert reliability.combined_mtbf(*parts) == pytest.approx(gpu_hours / 262, rel=1e-5)
    # All unexpected causes together fail more often than these four.
    total = reliability_data.Llama3_GpuHoursPerUnexpectedInterruption.m_as("hour")
    assert total < reliability.combined_mtbf(*parts)


@pytest.mark.parametrize("quantity, shown", [
    (Q(0.0005563, "MWh"), "556.3 Wh"),            # a microcontroller's year
    (Q(0.25, "MWh"), "250 kWh"),
    (Q(34096, "MWh"), "34,096 MWh"),               # a training fleet's run stays in MWh
    (Q(0.0002044, "tCO2e"), "204.4 gCO2e"),
    (Q(12527, "tCO2e"), "12,527 tCO2e"),
])
def test_energy_and_carbon_are_shown_in_a_readable_unit(quantity, shown):
    from mlsysim.formatting import quantity as written

    assert written(quantity) == shown


def test_sustainability_uses_idle_power_where_the_chip_lists_it():
    from mlsysim.solvers import SustainabilityModel

    # 10 Jetson AGX Orin: 15 W lowest power mode, 60 W max each; half busy for 30 days:
    # (150 W + (600 W - 150 W) x 0.5) x 720 h = 375 W x 720 h = 270 kWh (Fan et al.'s
    # linear model, as Engine.solve uses), not 600 W x 0.5 x 720 h = 216 kWh.
    edge = SustainabilityModel().solve("Hardware.Edge.JetsonAGXOrin", duration_days=30,
                                       devices=10, mfu=0.5)
    assert edge.it_energy.m_as("kWh") == pytest.approx(270)
    assert "150 W idle + (600 W - 150 W) x 0.5 busy" in edge.constraint_trace[1]
    # Without an idle figure the busy share scales the maximum power, and the trace says that
    # leaves idle draw out (a lower bound below full load); flat out it is the maximum.
    # (A100 SXM4: 400 W TDP, neither power.idle nor power.min in the Zoo.)
    a100 = SustainabilityModel().solve("Hardware.Cloud.A100", duration_days=30, devices=8, mfu=0.4)
    assert a100.it_energy.m_as("kWh") == pytest.approx(8 * 0.4 * 720 * 0.4)
    assert "idle draw is left out: a lower bound below full load" in a100.constraint_trace[1]
    full = SustainabilityModel().solve("Hardware.Cloud.A100", duration_days=30, devices=8)
    assert "lower bound" not in full.constraint_trace[1]
