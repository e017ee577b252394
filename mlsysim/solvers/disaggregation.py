"""Prefill/decode disaggregation: prompts run on a prefill pool, their KV cache crosses the
fabric, tokens are generated on a decode pool (Zhong et al., "DistServe: Disaggregating
Prefill and Decoding for Goodput-optimized Large Language Model Serving", OSDI 2024; Patel et
al., "Splitwise: Efficient Generative LLM Inference Using Phase Splitting", ISCA 2024).

Goodput is the request rate served within both SLOs; the model finds it for a given split of
GPUs, or the best split of a fixed count, and compares it with colocated continuous batching
(:class:`~mlsysim.solvers.continuous_batching.ContinuousBatchingModel`) on the same GPUs.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from ..engine.checks import (check_count, check_fraction, check_quantity,
                             check_tensor_parallel, largest_node, resolve_entry)
from ..engine.figures import chip_figures, workload_figures
from ..errors import InputError
from ..formatting import number, si
from ..physics import transformer
from ..engine.precision import activation_bytes
from .base import ForwardModel, SolverResult
from .continuous_batching import (BLOCK_SIZE, MEMORY_FRACTION, ContinuousBatchingModel,
                                  largest_batch)
from .serving import PhaseCosts, ServingModel


class DisaggregatedServingResult(SolverResult):
    """Goodput of a prefill pool and a decode pool, and of colocated serving on the same GPUs."""

    solver = "DisaggregatedServingModel"

    feasible: bool = Field(description="The weights and one request's KV cache fit in each "
                                       "pool's replicas.")
    meets_slo: bool = Field(description="Both SLOs can be met at some load: TTFT by the "
                                        "prefill, ITL by a decode batch of at least 1.")
    prefill_gpus: int = Field(description="GPUs in the prefill pool (the best split when "
                                          "``gpus`` was given).")
    decode_gpus: int = Field(description="GPUs in the decode pool.")
    prefill_replicas: int = Field(description="prefill_gpus // prefill_tp model replicas.")
    decode_replicas: int = Field(description="decode_gpus // decode_tp model replicas.")
    prefill_time: Any = Field(description="One prompt's prefill on a prefill replica (s); "
                                          "its time to first token without queueing.")
    kv_transfer_bytes: Any = Field(description="KV cache of one prompt sent to the decode pool "
                                               "(B): KV per token x input_tokens.")
    kv_transfer_time: Any = Field(description="Time to send it: the largest per-GPU shard over "
                                              "one GPU's share of the fabric (s).")
    decode_batch: int = Field(description="Requests per decode replica: the largest the KV "
                                          "cache holds that meets the ITL SLO; 0 if none.")
    decode_step_time: Any = Field(description="One decode step at decode_batch (s).")
    ttft: Any = Field(description="Time to first token: the prefill (s).")
    itl: Any = Field(description="Mean inter-token latency: decode step plus the KV transfer "
                                 "spread over the O - 1 decode steps (s).")
    prefill_capacity: Any = Field(description="Requests per second the prefill pool admits.")
    decode_capacity: Any = Field(description="Requests per second the decode pool finishes.")
    goodput: Any = Field(description="Requests per second served within both SLOs: the "
                                     "smaller pool capacity, 0 when an SLO cannot be met.")
    goodput_per_gpu: Any = Field(description="goodput / (prefill_gpus + decode_gpus) (1/s).")
    token_throughput: Any = Field(description="Output tokens per second at the goodput.")
    colocated_goodput_per_gpu: Any = Field(description="Goodput per GPU of colocated continuous "
                                                       "batching on as many decode_hardware "
                                                       "GPUs, tp = decode_tp (1/s).")
    goodput_gain: float = Field(description="goodput_per_gpu / colocated_goodput_per_gpu "
                                            "(inf when colocated meets no SLO, NaN if neither).")
    input_tokens: int = Field(description="Prompt tokens per request (I).")
    output_tokens: int = Field(description="Generated tokens per request (O).")


def pool_goodput(prefill_replicas: int, decode_replicas: int, prefill_time: float,
                 decode_batch: int, decode_step: float, output_tokens: int) -> float:
    """Requests/s within the SLOs: the smaller of the pools' capacities,

        min(r_p / t_p, r_d B_d / ((O - 1) t_d(B_d)));  0 when B_d = 0 (no batch meets ITL).
    """
    if decode_batch < 1 or prefill_replicas < 1 or decode_replicas < 1:
        return 0.0
    return min(prefill_replicas / prefill_time,
               decode_replicas * decode_batch / ((output_tokens - 1) * decode_step))


def kv_link(hardware: Any, fabric: Any, link_efficiency: float) -> tuple[float, float, str]:
    """(bytes/s per GPU, latency s, trace text) of the link a GPU sends its KV shard over:
    ``fabric``'s bandwidth (one port per GPU) or, when None, the scale-out fabric of the
    largest Zoo node of ``hardware``, its ports shared by its accelerators."""
    if fabric is None:
        node = largest_node(hardware.path)
        entry = resolve_entry(node[1], "Systems", "node") if node else None
        ref = getattr(entry, "scale_out_fabric", None)
        ports = getattr(entry, "scale_out_ports", None)
        if entry is None or not ref or not ports:
            raise InputError(f"the Zoo lists no node of {hardware.name} with a scale-out fabric "
                             "for the KV-cache transfer; pass fabric= (a Systems.Fabrics entry, "
                             "e.g. 'InfiniBand_NDR')", name="fabric", value=None)
        link = resolve_entry(ref, "Systems", "fabric")
        share = ports / entry.accelerators_per_node
        where = (f"{link.path} x {ports} ports / {entry.accelerators_per_node} GPUs of "
                 f"{entry.path}")
    else:
        link = resolve_entry(fabric, "Systems", "fabric")
        if getattr(link, "bandwidth", None) is None:
            raise InputError(f"fabric must be a Systems.Fabrics entry with a bandwidth, got "
                             f"{getattr(link, 'path', link)!r}; e.g. fabric='InfiniBand_NDR'",
                             name="fabric", value=str(fabric))
        share = 1.0
        where = f"{link.path} (one port per GPU)"
    bandwidth = float(link.bandwidth.m_as("B/s")) * share * link_efficiency
    latency = float(link.latency.m_as("s")) if link.latency is not None else 0.0
    return bandwidth, latency, where + (f" at {link_efficiency:.0%}" if link_efficiency < 1
                                        else "")


class DisaggregatedServingModel(ForwardModel):
    """Separate prefill and decode pools (DistServe, Splitwise) against colocated serving."""

    name = "DisaggregatedServingModel"

    def solve(self, model: Any, hardware: Any, input_tokens: int, output_tokens: int,
              gpus: int | None = None, prefill_gpus: int | None = None,
              decode_gpus: int | None = None, prefill_tp: int = 1, decode_tp: int = 1,
              slo_ttft: Any = None, slo_itl: Any = None, precision: str = "fp16",
              efficiency: float | None = None, memory_efficiency: float | None = None, *,
              decode_hardware: Any = None, fabric: Any = None, link_efficiency: float = 1.0,
              block_size: int = BLOCK_SIZE,
              memory_fraction: float = MEMORY_FRACTION) -> DisaggregatedServingResult:
        """Goodput per GPU of disaggregated prefill/decode pools, and the best split.

        A prefill replica (``prefill_tp`` GPUs) runs one prompt at a time in t_p (ServingModel's
        TTFT at batch 1); the prompt's KV cache, S_kv = KV per token x I, then crosses the
        fabric, each GPU sending its shard over its own share of the scale-out links; a decode
        replica (``decode_tp`` GPUs, ``decode_hardware``) runs B_d requests per step, the most
        its paged KV cache holds with ITL within the SLO. With r = GPUs // tp replicas::

            t_kv  = max(S_kv / s_p, S_kv / s_d) / (BW_link x link_efficiency) + latency
            TTFT  = t_p;   ITL(B) = t_d(B) + t_kv / (O - 1)
            goodput = min(r_p / t_p, r_d B_d / ((O - 1) t_d(B_d)))   (0 if an SLO is missed)
            goodput per GPU = goodput / (prefill_gpus + decode_gpus)

        with s = min(tp, n_kv) the ways the KV cache splits. ``gpus`` instead of the two
        counts tries every split (prefill a multiple of prefill_tp, decode the rest rounded
        down to decode_tp) and keeps the highest goodput. Colocated serving on the same
        number of GPUs is ContinuousBatchingModel on ``decode_hardware`` at tp = decode_tp and
        the same SLOs, one replica per decode_tp GPUs: its request rate if it meets the SLOs, else 0. No queueing
        (see TailLatencyModel): these are capacities at the SLO.

        Args:
            model: A decoder language model (a Models entry or its name).
            hardware: The prefill pool's accelerator (and the decode pool's by default).
            input_tokens: Prompt tokens per request (I).
            output_tokens: Generated tokens per request (O), at least 2.
            gpus: Total GPUs to split between the pools (instead of the two counts).
            prefill_gpus: GPUs in the prefill pool, a multiple of prefill_tp.
            decode_gpus: GPUs in the decode pool, a multiple of decode_tp.
            prefill_tp: Tensor-parallel GPUs per prefill replica.
            decode_tp: Tensor-parallel GPUs per decode replica (and per colocated replica).
            slo_ttft: Time-to-first-token target (e.g. "2 s"), or None.
            slo_itl: Inter-token latency target (e.g. "50 ms"), or None.
            precision: Weight and activation precision ("fp16", "fp8", ...).
            efficiency: Share of peak compute (None: the calibrated prefill/decode values).
            memory_efficiency: Share of peak bandwidth (None: the calibrated values).
            decode_hardware: The decode pool's accelerator (None: ``hardware``).
            fabric: The Systems.Fabrics link the KV cache crosses, one port per GPU (None: the
                scale-out fabric of the largest Zoo node of ``hardware``, ports shared by its
                GPUs).
            link_efficiency: Share of the link's bandwidth the transfer reaches, (0, 1];
                1 (the default) is the ideal link, so t_kv is a lower bound.
            block_size: Tokens per paged KV-cache block of the decode pool.
            memory_fraction: Share of accelerator memory a server may use.

        Returns:
            DisaggregatedServingResult: the split, each pool's capacity, TTFT, ITL, goodput per
            GPU, and colocated serving's goodput per GPU beside it.

        Raises:
            InputError: neither ``gpus`` nor both pool counts, a count that is not a multiple
                of its tp, too few GPUs for one replica of each pool, a value out of range.
        """
        from ..units import Quantity

        w = workload_figures(resolve_entry(model, "Models", "model"))
        chip = chip_figures(resolve_entry(hardware, "Hardware", "hardware"))
        decode_hw = hardware if decode_hardware is None else decode_hardware
        tp_p, tp_d = check_count(prefill_tp, "prefill_tp"), check_count(decode_tp, "decode_tp")
        for tp, name, hw in ((tp_p, "prefill_tp", hardware), (tp_d, "decode_tp", decode_hw)):
            path = chip_figures(resolve_entry(hw, "Hardware", name)).path
            node = largest_node(path)
            check_tensor_parallel(tp, w, per_node=node[0] if node else None,
                                  node=node[1] if node else "", name=name)
        eta_link = check_fraction(link_efficiency, "link_efficiency")
        splits = self._splits(gpus, prefill_gpus, decode_gpus, tp_p, tp_d)
        slo_t = check_quantity(slo_ttft, "s", "slo_ttft") if slo_ttft is not None else None
        slo_i = check_quantity(slo_itl, "s", "slo_itl") if slo_itl is not None else None
        options = dict(precision=precision, efficiency=efficiency,
                       memory_efficiency=memory_efficiency)

        prefill = ServingModel().solve(model, hardware, seq_len=input_tokens, batch_size=1,
                                       tp_size=tp_p, **options)
        fits_prefill = prefill.memory_per_gpu.m_as("B") <= check_fraction(
            memory_fraction, "memory_fraction") * chip.capacity
        t_p = float(prefill.ttft.m_as("s"))
        colocated = ContinuousBatchingModel().solve(
            model, decode_hw, input_tokens, output_tokens, tp_size=tp_d, slo_ttft=slo_ttft,
            slo_itl=slo_itl, block_size=block_size, memory_fraction=memory_fraction, **options)
        decode_room = ContinuousBatchingModel().solve(
            model, decode_hw, input_tokens, output_tokens, tp_size=tp_d, batch_size=1,
            block_size=block_size, memory_fraction=memory_fraction, **options)
        concurrency = decode_room.max_concurrency

        kv_bytes = transformer.kv_cache_size(w.kv_values_per_token * activation_bytes(precision),
                                             input_tokens, 1)
        link_bw, link_lat, link_text = kv_link(chip, fabric, eta_link)
        shard = kv_bytes / min(transformer.kv_cache_shards(tp_p, w.kv_heads),
                               transformer.kv_cache_shards(tp_d, w.kv_heads))
        t_kv = shard / link_bw + link_lat

        costs = PhaseCosts(model, decode_hw, precision, efficiency, tp_d,
                           memory_efficiency=memory_efficiency)
        context = input_tokens + output_tokens // 2
        out = decode_room.output_tokens

        def itl(batch: int) -> float:
            return costs.decode(batch, context).total + t_kv / (out - 1)

        meets_ttft = slo_t is None or t_p <= slo_t
        batch = largest_batch(lambda b: slo_i is None or itl(b) <= slo_i, concurrency) \
            if meets_ttft else 0
        feasible = bool(fits_prefill and concurrency >= 1)
        t_d = costs.decode(max(batch, 1), context).total

        def rate(split: tuple[int, int]) -> float:
            return pool_goodput(split[0] // tp_p, split[1] // tp_d, t_p, batch, t_d, out) \
                if feasible else 0.0

        best = max(splits, key=lambda split: (rate(split), -split[0]))
        n_p, n_d = best
        goodput = rate(best)
        total = n_p + n_d if gpus is None else gpus  # GPUs left over by the tp rounding idle
        colo_rate = (total // tp_d) * float(colocated.request_rate.m_as("1/s")) \
            if colocated.feasible and colocated.meets_slo and colocated.batch_size else 0.0
        per_gpu, colo_per_gpu = goodput / total, colo_rate / total
        gain = per_gpu / colo_per_gpu if colo_per_gpu else (math.inf if per_gpu else math.nan)

        trace = [line for line in prefill.constraint_trace if line.startswith("Efficiency")]
        trace += [
            f"Prefill pool: {n_p} GPUs = {n_p // tp_p} replica(s) of tp {tp_p}; one "
            f"{input_tokens}-token prompt t_p = {si(t_p, 's')} -> "
            f"{number((n_p // tp_p) / t_p)} requests/s"
            + ("" if fits_prefill else f"; memory wall: needs {si(prefill.memory_per_gpu.m_as('B'), 'B')} per GPU"),
            f"KV transfer: {si(kv_bytes, 'B')} per prompt, {si(shard, 'B')} per GPU over "
            f"{si(link_bw, 'B/s')} ({link_text}) -> t_kv = {si(t_kv, 's')}",
            f"Decode pool: {n_d} GPUs = {n_d // tp_d} replica(s) of tp {tp_d}; KV cache holds "
            f"{number(concurrency)} requests; largest batch with ITL = t_d(B) + t_kv / (O-1)"
            + (f" <= {si(slo_i, 's')}" if slo_i is not None else "") + f": B_d = {batch}"
            + (f", t_d = {si(t_d, 's')}, ITL {si(itl(batch), 's')}" if batch else ""),
            f"Goodput: min(prefill, decode) = {number(goodput)} requests/s on {total} GPUs = "
            f"{number(per_gpu)} per GPU; colocated (ContinuousBatchingModel, tp {tp_d}, "
            f"{total // tp_d} replica(s)) {number(colo_per_gpu)} per GPU",
        ]
        if len(splits) > 1:
            trace.append(f"Best of {len(splits)} splits of {gpus} GPUs: {n_p} prefill + {n_d} "
                         "decode")
        if not meets_ttft:
            trace.append(f"TTFT SLO wall: the prefill alone takes {si(t_p, 's')} > "
                         f"{si(slo_t, 's')}; raise prefill_tp or relax the SLO")
        elif batch == 0 and feasible:
            trace.append(f"ITL SLO wall: even batch 1 gives ITL {si(itl(1), 's')} > "
                         f"{si(slo_i, 's')}; raise decode_tp, use a faster link or relax the SLO")
        if not feasible:
            walls = ([f"a prefill replica needs {si(prefill.memory_per_gpu.m_as('B'), 'B')} per "
                      f"GPU, {si(memory_fraction * chip.capacity, 'B')} usable"]
                     if not fits_prefill else [])
            walls += ["a decode replica's KV cache holds no request"] if concurrency < 1 else []
            trace.append(f"Memory wall: {'; '.join(walls)}; raise prefill_tp/decode_tp or use a "
                         "lower precision")
        nan = Quantity(math.nan, "s")
        return DisaggregatedServingResult(
            feasible=feasible, meets_slo=bool(feasible and meets_ttft and batch >= 1),
            prefill_gpus=n_p, decode_gpus=n_d, prefill_replicas=n_p // tp_p,
            decode_replicas=n_d // tp_d, prefill_time=Quantity(t_p, "s"),
            kv_transfer_bytes=Quantity(kv_bytes, "B"), kv_transfer_time=Quantity(t_kv, "s"),
            decode_batch=batch,
            decode_step_time=Quantity(t_d, "s") if batch else nan,
            ttft=Quantity(t_p, "s"), itl=Quantity(itl(batch), "s") if batch else nan,
            prefill_capacity=Quantity((n_p // tp_p) / t_p, "1/s"),
            decode_capacity=Quantity((n_d // tp_d) * batch / ((out - 1) * t_d), "1/s"),
            goodput=Quantity(goodput, "1/s"), goodput_per_gpu=Quantity(per_gpu, "1/s"),
            token_throughput=Quantity(goodput * out, "token/s"),
            colocated_goodput_per_gpu=Quantity(colo_per_gpu, "1/s"), goodput_gain=gain,
            input_tokens=input_tokens, output_tokens=out, constraint_trace=tuple(trace))

    @staticmethod
    def _splits(gpus, prefill_gpus, decode_gpus, tp_p, tp_d) -> list[tuple[int, int]]:
        """The (prefill, decode) GPU counts to evaluate."""
        if gpus is not None:
            if prefill_gpus is not None or decode_gpus is not None:
                raise InputError("give either gpus (to search the split) or prefill_gpus and "
                                 f"decode_gpus, not both; got gpus={gpus}, prefill_gpus="
                                 f"{prefill_gpus}, decode_gpus={decode_gpus}",
                                 name="gpus", value=gpus)
            total = check_count(gpus, "gpus")
            if total < tp_p + tp_d:
                raise InputError(f"gpus={total} is fewer than one prefill replica ({tp_p}) plus "
                                 f"one decode replica ({tp_d}); use gpus >= {tp_p + tp_d}",
                                 name="gpus", value=total)
            return [(n_p, (total - n_p) // tp_d * tp_d)
                    for n_p in range(tp_p, total - tp_d + 1, tp_p)]
        if prefill_gpus is None or decode_gpus is None:
            raise InputError("give gpus (the total, to search the best split) or both "
                             "prefill_gpus and decode_gpus; e.g. gpus=8 or prefill_gpus=2, "
                             "decode_gpus=6", name="gpus", value=None)
        split = []
        for count, tp, name in ((prefill_gpus, tp_p, "prefill_gpus"),
                                (decode_gpus, tp_d, "decode_gpus")):
            count = check_count(count, name)
            if count % tp:
                raise InputError(f"{name}={count} is not a multiple of its tensor-parallel size "
                                 f"{tp}; use a multiple such as {max(tp, count // tp * tp)}",
                                 name=name, value=count)
            split.append(count)
        return [tuple(split)]
