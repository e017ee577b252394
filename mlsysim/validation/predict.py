"""The prediction mlsysim makes for one measurement's configuration.

Efficiencies are fixed per workload class (``Literature.Calibration``), never
per point. A measurement whose configuration is not stated fully enough to
model (no batch size for a decode table, no precision) is skipped, with the
reason, rather than guessed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ..engine import calibration
from ..engine.engine import Engine
from ..errors import MlsysimError
from ..solvers.serving import ServingModel
from ..units import Quantity
from .measurements import Measurement



def workload_class(m: Measurement, entry) -> str:
    """The calibration class of a measurement (see mlsysim.engine.calibration)."""
    if m.mode in ("decode", "prefill"):
        return m.mode
    transformer = hasattr(entry, "heads")
    if m.mode == "training":
        return "training" if transformer else "cnn_training"
    if m.scenario == "server":
        return "mlperf_server"
    if m.hardware.startswith("Hardware.Tiny."):
        return "tiny"
    if m.metric == "latency" and (m.batch_size or 1) == 1:
        return "single_stream"
    return "batch_inference"


class NotComparable(MlsysimError):
    """The measurement lacks what the model needs; the message says what."""


@dataclass(frozen=True)
class Prediction:
    value: float          # in the measurement's unit, per device when scope is per_device
    workload_class: str
    detail: str
    feasible: bool = True  # False: the model says this measured configuration does not fit


def predict(m: Measurement, efficiencies: dict[str, tuple[float, float]] | None = None) -> Prediction:
    """Predict ``m.metric`` for ``m``'s configuration, in ``m.unit``."""
    if m.precision is None:
        also = ("; nor the mean prompt tokens of the benchmark's dataset"
                if m.scenario and m.mode == "decode" and m.seq_len is None else "")
        raise NotComparable("precision not stated" + also)
    entry = _entry(m.workload)
    cls = workload_class(m, entry)
    # Given efficiencies are used as given (the calibration grid passes the effective value);
    # the Zoo's are scaled for low-precision math as the solvers' defaults are.
    eta, eta_mem = (efficiencies or {}).get(cls) or calibration.efficiency_for(cls, m.precision)
    tp = m.tp_size or 1
    offline_batch = int(calibration.value("OfflineBatchSize"))

    if m.mode == "training" and m.system is not None and m.global_batch is not None:
        return _predict_distributed(m, entry, cls, eta)

    if m.scenario is not None:
        return _predict_mlperf(m, entry, cls, eta, eta_mem)

    if m.mode in ("inference", "training"):
        is_llm = getattr(entry, "architecture", "") == "decoder"
        if is_llm and m.mode == "inference":
            raise NotComparable("an LLM sample is prefill plus generation; lengths not stated")
        if getattr(entry, "architecture", "") == "encoder" and m.seq_len is None:
            raise NotComparable("mean sequence length not stated")
        batch = m.batch_size or (1 if is_llm and m.mode == "training" else offline_batch)
        profile = Engine.solve(entry, _hw(m), batch_size=batch,
                               precision=m.precision, efficiency=eta, memory_efficiency=eta_mem,
                               is_training=m.mode == "training", seq_len=m.seq_len)
        if m.metric == "latency":
            value = profile.latency_s * _factor("s", m.unit)
        elif m.metric == "tflops_per_device":
            value = profile.flops_count / profile.latency_s * _factor("FLOP/s", m.unit)
        elif m.metric == "mfu":
            value = profile.mfu
        else:
            value = profile.throughput_per_s * _factor(profile.throughput_unit, m.unit)
            if m.scope == "system":
                value *= m.devices
        return Prediction(value, cls, f"batch {batch}", profile.feasible)

    serving = ServingModel()
    if m.mode == "prefill":
        if m.seq_len is None:
            raise NotComparable("prompt length not stated")
        result = serving.solve(_entry(m.workload), _hw(m),
                               seq_len=m.seq_len, batch_size=m.batch_size or 1,
                               precision=m.precision, efficiency=eta, tp_size=tp,
                               memory_efficiency=eta_mem)
        ttft = result.ttft.m_as("s")
        if m.metric == "latency":
            value = Quantity(ttft, "s").m_as(_unit(m.unit))
        else:
            value = Quantity((m.batch_size or 1) * m.seq_len / ttft, "token/s").m_as(_unit(m.unit))
        return Prediction(value, cls, f"prompt {m.seq_len}, tp {tp}", result.feasible)

    # decode
    if m.batch_size is None:
        raise NotComparable("batch size not stated")
    if m.output_len is None:
        raise NotComparable("output length not stated")
    prompt = m.seq_len or 0
    # Each step's cost is linear in the context, so the mean step is the one at the midpoint.
    mid_context = max(1, prompt + m.output_len // 2)
    step = serving.solve(_entry(m.workload), _hw(m), seq_len=mid_context, batch_size=m.batch_size,
                         precision=m.precision, efficiency=eta, tp_size=tp,
                         memory_efficiency=eta_mem)
    total = m.output_len * step.itl.m_as("s")
    if prompt:
        # The prompts are a prefill: at the prefill class's efficiency, not the decode one's
        # (the grid refits decode alone; the prefill pair is the one given, else the Zoo's).
        eta_p, eta_pm = ((efficiencies or {}).get("prefill")
                         or calibration.efficiency_for("prefill", m.precision))
        total += _prefill_seconds(m.workload, m.hardware, prompt, m.batch_size, m.precision,
                                  tp, eta_p, eta_pm)
    system_rate = m.batch_size * m.output_len / total
    groups = max(1, m.devices // tp)  # independent model replicas in the measured system
    value = system_rate * groups
    if m.scope == "per_device":
        value /= m.devices
    return Prediction(Quantity(value, "token/s").m_as(_unit(m.unit)), cls,
                      f"batch {m.batch_size}, context {prompt}+{m.output_len}, tp {tp}",
                      step.feasible)


def _prefill_seconds(workload: str, hardware: str, prompt: int, batch: int, precision: str,
                     tp: int, eta: float, eta_mem: float) -> float:
    """TTFT of the prompts of a decode measurement (the same for every decode grid cell, so it
    is computed once per Zoo)."""
    caches = _caches()
    key = (workload, hardware, prompt, batch, precision, tp, eta, eta_mem)
    seconds = caches.prefill.get(key)
    if seconds is None:
        seconds = caches.prefill[key] = ServingModel().solve(
            _entry(workload), _entry(hardware), seq_len=prompt, batch_size=batch,
            precision=precision, efficiency=eta, tp_size=tp,
            memory_efficiency=eta_mem).ttft.m_as("s")
    return seconds


def _predict_mlperf(m: Measurement, entry, cls: str, eta: float, eta_mem: float) -> Prediction:
    """An MLPerf Inference Offline or Server result (see mlsysim.validation.mlperf)."""
    from . import mlperf

    is_llm = getattr(entry, "architecture", "") == "decoder"
    if m.metric != "throughput":
        raise NotComparable(f"MLPerf {m.scenario} results are throughputs, got metric "
                            f"{m.metric!r}")
    if is_llm:
        if m.seq_len is None:
            raise NotComparable("mean prompt tokens of the benchmark's dataset not stated")
        if m.output_len is None or m.output_len < 2:
            raise NotComparable("mean generated tokens per sample not stated")
        tp = m.tp_size or 1
        if m.devices % tp:
            raise NotComparable(f"{m.devices} devices are not whole tp {tp} replicas")
        replicas = m.devices // tp
        if m.scenario == "offline":
            r = mlperf.llm_offline(entry, _hw(m), m.seq_len, m.output_len, tp, m.precision, eta,
                                   eta_mem)
            tokens = float(r.throughput.m_as("token/s")) * replicas if r.feasible else 0.0
            detail = f"offline, batch {r.batch_size} ({r.binding}), tp {tp} x {replicas}"
            feasible = bool(r.feasible)
        else:
            bounds = mlperf.server_bounds(m.workload)
            if bounds is None or len(bounds) != 2:
                raise NotComparable(f"no MLPerf TTFT/TPOT bound for {m.workload} in "
                                    "Literature.MLPerf")
            rate, feasible = mlperf.llm_server_rate(entry, _hw(m), m.seq_len, m.output_len, tp,
                                                    m.precision, eta, eta_mem, *bounds)
            tokens = rate * replicas * m.output_len
            detail = f"server, {rate:.3g} requests/s per replica, tp {tp} x {replicas}"
        value = tokens / (m.devices if m.scope == "per_device" else 1)
        return Prediction(Quantity(value, "token/s").m_as(_unit(m.unit)), cls,
                          f"prompt {m.seq_len}, output {m.output_len}, {detail}", feasible)

    if getattr(entry, "architecture", "") == "encoder" and m.seq_len is None:
        raise NotComparable("mean sequence length not stated")
    if m.scenario == "offline":
        batch = m.batch_size or mlperf.offline_batch()
        profile = Engine.solve(entry, _hw(m), batch_size=batch, precision=m.precision,
                               efficiency=eta, memory_efficiency=eta_mem, seq_len=m.seq_len)
        rate = profile.throughput_per_s * _factor(profile.throughput_unit, "sample/s") * m.devices
        detail, feasible = f"offline, batch {batch} on each of {m.devices}", profile.feasible
    else:
        bounds = mlperf.server_bounds(m.workload)
        if bounds is None:
            raise NotComparable(f"no MLPerf server latency bound for {m.workload} in "
                                "Literature.MLPerf")
        cap = m.batch_size or mlperf.offline_batch()
        rate, batch, feasible = mlperf.server_rate_per_sample_model(
            entry, _hw(m), m.devices, m.precision, eta, eta_mem, bounds[0], cap, m.seq_len)
        detail = f"server, P99 <= {bounds[0] * 1e3:g} ms at batch {batch} on {m.devices}"
    value = rate / (m.devices if m.scope == "per_device" else 1)
    return Prediction(value * _factor("sample/s", m.unit), cls, detail, bool(feasible))


def _predict_distributed(m: Measurement, entry, cls: str, eta: float) -> Prediction:
    """Multi-GPU transformer training through DistributedModel, on ``m.devices`` GPUs of the
    stated node joined by the node's own scale-out fabric."""
    from ..solvers.distributed import DistributedModel
    from ..systems.fleet import Fleet

    node = _entry(m.system)
    if m.devices % node.accelerators_per_node:
        raise NotComparable(f"{m.devices} GPUs are not whole {m.system} nodes")
    fleet = Fleet(node=node, count=m.devices // node.accelerators_per_node)
    tp, pp = m.tp_size or 1, m.pp_size or 1
    dp = m.devices // (tp * pp)
    micro = m.microbatch_size or 1
    microbatches = max(1, m.global_batch // (dp * micro))
    result = DistributedModel().solve(
        entry, fleet, m.global_batch, precision=m.precision, efficiency=eta, tp_size=tp,
        pp_size=pp, microbatch_count=microbatches, zero_stage=m.zero_stage or 0,
        seq_len=m.seq_len, interleave=m.interleave or 1)
    tokens_per_s = result.effective_throughput.m_as("token/s")
    if m.metric == "tflops_per_device":
        peak = result.mfu * _peak(fleet.accelerator, m.precision)
        value = Quantity(peak, "FLOP/s").m_as(_unit(m.unit))
    elif m.metric == "mfu":
        value = result.mfu
    else:
        value = Quantity(tokens_per_s / (m.devices if m.scope == "per_device" else 1),
                         "token/s").m_as(_unit(m.unit))
    return Prediction(value, cls, f"dp {dp} x tp {tp} x pp {pp}, {microbatches} microbatches "
                      f"of {micro}", bool(result.feasible))


def _peak(hardware, precision: str) -> float:
    from ..engine.checks import peak_for
    from ..engine.figures import chip_figures

    return peak_for(chip_figures(hardware), precision)[0]


@dataclass
class _ZooCaches:
    """What the calibration grid asks for hundreds of thousands of times, kept for one Zoo
    (held, not its id, so a reloaded Zoo starts empty caches)."""

    zoo: object = None
    entries: dict = field(default_factory=dict)   # path -> entry
    prefill: dict = field(default_factory=dict)   # _prefill_seconds arguments -> seconds


_CACHES = _ZooCaches()


def _caches() -> _ZooCaches:
    global _CACHES
    from ..zoo.registry import default_zoo

    zoo = default_zoo()
    if _CACHES.zoo is not zoo:
        _CACHES = _ZooCaches(zoo)
    return _CACHES


def _entry(path: str):
    """The Zoo entry at ``path``, resolved once per Zoo."""
    caches = _caches()
    entry = caches.entries.get(path)
    if entry is None:
        entry = caches.entries[path] = caches.zoo.resolve(path)
    return entry


def _hw(m: Measurement):
    return _entry(m.hardware)


def _unit(unit: str) -> str:
    return {"samples/s": "sample/s", "tokens/s": "token/s"}.get(unit, unit)


@functools.lru_cache(maxsize=None)
def _factor(source: str, unit: str) -> float:
    """What one ``source`` is in a measurement's ``unit`` (cached: the calibration grid asks
    hundreds of thousands of times, and a pint conversion each time dominated `validate`)."""
    return float(Quantity(1.0, _unit(source)).m_as(_unit(unit)))
