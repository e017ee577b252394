"""Energy of a pass from utilisation and idle power (issue 18)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim import Engine, ureg
from mlsysim.physics import roofline

Q = ureg.Quantity


def test_board_power_is_linear_between_idle_and_tdp():
    # 15 W idle, 60 W at full load, 50 % busy: 15 + 45 x 0.5 = 37.5 W
    assert roofline.board_power(15.0, 60.0, 0.5) == 37.5
    assert roofline.board_power(15.0, 60.0, 1.0) == 60.0
    assert roofline.board_power(60.0, 60.0, 0.2) == 60.0  # no idle figure: TDP at any load
    power = roofline.board_power(Q(15, "W"), Q(60, "W"), 0.5)
    assert power.dimensionality == Q(1, "W").dimensionality


def test_energy_with_an_idle_floor_by_hand():
    # ResNet-50 at batch 8 on Jetson AGX Orin (int8 137.5 TOPS, TDP 60 W, lowest mode 15 W):
    #   F = 8.18 GFLOP x 8 = 65.44 GFLOP; at 50 % of peak T = 65.44e9 / 68.75e12 = 951.854 us
    #   compute-bound, so 50 % busy: P = 15 + (60 - 15) x 0.5 = 37.5 W; E = 37.5 x T = 35.69 mJ
    r = Engine.solve("ResNet50", "JetsonAGXOrin", batch_size=8, precision="int8",
                     efficiency=0.5, memory_efficiency=1.0)
    assert r.latency_s == pytest.approx(65.44e9 / 68.75e12)
    assert r.energy.m_as("J") == pytest.approx(37.5 * 65.44e9 / 68.75e12)
    assert "15 W idle (the lowest power mode) + (60 W TDP - 15 W) x 50% busy" in \
        r.constraint_trace[-2]


def test_energy_without_an_idle_figure_is_tdp_times_time_and_says_upper_bound():
    r = Engine.solve("Llama3_8B", "A100", batch_size=8)  # A100 SXM4: 400 W TDP, no idle figure
    assert r.energy.m_as("J") == pytest.approx(400 * r.latency_s)
    assert "an upper bound: the Zoo lists no idle or minimum power" in r.constraint_trace[-2]


@settings(max_examples=40, deadline=None)
@given(chip=st.sampled_from(["JetsonAGXOrin", "JetsonOrinNano", "JetsonOrinNX", "GH200"]),
       batch=st.integers(1, 512), eta=st.floats(0.01, 1.0), eta_mem=st.floats(0.01, 1.0))
def test_energy_lies_between_idle_and_tdp_times_time(chip, batch, eta, eta_mem):
    precision = "int8" if chip.startswith("Jetson") else "fp16"
    r = Engine.solve("ResNet50", chip, batch_size=batch, precision=precision, efficiency=eta,
                     memory_efficiency=eta_mem)
    assert 0 < r.busy_share <= 1 + 1e-12
    assert r.min_power * r.latency_s <= r.energy_j * (1 + 1e-12)
    assert r.energy_j <= r.tdp * r.latency_s * (1 + 1e-12)
