"""Tail latency of a service under load: percentiles of queueing delay at c servers, fan-out.

Built on :mod:`mlsysim.physics.queueing` (M/M/c exactly; Allen-Cunneen G/G/c otherwise;
Dean and Barroso's fan-out amplification).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, check_quantity, is_number
from ..errors import InputError, shown
from ..walls import binding_line
from ..formatting import number, si
from ..physics import queueing
from .base import ForwardModel, Quantity, SolverResult

#: Percentiles reported, as (field suffix, probability).
PERCENTILES = (("p50", 0.5), ("p99", 0.99), ("p999", 0.999))

#: Largest coefficient of variation accepted: far beyond any service-time distribution a
#: first-order model is meant for, and small enough that its square stays exact.
MAX_CV = 1e3


class TailLatencyResult(SolverResult):
    """Latency percentiles of a request served by one of ``servers`` queues' servers."""

    solver = "TailLatencyModel"

    p50: Quantity = Field(description="Median latency (s): mean service time plus the median "
                                 "queueing delay at the leaf percentile.")
    p99: Quantity = Field(description="99th-percentile latency (s), same convention.")
    p999: Quantity = Field(description="99.9th-percentile latency (s), same convention.")
    mean_wait: Quantity = Field(description="Mean time in queue before service (s), per leaf.")
    mean_latency: Quantity = Field(description="Mean service time plus mean wait (s), per leaf.")
    utilization: float = Field(description="rho = lambda S / c, the share of time a server is "
                                           "busy.")
    probability_of_wait: float = Field(description="Share of arrivals that find every server "
                                                   "busy (Erlang C).")
    stable: bool = Field(description="rho < 1; when False the queue grows without bound and "
                                     "latencies are infinite.")
    servers: int = Field(description="Servers c sharing one queue.")
    fan_out: int = Field(description="Leaves a request waits for (all of them).")
    leaf_percentile_for_p99: float = Field(
        description="Percentile each leaf must meet for the request's P99: 0.99^(1/fan_out).")
    approximation: str = Field(description="The queueing model used.")


