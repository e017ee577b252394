"""A measured idle power (power.idle) in the energy models (issue 18).

Engine.solve and SustainabilityModel use P = P_idle + (P_max - P_idle) x u (Fan, Weber and
Barroso 2007). P_idle is the chip's measured idle draw (power.idle) where the Zoo lists it,
else its lowest power mode (power.min), else none (TDP x time for a pass; idle left out over a
period). The trace names the Zoo path of the idle figure used.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim import Engine, Hardware, ureg
from mlsysim.errors import MlsysimError, ZooError
from mlsysim.hardware.node import PowerSpec
from mlsysim.solvers import SustainabilityModel
from mlsysim.zoo.registry import Zoo

Q = ureg.Quantity


def with_power(chip, **power):
    """The same Zoo entry (same path) with a different power block."""
    return chip.model_copy(update={"power": PowerSpec(**{k: Q(v, "W") for k, v in power.items()})})


def test_engine_energy_with_a_measured_idle_by_hand():
    # ResNet-50 at batch 8 on H100 SXM (fp16 dense 989.5 TFLOP/s, TDP 700 W, measured idle
    # 72.5 W), at 50 % of peak and full memory efficiency:
    #   F = 8.18 GFLOP x 8 = 65.44 GFLOP; T = 65.44e9 / (0.5 x 989.5e12) = 132.27 us, compute-
    #   bound, so the busy share is the compute share, 50 %;
    #   P = 72.5 + (700 - 72.5) x 0.5 = 386.25 W;  E = 386.25 W x 132.27 us = 51.09 mJ.
    #   Without power.idle (H100 lists no power.min either) it was TDP x T = 92.59 mJ, the
    #   old upper bound.
    r = Engine.solve("ResNet50", "H100", batch_size=8, precision="fp16", efficiency=0.5,
                     memory_efficiency=1.0)
    latency = 65.44e9 / (0.5 * 989.5e12)
    assert r.bottleneck == "Compute"
    assert r.latency_s == pytest.approx(latency)
    assert r.busy_share == pytest.approx(0.5)
    assert r.energy.m_as("J") == pytest.approx(386.25 * latency)
    assert r.energy.m_as("J") < 700 * latency


def test_the_energy_trace_names_power_idle():
    r = Engine.solve("ResNet50", "H100", batch_size=8, precision="fp16", efficiency=0.5,
                     memory_efficiency=1.0)
    line = r.constraint_trace[-2]
    assert line.startswith("Energy: 72.5 W idle (measured idle) + (700 W TDP - 72.5 W) x 50% busy")
    assert line.endswith("idle draw Hardware.Cloud.H100.power.idle)")


def test_the_idle_figures_cite_a_measurement():
    for chip, watts in ((Hardware.Cloud.H100, 72.5), (Hardware.Cloud.L40S, 35.6)):
        assert chip.power.idle.m_as("W") == watts
        record = chip.metadata.provenance_for("power.idle")
        assert record.kind == "literature" and record.verified is not None, chip.path
        assert record.url.startswith("https://arxiv.org/abs/"), record.url


def test_power_idle_is_preferred_to_power_min():
    # Jetson AGX Orin lists power.min 15 W (and TDP 60 W). Given a measured idle of 10 W as
    # well, ResNet-50 int8 batch 8 at 50 %: T = 65.44e9 / 68.75e12 = 951.85 us, 50 % busy,
    #   P = 10 + (60 - 10) x 0.5 = 35 W (not 15 + 45 x 0.5 = 37.5 W); E = 35 W x T = 33.32 mJ.
    orin = with_power(Hardware.Edge.JetsonAGXOrin, tdp=60, min=15, idle=10)
    r = Engine.solve("ResNet50", orin, batch_size=8, precision="int8", efficiency=0.5,
                     memory_efficiency=1.0)
    assert r.energy.m_as("J") == pytest.approx(35.0 * 65.44e9 / 68.75e12)
    assert "10 W idle (measured idle)" in r.constraint_trace[-2]
    assert "Hardware.Edge.JetsonAGXOrin.power.idle" in r.constraint_trace[-2]


def test_chips_without_power_idle_are_unchanged():
    # power.min only (Jetson AGX Orin): the lowest power mode stays the idle draw, and the
    # trace now names it by path.
    r = Engine.solve("ResNet50", "JetsonAGXOrin", batch_size=8, precision="int8",
                     efficiency=0.5, memory_efficiency=1.0)
    assert r.energy.m_as("J") == pytest.approx(37.5 * 65.44e9 / 68.75e12)
    assert "idle draw Hardware.Edge.JetsonAGXOrin.power.min" in r.constraint_trace[-2]
    # Neither figure: TDP x time, an upper bound. The H100 entry with its power.idle taken
    # away behaves as every chip without one did before.
    bare = with_power(Hardware.Cloud.H100, tdp=700)
    r = Engine.solve("Llama3_8B", bare, batch_size=8)
    assert r.energy.m_as("J") == pytest.approx(700 * r.latency_s)
    assert "an upper bound: the Zoo lists no idle or minimum power" in r.constraint_trace[-2]


@settings(max_examples=30, deadline=None)
@given(chip=st.sampled_from(["H100", "L40S", "A100", "JetsonAGXOrin", "GH200", "T4"]),
       batch=st.integers(1, 256), eta=st.floats(0.01, 1.0), eta_mem=st.floats(0.01, 1.0))
def test_pass_energy_follows_the_preferred_idle_figure(chip, batch, eta, eta_mem):
    # Invariant: E = (P_idle + (TDP - P_idle) u) T with P_idle = power.idle, else power.min,
    # else TDP; so idle x T <= E <= TDP x T, and E grows with the busy share.
    entry = getattr(Hardware.Cloud, chip, None) or getattr(Hardware.Edge, chip)
    precision = "int8" if chip.startswith("Jetson") else "fp16"
    r = Engine.solve("ResNet50", entry, batch_size=batch, precision=precision, efficiency=eta,
                     memory_efficiency=eta_mem)
    power = entry.power
    floor = power.idle if power.idle is not None else power.min
    idle = power.tdp.m_as("W") if floor is None else floor.m_as("W")
    tdp = power.tdp.m_as("W")
    assert r.energy_j == pytest.approx((idle + (tdp - idle) * r.busy_share) * r.latency_s)
    assert idle * r.latency_s <= r.energy_j * (1 + 1e-12)
    assert r.energy_j <= tdp * r.latency_s * (1 + 1e-12)


def test_sustainability_with_a_measured_idle_by_hand():
    # 10 L40S (350 W TDP, measured idle 35.6 W) half busy for 30 days:
    #   (356 W + (3500 W - 356 W) x 0.5) x 720 h = (356 + 1572) W x 720 h = 1388.16 kWh,
    #   where leaving idle out would give 3500 W x 0.5 x 720 h = 1260 kWh.
    r = SustainabilityModel().solve("Hardware.Cloud.L40S", duration_days=30, devices=10,
                                    mfu=0.5)
    assert r.it_energy.m_as("kWh") == pytest.approx(1388.16)
    assert "idle 10 x Hardware.Cloud.L40S.power.idle (35.6 W, measured idle) = 356 W" in \
        r.constraint_trace[0]
    assert "356 W idle + (3.5 kW - 356 W) x 0.5 busy" in r.constraint_trace[1]
    assert "lower bound" not in r.constraint_trace[1]


def test_sustainability_prefers_power_idle_and_keeps_power_min_otherwise():
    # 4 Orin with idle 10 W and min 15 W, fully idle (mfu -> tiny) for one day: the idle figure
    # sets the floor, 4 x 10 W x 24 h = 0.96 kWh at u = 0 (here u = 1e-9, negligible).
    orin = with_power(Hardware.Edge.JetsonAGXOrin, tdp=60, min=15, idle=10)
    r = SustainabilityModel().solve(orin, duration_days=1, devices=4, mfu=1e-9)
    assert r.it_energy.m_as("kWh") == pytest.approx(0.96, rel=1e-6)
    assert "JetsonAGXOrin.power.idle" in r.constraint_trace[0]
    # The shipped Orin (power.min only) is charged from its lowest power mode, as before:
    # 4 x 15 W x 24 h = 1.44 kWh.
    r = SustainabilityModel().solve("Hardware.Edge.JetsonAGXOrin", duration_days=1, devices=4,
                                    mfu=1e-9)
    assert r.it_energy.m_as("kWh") == pytest.approx(1.44, rel=1e-6)
    assert "JetsonAGXOrin.power.min (15 W, lowest power mode)" in r.constraint_trace[0]


def test_an_idle_above_the_tdp_is_refused_by_name(zoo_data):
    h100 = zoo_data / "Hardware" / "Cloud" / "H100.yaml"
    text = h100.read_text(encoding="utf-8")
    assert "  idle: 72.5 W\n" in text
    h100.write_text(text.replace("  idle: 72.5 W\n", "  idle: 750 W\n"), encoding="utf-8")
    with pytest.raises(ZooError) as info:
        Zoo(zoo_data).namespace("Hardware")["Cloud"].records()
    message = str(info.value)
    assert isinstance(info.value, MlsysimError)
    assert "\n" not in message
    for needle in ("Hardware.Cloud.H100", "power.idle (750 W)", "power.tdp (700 W)",
                   "check both against their sources"):
        assert needle in message, message


def test_power_spec_accepts_idle_at_or_below_the_tdp():
    assert PowerSpec(tdp=Q(700, "W"), idle=Q(700, "W")).idle.m_as("W") == 700
    assert PowerSpec(idle=Q(72.5, "W")).tdp is None
    assert math.isclose(PowerSpec(tdp=Q(0.35, "kW"), idle=Q(35.6, "W")).idle.m_as("W"), 35.6)
