"""Queueing: waiting time and its tail at c servers, and the tail amplification of fan-out.

Arrivals at rate lambda, each needing a mean service time S (rate mu = 1 / S) at one of c
identical servers. The offered load is a = lambda S (in Erlangs) and the utilization
rho = a / c. Every formula here needs rho < 1 (otherwise the queue grows without bound);
:func:`utilization` refuses the rest with an error naming the load and the limit.

Sources: Kleinrock, *Queueing Systems, Volume 1: Theory*, Wiley 1975 (M/M/c: section 3.5);
Kingman, "The single server queue in heavy traffic", Proc. Cambridge Phil. Soc. 57(4), 1961;
Allen, *Probability, Statistics, and Queueing Theory*, Academic Press 1978/1990 (the
Allen-Cunneen G/G/c approximation); Dean and Barroso, "The Tail at Scale", CACM 56(2), 2013.

Functions take floats (``servers`` a whole number); the mean-wait and exceedance formulas are
plain arithmetic and run on pint Quantities too.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..formatting import number


def utilization(arrival_rate, service_time, servers=1):
    """rho = lambda S / c, the share of time each server is busy; InputError unless rho < 1.

    The error names the load, the capacity c / S it exceeds, and the fix.
    """
    rho = arrival_rate * service_time / servers
    value = _float(rho, "")
    if not value < 1:  # NaN fails too
        capacity = _float(servers / service_time, "1/s")
        rate = _float(arrival_rate, "1/s")
        raise InputError(
            f"load rho = lambda*S/c = {number(value)} must be < 1 for a steady state: the "
            f"arrival rate {number(rate)} /s is at or above the capacity {number(capacity)} /s "
            f"of {servers} server(s), so the queue grows without bound; lower the arrival "
            f"rate below {number(capacity)} /s or add servers", name="arrival_rate",
            value=rate)
    return rho


def erlang_c(servers, offered_load):
    """Probability that an arrival waits in M/M/c: the Erlang C formula (Kleinrock 1975, 3.5).

    C(c, a) = [a^c / c! * c / (c - a)] / [sum_{k=0}^{c-1} a^k / k! + a^c / c! * c / (c - a)],
    computed through the Erlang B recursion B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1}) and
    C = c B_c / (c - a (1 - B_c)), which stays finite for thousands of servers. Needs a < c.
    For one server C(1, a) = a = rho.
    """
    a = float(offered_load)
    blocking = 1.0
    for k in range(1, int(servers) + 1):
        blocking = a * blocking / (k + a * blocking)
    return servers * blocking / (servers - a * (1.0 - blocking))


def mmc_mean_wait(arrival_rate, service_time, servers=1):
    """Mean time in queue (before service) in M/M/c: W_q = C(c, a) / (c mu - lambda).

    Kleinrock 1975, section 3.5. For c = 1: W_q = rho S / (1 - rho).
    """
    rho = utilization(arrival_rate, service_time, servers)
    waits = erlang_c(servers, rho * servers)
    return waits / (servers / service_time - arrival_rate)


def kingman_wait(service_time, rho, cv_arrival=1.0, cv_service=1.0):
    """Kingman's G/G/1 approximation of the mean wait in queue (Kingman 1961).

    W_q ~= rho / (1 - rho) * (c_a^2 + c_s^2) / 2 * S, with c_a and c_s the coefficients of
    variation (standard deviation / mean) of the inter-arrival and service times. Exact for
    M/M/1 (c_a = c_s = 1) and M/G/1 (c_a = 1: the Pollaczek-Khinchine formula); tight as
    rho -> 1.
    """
    return rho / (1 - rho) * (cv_arrival ** 2 + cv_service ** 2) / 2 * service_time


def allen_cunneen_wait(arrival_rate, service_time, servers=1, cv_arrival=1.0, cv_service=1.0):
    """The Allen-Cunneen G/G/c approximation of the mean wait in queue (Allen 1978).

    W_q ~= C(c, a) / (c mu - lambda) * (c_a^2 + c_s^2) / 2: the M/M/c wait scaled by the
    variability factor, as Kingman scales M/M/1. Exact for M/M/c; equal to Kingman at c = 1.
    """
    return mmc_mean_wait(arrival_rate, service_time, servers) * \
        (cv_arrival ** 2 + cv_service ** 2) / 2


def wait_exceedance(t, arrival_rate, service_time, servers=1, cv_arrival=1.0, cv_service=1.0):
    """P(W > t): probability an arrival waits longer than ``t`` in queue.

    M/M/c, exactly: P(W > t) = C(c, a) exp(-(c mu - lambda) t) (an arrival that waits is
    served after an exponential time of rate c mu - lambda; Kleinrock 1975, 3.5).
    G/G/c: the same form with the Allen-Cunneen mean, i.e. an arrival waits with probability
    C(c, a) and then for an exponential time of mean (c_a^2 + c_s^2) / (2 (c mu - lambda));
    the exponential tail is Kingman's heavy-traffic limit (1961), so the approximation is best
    near saturation.
    """
    rho = utilization(arrival_rate, service_time, servers)
    waits = erlang_c(servers, rho * servers)
    scale = (cv_arrival ** 2 + cv_service ** 2) / 2
    if scale == 0:  # D/D/c below saturation: nobody waits
        return 0.0 * t
    decay = (servers / service_time - arrival_rate) / scale
    return waits * np.exp(-(decay * t))


def wait_percentile(p, arrival_rate, service_time, servers=1, cv_arrival=1.0, cv_service=1.0):
    """The ``p``-quantile of the wait in queue: the smallest t with P(W <= t) >= p.

    Inverting :func:`wait_exceedance`: t_p = max(0, ln(C / (1 - p))) * (c_a^2 + c_s^2) /
    (2 (c mu - lambda)). It is 0 when at least a share p of arrivals find a free server
    (1 - C >= p). M/M/1 P99 at rho = 0.9: ln(0.9 / 0.01) / (mu - lambda) =
    4.4998 / (0.1 / S) = 45.0 S.
    """
    if not 0 < p < 1:
        raise InputError(f"percentile p must be in (0, 1), got {p!r}; e.g. 0.99 for P99",
                         name="p", value=p)
    rho = utilization(arrival_rate, service_time, servers)
    waits = erlang_c(servers, rho * servers)
    scale = (cv_arrival ** 2 + cv_service ** 2) / 2
    gap = servers / service_time - arrival_rate
    if scale == 0 or waits <= 1 - p:
        return 0.0 * service_time
    return math.log(waits / (1 - p)) * scale / gap


def fanout_leaf_percentile(p, fan_out):
    """Per-leaf percentile needed for the overall ``p``-percentile of a fan-out of ``fan_out``.

    A request waiting for all n independent, identically distributed leaves finishes by t
    with probability P(max <= t) = F(t)^n, so the overall p-quantile is each leaf's
    p^(1/n)-quantile (Dean and Barroso 2013: with 100 leaves, P99 overall needs each leaf's
    P99.99).
    """
    return p ** (1 / fan_out)


def fanout_slow_share(p_leaf, fan_out):
    """Share of fanned-out requests slower than a leaf's ``p_leaf``-quantile: 1 - p_leaf^n.

    Dean and Barroso 2013: one server's 1-in-100 slow response (P99) makes 63% of requests
    over 100 servers slow (1 - 0.99^100 = 0.634).
    """
    return 1 - p_leaf ** fan_out


def _float(value, unit):
    """A float of ``value`` (a number, or a Quantity converted to ``unit``)."""
    return float(value.m_as(unit)) if hasattr(value, "m_as") else float(value)
