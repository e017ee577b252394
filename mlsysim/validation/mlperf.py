"""MLPerf Inference scenarios on the model: Offline and Server.

* **Offline**: LoadGen hands the system every sample at once; the result is its maximum
  throughput. A per-sample model (ResNet) runs at the offline batch on every device; an LLM is
  continuously batched (``ContinuousBatchingModel``) at the largest batch its KV cache holds.
* **Server**: queries arrive as a Poisson process; the result is the largest arrival rate at
  which the benchmark's latency bound holds at the 99th percentile
  (``Literature.MLPerf.ServerTailPercentile``). Bounds are Zoo numbers read in the MLPerf
  rules (``Literature.MLPerf``).

Per-sample models (first order; the queue is TailLatencyModel's, :mod:`mlsysim.physics.queueing`):
each of the ``c`` devices serves batches of ``B`` samples in S(B) (Engine latency, deterministic:
cv_service = 0). Batches reach the ``c`` devices at lambda / B per second (Poisson). A sample waits
for its batch to fill, at worst (B - 1) c / lambda, then for a free device (the queue's P99 wait
W99), then S(B)::

    latency_99(lambda, B) = (B - 1) c / lambda + W99(lambda / B; S(B), c) + S(B) <= bound

The prediction is the largest lambda over B in 1, 2, 4, ... up to ``OfflineBatchSize``: the
forming term falls and the queueing term rises with lambda, so for each B the admissible rates
form an interval, whose top is found by bisection above the latency's minimum.

LLMs: ``ContinuousBatchingModel`` with ``arrival_rate`` gives the P99 TTFT (slot queue) and the
mean ITL (TPOT) at the largest batch meeting the TTFT and TPOT bounds; the prediction is the
largest arrival rate per model replica at which ``meets_slo`` holds, times replicas, times the
generated tokens per sample (MLPerf LLM server results are tokens per second).
"""

from __future__ import annotations

import functools
import math

from ..engine import calibration
from ..engine.engine import Engine
from ..physics import queueing
from ..units import Quantity

#: Bisection steps on a rate: 2^-30 of the bracket, far below the model's accuracy.
_STEPS = 30

#: Benchmark -> its Literature.MLPerf bound entries (per-sample: one bound; LLM: TTFT, TPOT).
_BOUNDS = {"Models.Vision.ResNet50": ("ServerLatencyBoundResNet50",),
           "Models.Language.Llama2_70B": ("ServerTtftBoundLlama2_70B",
                                          "ServerTpotBoundLlama2_70B"),
           "Models.Language.Mixtral8x7B": ("ServerTtftBoundMixtral8x7B",
                                           "ServerTpotBoundMixtral8x7B")}


def bound(name: str):
    """A Literature.MLPerf number (a sourced Quantity or float)."""
    from ..zoo.registry import default_zoo

    return default_zoo().resolve("Literature.MLPerf")[name]


@functools.lru_cache(maxsize=None)
def server_bounds(workload: str) -> tuple[float, ...] | None:
    """The server latency bound(s) of a benchmark in seconds, or None if the Zoo has none."""
    names = _BOUNDS.get(workload)
    return None if names is None else tuple(bound(n).m_as("s") for n in names)


@functools.lru_cache(maxsize=None)
def tail_percentile() -> float:
    return float(bound("ServerTailPercentile"))


def p99_latency(rate: float, batch: int, service: float, devices: int,
                percentile: float | None = None) -> float:
    """Sample latency at the tail percentile for Poisson arrivals at ``rate`` samples/s to
    ``devices`` devices serving batches of ``batch`` in ``service`` seconds (module docstring).
    Infinite when the devices cannot keep up (rho >= 1)."""
    p = percentile or tail_percentile()
    batch_rate = rate / batch
    if batch_rate * service >= devices:
        return math.inf
    forming = (batch - 1) * devices / rate
    wait = queueing.wait_percentile(p, batch_rate, service, devices, 1.0, 0.0)
    return forming + float(wait) + service