class TailLatencyModel(ForwardModel):
    """Latency percentiles at a given load: queueing at c servers, optionally fanned out."""

    name = "TailLatencyModel"

    def solve(self, service_time: Any, arrival_rate: Any, servers: int = 1,
              cv_service: float = 1.0, cv_arrival: float = 1.0,
              fan_out: int = 1) -> TailLatencyResult:
        """P50/P99/P99.9 latency of requests arriving at ``arrival_rate`` (per second) to
        ``servers`` servers each taking ``service_time`` per request on average.

        Latency = mean service time + the queueing delay's percentile (the delay is what
        explodes near saturation; service-time spread enters only through ``cv_service``'s
        effect on waiting). Poisson arrivals and exponential service (both cv = 1) are
        M/M/c, exact (Kleinrock 1975); other cvs use Allen-Cunneen (Kingman at c = 1) with an
        exponential conditional wait. With ``fan_out`` = n, a request waits for n independent
        leaves, each receiving every request, so its p-quantile is a leaf's p^(1/n)-quantile
        (Dean and Barroso 2013). A load rho >= 1 gives ``stable=False`` and infinite latency.

            rho = arrival_rate x service_time / servers
            P(W > t) = C(c, a) exp(-(c mu - lambda) t)      (M/M/c, Erlang C)

        Args:
            service_time: Mean time one server spends on a request (a time or seconds).
            arrival_rate: Requests per second offered to the servers together.
            servers: Servers sharing the queue (c).
            cv_service: Coefficient of variation of the service time (1 = exponential).
            cv_arrival: Coefficient of variation of inter-arrival times (1 = Poisson).
            fan_out: Leaves every request waits for (1 = no fan-out).

        Returns:
            TailLatencyResult: P50, P99 and P99.9 latency, utilisation, mean wait, stability
            and the trace.
        """
        from ..units import Quantity

        s = check_quantity(service_time, "s", "service_time")
        lam = check_quantity(arrival_rate, "1/s", "arrival_rate")
        c = check_count(servers, "servers")
        n = check_count(fan_out, "fan_out")
        ca = _check_cv(cv_arrival, "cv_arrival")
        cs = _check_cv(cv_service, "cv_service")
        rho = lam * s / c
        exact = ca == 1 and cs == 1
        approximation = ("M/M/c (Erlang C, exact)" if exact else
                         "Kingman G/G/1" if c == 1 else "Allen-Cunneen G/G/c")
        leaf99 = queueing.fanout_leaf_percentile(0.99, n)
        common = dict(utilization=rho, servers=c, fan_out=n, leaf_percentile_for_p99=leaf99,
                      approximation=approximation)
        load = (f"Load: {number(lam)} requests/s x {si(s, 's')} over {c} server(s) -> "
                f"rho = {number(rho)} ({approximation})")
        if not rho < 1:
            inf = Quantity(math.inf, "s")
            trace = (load, f"Stability wall: rho = {number(rho)} >= 1, the arrival rate "
                           f"{number(lam)} /s is at or above the capacity {number(c / s)} /s; "
                           "the queue grows without bound. Lower the load or add servers",
                     binding_line("tail_latency", "the queue is unstable"))
            return TailLatencyResult(p50=inf, p99=inf, p999=inf, mean_wait=inf,
                                     mean_latency=inf, probability_of_wait=1.0, stable=False,
                                     constraint_trace=trace, **common)
        waits = queueing.erlang_c(c, rho * c)
        mean_wait = queueing.allen_cunneen_wait(lam, s, c, ca, cs)
        leaf = {key: queueing.fanout_leaf_percentile(p, n) for key, p in PERCENTILES}
        delay = {key: queueing.wait_percentile(leaf[key], lam, s, c, ca, cs)
                 for key, _ in PERCENTILES}
        latency = {key: s + delay[key] for key in delay}
        trace = [load,
                 f"Erlang C: {number(waits)} of arrivals wait; mean wait {si(mean_wait, 's')}"]
        if n > 1:
            trace.append(f"Fan-out {n}: the request's P99 is each leaf's "
                         f"P{number(100 * leaf99, 6)}; 1 - 0.99^{n} = "
                         f"{number(queueing.fanout_slow_share(0.99, n))} of requests are "
                         "slower than a leaf's own P99 (Dean and Barroso 2013)")
        share = delay["p99"] / latency["p99"]
        if share > 0.5:
            trace.append(f"Tail latency wall: P99 {si(latency['p99'], 's')} is "
                         f"{number(100 * share, 3)}% waiting in queue ({si(delay['p99'], 's')}) "
                         f"and {si(s, 's')} service, at load rho = {number(rho)}; lower the "
                         "load or add servers")
        else:
            trace.append(f"P99 {si(latency['p99'], 's')} is mostly service "
                         f"({si(s, 's')}; {si(delay['p99'], 's')} waiting)")
        trace.append(binding_line("tail_latency", "waiting is most of P99" if share > 0.5 else
                                  "service, not waiting, is most of P99"))
        return TailLatencyResult(
            **{key: Quantity(value, "s") for key, value in latency.items()},
            mean_wait=Quantity(mean_wait, "s"), mean_latency=Quantity(s + mean_wait, "s"),
            probability_of_wait=waits, stable=True, constraint_trace=tuple(trace), **common)


def _check_cv(value: Any, name: str) -> float:
    """A coefficient of variation: a finite number in [0, MAX_CV]."""
    if not is_number(value) or not 0 <= value <= MAX_CV:
        raise InputError(f"{name} must be a number in [0, {number(MAX_CV)}] (standard "
                         f"deviation / mean; 1 for exponential, 0 for constant), got "
                         f"{shown(value)}", name=name, value=value)
    return float(value)
