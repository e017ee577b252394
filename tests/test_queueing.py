"""Queueing physics (mlsysim.physics.queueing): hand-worked values and properties."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim import ureg
from mlsysim.errors import InputError
from mlsysim.physics import queueing as q


def test_erlang_c_by_hand():
    # c = 1: C(1, a) = a.
    assert q.erlang_c(1, 0.9) == pytest.approx(0.9)
    # c = 2, a = 1: a^c/c! * c/(c-a) = 1/2 * 2/1 = 1; sum_{k<2} a^k/k! = 1 + 1 = 2;
    # C = 1 / (2 + 1) = 1/3.
    assert q.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # c = 3, a = 2: a^3/3! = 8/6 = 4/3, times 3/(3-2) = 4; sum = 1 + 2 + 2 = 5; C = 4/9.
    assert q.erlang_c(3, 2.0) == pytest.approx(4 / 9)


def test_mm1_wait_and_percentiles_by_hand():
    # lambda = 0.9/s, S = 1 s: rho = 0.9, W_q = rho S / (1 - rho) = 9 s.
    assert q.mmc_mean_wait(0.9, 1.0) == pytest.approx(9.0)
    # P(W > t) = 0.9 exp(-0.1 t): P99 wait = ln(0.9 / 0.01) / 0.1 = 10 ln 90 = 44.998 s.
    assert q.wait_percentile(0.99, 0.9, 1.0) == pytest.approx(10 * math.log(90))
    # P50: 1 - C = 0.1 < 0.5, so t = 10 ln(0.9 / 0.5) = 5.878 s.
    assert q.wait_percentile(0.5, 0.9, 1.0) == pytest.approx(5.8779, rel=1e-4)
    # At rho = 0.3, 70% of arrivals find the server free: the P50 wait is 0.
    assert q.wait_percentile(0.5, 0.3, 1.0) == 0


def test_mmc_wait_by_hand():
    # c = 2, lambda = 1/s, S = 1 s: C = 1/3, c mu - lambda = 1/s, W_q = 1/3 s.
    assert q.mmc_mean_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)
    # P(W > 1 s) = (1/3) e^-1 = 0.12263.
    assert q.wait_exceedance(1.0, 1.0, 1.0, 2) == pytest.approx(0.122626, rel=1e-5)


def test_kingman_and_allen_cunneen_by_hand():
    # M/D/1 (c_a = 1, c_s = 0) at rho = 0.8, S = 10 ms: 0.8/0.2 * (1 + 0)/2 * 10 ms = 20 ms,
    # the Pollaczek-Khinchine value rho S / (2 (1 - rho)).
    assert q.kingman_wait(0.010, 0.8, cv_arrival=1.0, cv_service=0.0) == pytest.approx(0.020)
    assert q.allen_cunneen_wait(80.0, 0.010, 1, 1.0, 0.0) == pytest.approx(0.020)
    # c = 2 scales the M/M/2 wait (1/3 s above) by (1 + 4)/2: 5/6 s.
    assert q.allen_cunneen_wait(1.0, 1.0, 2, cv_arrival=1.0, cv_service=2.0) == \
        pytest.approx(5 / 6)


def test_fan_out_by_hand():
    # Dean & Barroso 2013: 100 leaves each slow 1 time in 100 -> 1 - 0.99^100 = 63.4% slow.
    assert q.fanout_slow_share(0.99, 100) == pytest.approx(0.6340, abs=1e-4)
    # Overall P99 over 100 leaves needs each leaf's 0.99^(1/100) = 0.9998995 quantile (P99.99).
    assert q.fanout_leaf_percentile(0.99, 100) == pytest.approx(0.9998995, abs=1e-7)
    assert q.fanout_leaf_percentile(0.99, 1) == 0.99


def test_formulas_run_on_quantities():
    wait = q.mmc_mean_wait(ureg("0.9 / s"), ureg("1 s"))
    assert wait.check("[time]") and wait.m_as("s") == pytest.approx(9.0)
    p99 = q.wait_percentile(0.99, ureg("900 / s"), ureg("1 ms"))
    assert p99.m_as("ms") == pytest.approx(10 * math.log(90))
    share = q.wait_exceedance(ureg("1 s"), ureg("1 / s"), ureg("1 s"), 2)
    assert float(share.m_as("")) == pytest.approx(0.122626, rel=1e-5)


@pytest.mark.parametrize("rate,servers", [(1.0, 1), (1.5, 1), (2.0, 2), (float("nan"), 1)])
def test_saturated_load_is_refused_naming_load_and_limit(rate, servers):
    with pytest.raises(InputError) as err:
        q.wait_percentile(0.99, rate, 1.0, servers)
    message = str(err.value)
    assert "must be < 1" in message and "arrival rate" in message
    if rate == rate:
        assert f"capacity {servers} /s" in message and "add servers" in message


def test_bad_percentile_is_refused():
    with pytest.raises(InputError, match=r"percentile p must be in \(0, 1\), got 1.5"):
        q.wait_percentile(1.5, 0.5, 1.0)


loads = st.floats(0.01, 0.98)
servers = st.integers(1, 64)
cvs = st.floats(0.0, 3.0)


@settings(max_examples=200, deadline=None)
@given(loads, loads, servers, cvs, cvs)
def test_waits_grow_with_load(rho1, rho2, c, ca, cs):
    lo, hi = sorted((rho1, rho2))
    for p in (0.5, 0.99, 0.999):
        assert q.wait_percentile(p, lo * c, 1.0, c, ca, cs) <= \
            q.wait_percentile(p, hi * c, 1.0, c, ca, cs) + 1e-12
    assert q.allen_cunneen_wait(lo * c, 1.0, c, ca, cs) <= \
        q.allen_cunneen_wait(hi * c, 1.0, c, ca, cs) + 1e-12


@settings(max_examples=200, deadline=None)
@given(loads, servers, cvs, cvs)
def test_percentiles_are_ordered_and_erlang_c_is_a_probability(rho, c, ca, cs):
    waits = q.erlang_c(c, rho * c)
    assert 0 <= waits <= rho + 1e-12  # a share of arrivals; at most rho (c = 1 gives rho)
    p50, p99, p999 = (q.wait_percentile(p, rho * c, 1.0, c, ca, cs) for p in (0.5, 0.99, 0.999))
    assert 0 <= p50 <= p99 <= p999


@settings(max_examples=100, deadline=None)
@given(loads, cvs, cvs)
def test_allen_cunneen_at_one_server_is_kingman(rho, ca, cs):
    assert q.allen_cunneen_wait(rho, 1.0, 1, ca, cs) == \
        pytest.approx(q.kingman_wait(1.0, rho, ca, cs), rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.5, 0.9999), st.integers(1, 1000))
def test_fan_out_needs_a_higher_leaf_percentile(p, n):
    leaf = q.fanout_leaf_percentile(p, n)
    assert p <= leaf < 1
    assert leaf ** n == pytest.approx(p, rel=1e-9)


# --- TailLatencyModel (mlsysim.solvers.tail_latency) ---------------------------------------

from mlsysim.solvers import TailLatencyModel  # noqa: E402


def test_tail_latency_mm1_by_hand():
    # S = 10 ms, lambda = 90/s: rho = 0.9, mu - lambda = 10/s. P99 wait = ln(0.9/0.01)/10 =
    # 0.44998 s; P99 latency = 10 ms + 449.98 ms = 459.98 ms. P50: 10 ms + ln(1.8)/10 s =
    # 68.78 ms. Mean wait = 0.9 x 10 ms / 0.1 = 90 ms.
    r = TailLatencyModel().solve("10 ms", 90)
    assert r.p99.m_as("ms") == pytest.approx(10 + 100 * math.log(90))
    assert r.p50.m_as("ms") == pytest.approx(10 + 100 * math.log(1.8))
    assert r.mean_wait.m_as("ms") == pytest.approx(90)
    assert r.utilization == pytest.approx(0.9) and r.stable
    assert r.approximation == "M/M/c (Erlang C, exact)"
    assert r.reason.startswith("Tail latency wall: P99 460 ms is 97.8% waiting")


def test_tail_latency_light_load_is_mostly_service():
    # rho = 0.1 at one server: 90% find it free, so P50 = S; P99 wait = ln(0.1/0.01)/90 s
    # = 25.58 ms, so P99 = 35.58 ms and waiting is 72%: still a wall. At 8 servers, rho = 0.1:
    # C(8, 0.8) ~ 1e-6 < 0.01, so P99 = S.
    one = TailLatencyModel().solve(0.010, 10)
    assert one.p50.m_as("ms") == pytest.approx(10)
    assert one.p99.m_as("ms") == pytest.approx(10 + 1000 * math.log(10) / 90)
    eight = TailLatencyModel().solve(0.010, 80, servers=8)
    assert eight.p99.m_as("ms") == pytest.approx(10)
    assert eight.reason.startswith("P99 10 ms is mostly service")


def test_tail_latency_fan_out_uses_the_leaf_percentile():
    r = TailLatencyModel().solve(0.010, 30, fan_out=100)
    leaf = 0.99 ** (1 / 100)
    # M/M/1, rho = 0.3: wait quantile at leaf = ln(0.3 / (1 - leaf)) / 70 s.
    assert r.p99.m_as("s") == pytest.approx(0.010 + math.log(0.3 / (1 - leaf)) / 70)
    assert r.leaf_percentile_for_p99 == pytest.approx(leaf)
    assert any("Fan-out 100" in line and "0.634" in line for line in r.constraint_trace)


def test_tail_latency_general_service_uses_allen_cunneen():
    r = TailLatencyModel().solve(0.010, 80, servers=1, cv_service=0.0)
    assert r.approximation == "Kingman G/G/1"
    assert r.mean_wait.m_as("ms") == pytest.approx(20)  # M/D/1, hand-worked above
    assert TailLatencyModel().solve(0.010, 700, servers=8, cv_service=0.5).approximation == \
        "Allen-Cunneen G/G/c"


def test_saturated_service_is_a_stability_wall_not_a_crash():
    r = TailLatencyModel().solve(0.010, 120)
    assert not r.stable and math.isinf(r.p99.m_as("s"))
    assert r.reason.startswith("Stability wall: rho = 1.2 >= 1")
    assert "capacity 100 /s" in r.reason
    assert r.to_dict()["p99"]["value"] == math.inf  # the CLI's dumps writes it as null


@pytest.mark.parametrize("kwargs,words", [
    (dict(service_time="2 GB"), ["service_time", "convertible to s"]),
    (dict(arrival_rate=-1), ["arrival_rate must be finite and > 0"]),
    (dict(servers=0), ["servers must be a whole number >= 1, got 0"]),
    (dict(cv_service=-0.5), ["cv_service must be a number in [0, 1000]", "-0.5"]),
    (dict(cv_arrival="high"), ["cv_arrival", "'high'"]),
    (dict(fan_out=1.5), ["fan_out must be a whole number"]),
])
def test_tail_latency_bad_input_names_the_argument(kwargs, words):
    args = dict(service_time=0.01, arrival_rate=50)
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        TailLatencyModel().solve(**args)
    for word in words:
        assert word in str(err.value)


@settings(max_examples=100, deadline=None)
@given(loads, loads, servers, cvs, st.integers(1, 100))
def test_tail_latency_grows_with_load_and_is_ordered(rho1, rho2, c, cs, n):
    lo, hi = sorted((rho1, rho2))
    a = TailLatencyModel().solve(0.01, lo * c / 0.01, servers=c, cv_service=cs, fan_out=n)
    b = TailLatencyModel().solve(0.01, hi * c / 0.01, servers=c, cv_service=cs, fan_out=n)
    assert a.p99 <= b.p99 * (1 + 1e-12) and a.mean_wait <= b.mean_wait * (1 + 1e-12)
    assert a.p50 <= a.p99 <= a.p999