@functools.lru_cache(maxsize=65536)
def largest_rate(batch: int, service: float, devices: int, limit: float,
                 percentile: float | None = None) -> float:
    """Largest Poisson rate (samples/s) with p99_latency <= limit at this batch; 0 if none.

    Cached: calibration asks again for every memory efficiency of its grid, and a
    compute-bound pass has the same service time under all of them."""
    if service >= limit:
        return 0.0
    percentile = percentile or tail_percentile()
    capacity = devices * batch / service

    def latency(rate: float) -> float:
        return p99_latency(rate, batch, service, devices, percentile)

    lo, hi = capacity * 1e-9, capacity
    if batch > 1:  # the forming term falls with the rate: find the latency's minimum first
        for _ in range(_STEPS):
            m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
            if latency(m1) < latency(m2):
                hi = m2
            else:
                lo = m1
        hi = capacity
    if latency(lo) > limit:
        return 0.0
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        if latency(mid) <= limit:
            lo = mid
        else:
            hi = mid
    return lo


def server_rate_per_sample_model(entry, hardware, devices: int, precision: str, eta: float,
                                 eta_mem: float, limit: float, max_batch: int,
                                 seq_len: int | None = None) -> tuple[float, int, bool]:
    """(largest server rate in samples/s, the batch that reaches it, feasible)."""
    best, best_batch, feasible = 0.0, 1, None
    batch = 1
    while batch <= max_batch:
        profile = Engine.solve(entry, hardware, batch_size=batch, precision=precision,
                               efficiency=eta, memory_efficiency=eta_mem, seq_len=seq_len)
        if feasible is None:  # batch 1's verdict stands until a larger batch wins
            feasible = bool(profile.feasible)
        service = profile.latency_s
        if service >= limit:
            break
        if devices * batch / service <= best:  # its capacity cannot beat the best rate
            batch *= 2
            continue
        rate = largest_rate(batch, service, devices, limit)
        if rate > best:
            best, best_batch, feasible = rate, batch, bool(profile.feasible)
        batch *= 2
    return best, best_batch, bool(feasible)


def llm_offline(entry, hardware, input_tokens: int, output_tokens: int, tp: int,
                precision: str, eta: float, eta_mem: float):
    """ContinuousBatchingModel at its largest KV-cache batch, no SLO: one replica's result."""
    from ..solvers.continuous_batching import ContinuousBatchingModel

    return ContinuousBatchingModel().solve(entry, hardware, input_tokens, output_tokens,
                                           tp_size=tp, precision=precision, efficiency=eta,
                                           memory_efficiency=eta_mem)


def llm_server_rate(entry, hardware, input_tokens: int, output_tokens: int, tp: int,
                    precision: str, eta: float, eta_mem: float, ttft: float,
                    tpot: float) -> tuple[float, bool]:
    """(largest Poisson request rate per replica meeting the P99 TTFT and TPOT bounds, feasible).

    The batch is the largest meeting both bounds without queueing (ContinuousBatchingModel's
    search); the rate is then bisected on its ``meets_slo`` with ``arrival_rate``."""
    from ..solvers.continuous_batching import ContinuousBatchingModel

    solver = ContinuousBatchingModel()

    def at(rate):
        return solver.solve(entry, hardware, input_tokens, output_tokens, tp_size=tp,
                            precision=precision, slo_ttft=Quantity(ttft, "s"),
                            slo_itl=Quantity(tpot, "s"), efficiency=eta,
                            memory_efficiency=eta_mem,
                            arrival_rate=None if rate is None else Quantity(rate, "1/s"))

    base = at(None)
    if not base.feasible or base.batch_size is None or not base.meets_slo:
        return 0.0, bool(base.feasible)
    lo, hi = 0.0, float(base.request_rate.m_as("1/s"))
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        if mid > 0 and at(mid).meets_slo:
            lo = mid
        else:
            hi = mid
    return lo, True


def offline_batch() -> int:
    return int(calibration.value("OfflineBatchSize"))
