"""Training over a fleet: data, tensor, pipeline, context and expert parallelism, and where
each group's ranks sit (rank placement)."""

from __future__ import annotations

import math
from typing import Any

from ..engine.checks import (check_context, check_count, check_flag, check_fraction, check_share,
                             check_tensor_parallel, peak_for, resolve_entry, show)
from ..engine.engine import Engine, default_seq_len
from ..engine.profile import PerformanceProfile
from ..engine.figures import chip_figures, workload_figures
from ..engine.passes import sequence_flops
from ..engine.precision import activation_bytes, bytes_per_value, optimizer_bytes
from ..walls import binding_line
from ..formatting import number, si
from ..errors import InputError
from ..physics import communication, memory, pipeline, roofline, transformer
from pydantic import Field

from .base import ForwardModel, Quantity, SolverResult
from .serving import TP_ALLREDUCES_PER_LAYER

#: Tensor parallelism all-reduces in forward and backward: twice the forward count.
TP_ALLREDUCES_PER_LAYER_TRAINING = 2 * TP_ALLREDUCES_PER_LAYER
#: Full activation recomputation reruns the forward, and with it the forward's all-reduces
#: (Korthikanti et al., "Reducing Activation Recomputation in Large Transformer Models", 2022,
#: section 4.2.2: six all-reduces per layer instead of four).
TP_ALLREDUCES_PER_LAYER_RECOMPUTE = 3 * TP_ALLREDUCES_PER_LAYER
#: A mixture-of-experts layer dispatches and combines tokens (2 all-to-alls) in forward and
#: again in backward (Lepikhin et al., "GShard", 2020).
EP_ALLTOALLS_PER_MOE_LAYER = 4
ALGORITHMS = ("ring", "tree", "hierarchical")
#: Training stacks (Megatron, NeMo, PyTorch SDPA) use FlashAttention by default, so the
#: s x s attention scores are not kept for the backward pass.
FLASH_ATTENTION = True
#: Context parallelism passes every rank's K/V chunk round the cp ring once in the forward; the
#: backward gathers the K/V again and reduce-scatters their gradients: two more passes
#: (Megatron-Core context_parallel docs: "all-gather ... in forward", "reduce-scatter ... in
#: backward", "gathers KV again in backward").
CP_RING_PASSES_PER_LAYER_TRAINING = 3
#: Full recomputation reruns the forward, and with it the forward's K/V pass.
CP_RING_PASSES_PER_LAYER_RECOMPUTE = 4
#: Placement axes: tensor, context, pipeline and data parallelism (experts shard inside dp).
PLACEMENT_AXES = ("tp", "cp", "pp", "dp")
#: Where ranks go unless told: tp innermost, then cp, then pp, with dp outermost. This is what
#: the solver assumed before ``placement`` existed, and Megatron-LM's "tp-cp-ep-pp-dp" order
#: (``--use-tp-pp-dp-mapping``); Megatron's own default is "tp-cp-ep-dp-pp", pp outermost,
#: which ``placement="tp-cp-dp-pp"`` gives (megatron/core/parallel_state.py,
#: ``initialize_model_parallel(order=...)``).
DEFAULT_PLACEMENT = "tp-cp-pp-dp"


class DistributedResult(SolverResult):
    """One training step of a transformer over a fleet: time, its parts, throughput, memory."""

    solver = "DistributedModel"

    step_latency_total: Quantity = Field(description="One training step (s): compute + pipeline "
                                                     "bubble + exposed communication.")
    compute_latency: Quantity = Field(description="Compute of the step on each accelerator (s), "
                                                  "stretched by an uneven pipeline split.")
    communication_latency: Quantity = Field(description="Communication the step waits for (s): "
                                                        "exposed data-parallel + tensor + "
                                                        "pipeline + expert + exposed context.")
    dp_communication_latency: Quantity = Field(description="Data-parallel gradient all-reduce "
                                                           "over dp x cp ranks (s), before "
                                                           "overlap with backward.")
    tp_communication_latency: Quantity = Field(description="Tensor-parallel all-reduces (s).")
    pp_communication_latency: Quantity = Field(description="Pipeline point-to-point transfers "
                                                           "(s).")
    ep_communication_latency: Quantity = Field(description="Expert-parallel all-to-alls (s).")
    cp_communication_latency: Quantity = Field(description="Context-parallel K/V ring exchanges "
                                                           "(s), before overlap with attention "
                                                           "compute.")
    cp_exposed_latency: Quantity = Field(description="Context-parallel K/V exchanges the step "
                                                     "waits for (s): what the attention blocks "
                                                     "computed meanwhile do not hide.")
    pipeline_bubble_latency: Quantity = Field(description="Pipeline bubble (s): (p-1)/(v m) of "
                                                          "compute.")
    scaling_efficiency: float = Field(description="compute_latency / step_latency_total: the "
                                                  "share of the step spent computing.")
    effective_throughput: Quantity = Field(description="Training tokens per second (token/s).")
    samples_per_second: Quantity = Field(description="Sequences per second (sample/s).")
    mfu: float = Field(description="Model FLOPs utilization: 6N FLOPs per token / (step x "
                                   "accelerators x peak).")
    memory_per_rank: Quantity = Field(description="What one accelerator holds (B): weights, "
                                                  "gradients and optimizer state after ZeRO, "
                                                  "plus activations.")
    feasible: bool = Field(description="Whether memory_per_rank fits in one accelerator.")
    parallelism: dict[str, int] = Field(description="The layout: dp, tp, pp, ep, cp, "
                                                    "microbatches, microbatch_size, interleave.")
    node_profile: PerformanceProfile = Field(description="Engine.solve of one microbatch on one "
                                                         "accelerator.")


class DistributedModel(ForwardModel):
    """One training step of a transformer over a fleet."""

    name = "DistributedModel"

    def solve(self, model: Any, fleet: Any, batch_size: int, precision: str = "fp16",
              efficiency: float | None = None, tp_size: int = 1, pp_size: int = 1, ep_size: int = 1,
              microbatch_count: int = 1, zero_stage: int = 0,
              activation_recomputation: bool = False, seq_len: int | None = None, *,
              interleave: int = 1, allreduce: str = "hierarchical",
              overlap: float = 0.0, cp_size: int = 1,
              placement: str = DEFAULT_PLACEMENT) -> DistributedResult:
        """Step time, communication, pipeline bubble, scaling efficiency and memory per rank.

        The fleet's N accelerators split into data-parallel groups of tp x cp x pp ranks,
        dp = N / (tp cp pp); experts shard over ``ep_size`` ranks of the data-parallel group::

            T_step   = T_compute + T_bubble + T_comm
            T_compute = 6 N_params tokens / (N eta P)        (8 N_params with recomputation)
            T_bubble = T_compute (p - 1) / (v m)
            T_comm   = exposed(T_dp, overlap) + T_tp + T_pp + T_ep + exposed(T_cp)
            MFU      = 6 N_params tokens / (T_step N P)

        Context parallelism (Megatron-Core ``context_parallel_size``; Liu et al., "Ring
        Attention", 2023) splits each sequence into cp chunks of s/cp tokens. Weights are
        replicated over cp, so the gradient all-reduce runs over dp x cp ranks (Megatron
        "piggybacks" cp on the data-parallel group), and ZeRO shards over the same dp x cp
        ranks. Every activation, and each tensor, pipeline and expert message, is 1/cp as
        large. Attention needs every chunk's K and V: per layer and microbatch the K/V chunk,
        S = b s/cp x 2 n_kv d_head x bytes / min(tp, n_kv) on each tensor-parallel rank (the
        K/V values per token per layer as the KV cache counts them; for MLA that is the
        cached latent, a lower bound where an implementation sends the up-projected K/V),
        goes (cp-1) steps round the ring in the forward and twice more in the backward (K/V
        again, and their gradients; once more with recomputation)::

            T_cp = passes x L_stage x m x (cp-1) (alpha + S / BW)

        Overlap (a choice): the next K/V chunk does not depend on the block being computed,
        so each ring step travels while the attention block of the chunk in hand is computed
        (Ring Attention's design: Liu et al. overlap the key-value block transfers with the
        blockwise attention). The first of a rank's cp blocks hides nothing; the other cp-1
        hide their compute time: exposed(T_cp) = max(0, T_cp - (cp-1)/cp x T_attention), with
        T_attention this rank's share of the attention-score FLOPs (forward and backward) at
        the step's efficiency. Tensor-parallel all-reduces stay exposed, as before: the next
        matmul needs their sum. ``overlap`` is not used for cp: it is the share of backward
        compute that hides the gradient all-reduce, a different stream. Causal attention is
        taken as load-balanced over the chunks (Megatron-Core's context parallelism balances
        the causal mask's work over the GPUs).

        Placement: ranks are numbered with the axes of ``placement`` varying innermost first,
        and a node holds ``accelerators_per_node`` consecutive ranks. A group lies in one node,
        and uses the scale-up link, when its ranks' span (its size times the sizes of the
        axes inside it) fits in a node; otherwise it pays the scale-out fabric. The
        data-parallel all-reduce counts how many of its dp x cp ranks share a node for the
        hierarchical algorithm. Experts (ep) shard inside dp, innermost.

        Args:
            model: A transformer (a ``Models`` entry or its name).
            fleet: A ``Systems.Clusters`` or ``Systems.Nodes`` entry, or a
                ``mlsysim.systems.Fleet``.
            batch_size: Global batch in sequences; a multiple of dp x ``microbatch_count``.
            precision: Weights and math precision the accelerator lists a peak for.
            efficiency: Share of peak compute in (0, 1]; None takes the calibrated training
                value (``Literature.Calibration.TrainingComputeEfficiency``), cited in the trace.
            tp_size: Tensor-parallel ranks, inside one node.
            pp_size: Pipeline stages.
            ep_size: Expert-parallel ranks (mixture-of-experts models), dividing dp.
            microbatch_count: Microbatches per replica per step (m).
            zero_stage: ZeRO sharding of optimizer state (1), gradients (2) and weights (3).
            activation_recomputation: Recompute the forward in the backward pass.
            seq_len: Tokens per sequence; None takes the calibrated training length (2048) or
                the model's context if shorter.
            interleave: Pipeline chunks per stage (v).
            allreduce: Gradient all-reduce: "ring", "tree" or "hierarchical".
            overlap: Share of backward compute that hides the gradient all-reduce, in [0, 1].
            cp_size: Context-parallel ranks: each holds seq_len / cp_size tokens of every
                sequence; must divide seq_len.
            placement: The order ranks are laid out in, innermost first, as the axes tp, cp,
                pp and dp joined by "-" (cp may be left out when cp_size is 1). Default
                "tp-cp-pp-dp".

        Returns:
            DistributedResult: step time and its parts, throughput, MFU, memory per rank,
            ``feasible``, the layout and the constraint trace.

        Raises:
            InputError: sizes that do not divide the fleet, the batch, the layers or the
                sequence; a value out of range; a placement that does not name each axis once.
        """
        from ..systems.fleet import Fleet, as_fleet
        from ..units import Quantity as Q

        if not isinstance(fleet, Fleet):
            fleet = as_fleet(fleet)
        if not isinstance(fleet, Fleet):
            raise InputError(f"fleet must be a Systems.Clusters entry, a Systems.Nodes entry or "
                             f"a Fleet, got {fleet.hardware.path} (stand-alone devices); build "
                             "one with mlsysim.systems.Fleet(node=..., count=...)",
                             name="fleet", value=fleet.hardware.path)
        model = resolve_entry(model, "Models", "model")
        w = workload_figures(model)
        if w.kind == "per_sample":
            raise InputError(f"DistributedModel models transformer training; {w.name} is not a "
                             "transformer", name="model", value=w.path)
        accelerator = fleet.accelerator
        chip = chip_figures(accelerator)
        global_batch = check_count(batch_size)
        tp, pp, ep = (check_count(tp_size, "tp_size"), check_count(pp_size, "pp_size"),
                      check_count(ep_size, "ep_size"))
        cp = check_count(cp_size, "cp_size")
        order = placement_order(placement, cp)
        m = check_count(microbatch_count, "microbatch_count")
        v = check_count(interleave, "interleave")
        seq = (default_seq_len(w) if seq_len is None
               else check_context(check_count(seq_len, "seq_len"), w))
        from ..engine import calibration

        cited = calibration.cited("training", efficiency is None, False, precision)
        eta = check_fraction(calibration.efficiency_for("training", precision)[0]
                             if efficiency is None
                             else efficiency, "efficiency")
        overlap = check_share(overlap, "overlap", "the share of backward compute that hides "
                              "the gradient all-reduce", "0.5")
        activation_recomputation = check_flag(activation_recomputation,
                                              "activation_recomputation")
        if isinstance(zero_stage, bool) or zero_stage not in (0, 1, 2, 3):
            raise InputError(f"zero_stage must be 0, 1, 2 or 3, got {show(zero_stage)}",
                             name="zero_stage", value=zero_stage)
        if not isinstance(allreduce, str) or allreduce not in ALGORITHMS:
            raise InputError(f"allreduce must be one of {', '.join(ALGORITHMS)}, got "
                             f"{show(allreduce)}", name="allreduce", value=allreduce)
        if seq % cp:
            raise InputError(f"cp_size={cp} does not divide seq_len={seq}: context parallelism "
                             f"gives each rank seq_len / cp_size tokens; use a cp_size that "
                             f"divides {seq}, such as {_largest_divisor_at_most(seq, cp)}",
                             name="cp_size", value=cp)
        n = fleet.total_accelerators
        if n % (tp * pp * cp):
            sizes = "tp_size x pp_size" + (" x cp_size" if cp > 1 else "")
            raise InputError(f"{sizes} = {tp * pp * cp} does not divide the fleet's {n} "
                             "accelerators; choose sizes whose product divides it",
                             name="cp_size" if cp > 1 else "tp_size", value=cp if cp > 1 else tp)
        dp = n // (tp * pp * cp)
        if dp % ep:
            raise InputError(f"ep_size={ep} does not divide the data-parallel size {dp}",
                             name="ep_size", value=ep)
        check_tensor_parallel(tp, w, per_node=fleet.accelerators_per_node,
                              node=fleet.node.path or fleet.node.name)
        if global_batch % (dp * m):
            raise InputError(f"global batch {global_batch} does not split into dp={dp} replicas "
                             f"x {m} microbatches; use a multiple of {dp * m}",
                             name="batch_size", value=global_batch)
        if pp * v > w.layers:
            raise InputError(f"{w.name} has {w.layers} layers, fewer than pp_size x interleave "
                             f"= {pp * v} pipeline chunks; use a smaller pp_size",
                             name="pp_size", value=pp)
        # Layers that do not divide evenly: the busiest chunk sets the pipeline's pace.
        chunk_layers = math.ceil(w.layers / (pp * v))
        stage_layers = chunk_layers * v
        imbalance = stage_layers * pp / w.layers
        peak, rate_unit = peak_for(chip, precision)
        weight_b = bytes_per_value(precision)
        act_b = activation_bytes(precision)
        opt_b = optimizer_bytes(precision)
        micro = global_batch // (dp * m)  # sequences per microbatch per replica

        # Compute: the step's training FLOPs shared evenly by all accelerators.
        tokens = global_batch * seq
        forward = sequence_flops(w, tokens, seq)
        step_flops = transformer.training_flops(forward)  # model FLOPs (6N), what MFU counts
        executed_flops = transformer.training_flops(forward, activation_recomputation)
        t_compute = float(roofline.compute_time(executed_flops / n, peak, eta)) * imbalance
        t_bubble = t_compute * pipeline.pipeline_bubble_fraction(pp, m, v)

        # Communication.
        intra_bw, intra_lat = fleet.intra_node_bandwidth_per_accelerator(), fleet.intra_node_latency()
        inter_bw, inter_lat = fleet.inter_node_bandwidth_per_accelerator(), fleet.inter_node_latency()
        per_node = fleet.accelerators_per_node
        share, room = node_share(order, {"tp": tp, "cp": cp, "pp": pp, "dp": dp}, per_node)
        in_node = {axis: share[axis] == size for axis, size in
                   (("tp", tp), ("cp", cp), ("pp", pp), ("dp", dp))}
        in_node["ep"] = ep <= room["dp"]  # experts shard inside dp, innermost

        def link(axis: str) -> tuple[float, float]:
            if in_node[axis]:
                return intra_bw, intra_lat
            if math.isnan(inter_bw):
                raise InputError(f"the {axis} groups span several nodes but the fleet has no "
                                 "scale-out fabric; give Fleet(fabric=...)", name="fleet",
                                 value=fleet)
            return inter_bw, inter_lat

        chunk = seq // cp  # tokens of each sequence on one rank
        grad_bytes = w.parameters * weight_b / (tp * pp)
        replicas = dp * cp  # weights are replicated over dp and cp alike
        dp_in_node = share["dp"] * share["cp"]
        dp_nodes = max(1, replicas // dp_in_node)
        if replicas == 1:
            t_dp = 0.0
        elif dp_nodes == 1:
            t_dp = communication.ring_allreduce_time(grad_bytes, replicas, intra_bw, intra_lat)
        elif math.isnan(inter_bw):
            raise InputError("the fleet spans several nodes but has no scale-out fabric; give "
                             "Fleet(fabric=...)", name="fleet", value=fleet)
        elif allreduce == "hierarchical" and dp_in_node > 1:
            t_dp = communication.hierarchical_allreduce_time(
                grad_bytes, dp_in_node, dp_nodes, intra_bw, intra_lat, inter_bw, inter_lat)
        elif allreduce == "tree":
            t_dp = communication.tree_allreduce_time(grad_bytes, replicas, inter_bw, inter_lat)
        else:
            t_dp = communication.ring_allreduce_time(grad_bytes, replicas, inter_bw, inter_lat)
        t_dp = float(communication.zero_data_parallel_time(t_dp, zero_stage))
        t_tp = 0.0
        if tp > 1:
            message = micro * chunk * w.hidden_dim * act_b
            per_layer = (TP_ALLREDUCES_PER_LAYER_RECOMPUTE if activation_recomputation
                         else TP_ALLREDUCES_PER_LAYER_TRAINING)
            t_tp = float(per_layer * stage_layers * m
                         * communication.ring_allreduce_time(message, tp, *link("tp")))
        t_pp = 0.0
        if pp > 1:
            boundary = micro * chunk * w.hidden_dim * act_b
            t_pp = float(pipeline.pipeline_p2p_time(
                m, v, communication.point_to_point_time(boundary, *link("pp"))))
        t_ep = 0.0
        moe = model.experts is not None
        if ep > 1 and moe:
            # Each token goes to its top-k experts, so k copies of its activations travel.
            message = micro * chunk * w.hidden_dim * act_b * model.active_experts
            t_ep = float(EP_ALLTOALLS_PER_MOE_LAYER * stage_layers * m
                         * communication.alltoall_time(message, ep, *link("ep")))
        t_cp = exposed_cp = kv_chunk = 0.0
        cp_passes = (CP_RING_PASSES_PER_LAYER_RECOMPUTE if activation_recomputation
                     else CP_RING_PASSES_PER_LAYER_TRAINING)
        if cp > 1:
            # K and V of this rank's tokens, one layer, its tensor-parallel share of the heads.
            kv_chunk = (micro * chunk * w.kv_values_per_token / w.layers * act_b
                        / transformer.kv_cache_shards(tp, w.kv_heads))
            t_cp = float(cp_passes * stage_layers * m
                         * communication.ring_exchange_time(kv_chunk, cp, *link("cp")))
            # The attention-score part of the step's FLOPs, this rank's share of it.
            attention = transformer.training_flops(forward - w.flops_per_token * tokens,
                                                   activation_recomputation)
            t_attention = float(roofline.compute_time(attention / n, peak, eta)) * imbalance
            exposed_cp = float(pipeline.exposed_communication(
                t_cp, t_attention * (cp - 1) / cp, 1.0))
        exposed_dp = float(pipeline.exposed_communication(t_dp, t_compute * 2 / 3, overlap))
        t_comm = exposed_dp + t_tp + t_pp + t_ep + exposed_cp
        step = t_compute + t_bubble + t_comm
        efficiency_scaling = t_compute / step

        # Memory per rank.
        params_rank = w.parameters / (tp * pp)
        if moe and ep > 1:
            params_rank = params_rank * (1 - (1 - 1 / ep) * _expert_share(model))
        state = memory.zero_sharded_state_memory(params_rank, weight_b, opt_b, replicas,
                                                 zero_stage)
        in_flight = min(pp, m)
        # Each rank keeps the activations of its s/cp tokens (with FlashAttention they are
        # linear in s; without it each query row still holds s scores, so 1/cp either way).
        activations = stage_layers * in_flight * transformer.activation_memory_per_layer(
            seq, micro, w.hidden_dim, w.heads, tp, activation_recomputation,
            flash_attention=FLASH_ATTENTION) * (act_b / 2) / cp
        per_rank = state + activations
        feasible = per_rank <= chip.capacity

        node_profile = Engine.solve(model, accelerator, batch_size=micro, precision=precision,
                                    efficiency=eta, is_training=True, seq_len=seq)
        trace = [
            *(["Efficiency: the calibrated class value " + cited[0]] if cited else []),
            f"Parallelism: {n} accelerators = dp {dp} x tp {tp} x pp {pp}"
            + (f" x cp {cp}" if cp > 1 else "")
            + (f" (experts over ep {ep})" if ep > 1 else "")
            + f"; {m} microbatch(es) of {micro} sequence(s) x {seq} tokens per replica"
            + (f", {chunk} of them on each context-parallel rank" if cp > 1 else ""),
            _placement_line(order, per_node, in_node, share, dp_in_node, dp_nodes,
                            {"tp": tp, "cp": cp, "pp": pp, "dp": dp, "ep": ep}),
            f"Compute: {si(executed_flops, 'FLOP')}"
            + (" (8N per token: the forward is recomputed)" if activation_recomputation else "")
            + f" / {n} at {eta:.0%} of {si(peak, rate_unit)} = {si(t_compute, 's')}",
            *([f"Uneven pipeline: {w.layers} layers over {pp * v} chunks, the busiest holds "
               f"{chunk_layers}, so compute is stretched by {number(imbalance)}"]
              if imbalance > 1 else []),
            f"Pipeline bubble: (p-1)/(v m) = {pp - 1}/({v}x{m}) of compute = {si(t_bubble, 's')}",
            f"Data-parallel all-reduce ({allreduce if dp_nodes > 1 else 'ring, in node'}) of "
            f"{si(grad_bytes, 'B')} over {replicas} ranks" + (" (dp x cp)" if cp > 1 else "")
            + (" (x1.5 for ZeRO-3's weight all-gathers)" if zero_stage == 3 and dp > 1 else "")
            + f": {si(t_dp, 's')}, exposed {si(exposed_dp, 's')}",
            f"Tensor-parallel all-reduces: {si(t_tp, 's')}; pipeline transfers: {si(t_pp, 's')}"
            + (f"; expert all-to-alls: {si(t_ep, 's')}" if t_ep else ""),
            *([f"Context-parallel K/V ring: {cp_passes} passes (forward, backward x2"
               + (", recomputed forward" if activation_recomputation else "")
               + f") x {cp - 1} exchange(s) of {si(kv_chunk, 'B')} per layer and microbatch over "
               + ("the scale-up link" if in_node["cp"] else "the scale-out fabric")
               + f": {si(t_cp, 's')}, of which the attention blocks computed meanwhile hide "
               f"{si(t_cp - exposed_cp, 's')}; exposed {si(exposed_cp, 's')}"] if cp > 1 else []),
            f"Step: {si(step, 's')}; scaling efficiency {efficiency_scaling:.1%}",
            ("Memory fits: " if feasible else "Memory wall: ")
            + f"needs {si(per_rank, 'B')} per rank (state {si(state, 'B')} with ZeRO-{zero_stage},"
            f" activations {si(activations, 'B')}"
            + (", recomputed" if activation_recomputation else "")
            + f"), has {si(chip.capacity, 'B')}",
        ]
        parts = {"compute": t_compute, "communication": t_comm, "pipeline bubble": t_bubble}
        largest = max(parts, key=parts.get)
        trace.append(binding_line("memory", "a rank's state and activations do not fit")
                     if not feasible else
                     binding_line("compute" if largest == "compute" else "communication",
                                  f"{largest} is the largest part of the step"))
        return DistributedResult(
            step_latency_total=Q(step, "s"), compute_latency=Q(t_compute, "s"),
            communication_latency=Q(t_comm, "s"), dp_communication_latency=Q(t_dp, "s"),
            tp_communication_latency=Q(t_tp, "s"), pp_communication_latency=Q(t_pp, "s"),
            ep_communication_latency=Q(t_ep, "s"), cp_communication_latency=Q(t_cp, "s"),
            cp_exposed_latency=Q(exposed_cp, "s"), pipeline_bubble_latency=Q(t_bubble, "s"),
            scaling_efficiency=efficiency_scaling,
            effective_throughput=Q(tokens / step, "token/s"),
            samples_per_second=Q(global_batch / step, "sample/s"),
            mfu=float(step_flops / (step * n * peak)), memory_per_rank=Q(per_rank, "B"),
            feasible=bool(feasible),
            parallelism={"dp": dp, "tp": tp, "pp": pp, "ep": ep, "cp": cp, "microbatches": m,
                         "microbatch_size": micro, "interleave": v},
            node_profile=node_profile, constraint_trace=tuple(trace))


def placement_order(placement: Any, cp: int = 1) -> tuple[str, ...]:
    """The axes of ``placement`` ("tp-cp-pp-dp", innermost first) as a tuple, cp appended when
    left out at cp = 1; an ``InputError`` naming the problem otherwise."""
    example = f"use the axes {', '.join(PLACEMENT_AXES)} once each, innermost first, joined by " \
              f"'-', e.g. placement=\"{DEFAULT_PLACEMENT}\""
    if not isinstance(placement, str):
        raise InputError(f"placement must be a string such as \"{DEFAULT_PLACEMENT}\", got "
                         f"{show(placement)}", name="placement", value=placement)
    names = [name.strip().lower() for name in placement.split("-")]
    for name in names:
        if name not in PLACEMENT_AXES:
            hint = (" (experts shard inside dp, so ep is not placed on its own)" if name == "ep"
                    else "")
            raise InputError(f"placement {placement!r} names an unknown axis {name!r}{hint}; "
                             + example, name="placement", value=placement)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"placement {placement!r} repeats {', '.join(repeated)}; " + example,
                         name="placement", value=placement)
    missing = [axis for axis in PLACEMENT_AXES if axis not in names
               and not (axis == "cp" and cp == 1)]
    if missing:
        raise InputError(f"placement {placement!r} leaves out {', '.join(missing)}"
                         + (f" (cp_size={cp})" if "cp" in missing else "") + "; " + example,
                         name="placement", value=placement)
    return tuple(names) if "cp" in names else (*names, "cp")


def node_share(order: tuple[str, ...], sizes: dict[str, int],
               per_node: int) -> tuple[dict[str, int], dict[str, int]]:
    """How many of each axis's ranks one node holds, and the room left at that axis.

    Ranks are numbered with the axes of ``order`` varying innermost first, and a node holds
    ``per_node`` consecutive ranks. At axis a, with I_a the product of the sizes inside it,
    room_a = floor(per_node / I_a) copies of the inner block fit in a node, so a node holds
    share_a = min(size_a, max(1, room_a)) of a's ranks. A group of a lies in one node when
    share_a = size_a, i.e. size_a x I_a <= per_node; a group over several axes has the product
    of their shares in one node (first order: exact when the sizes divide the node).
    """
    share, room = {}, {}
    inner = 1
    for axis in order:
        room[axis] = per_node // inner
        share[axis] = min(sizes[axis], max(1, room[axis]))
        inner *= sizes[axis]
    return share, room


def _largest_divisor_at_most(value: int, limit: int) -> int:
    """The largest divisor of ``value`` not above ``limit`` (a suggestion for an error)."""
    return max(d for d in range(1, min(value, limit) + 1) if value % d == 0)


def _placement_line(order, per_node, in_node, share, dp_in_node, dp_nodes, sizes) -> str:
    """The trace line saying which link each parallel group uses."""
    where = {True: "in one node (scale-up link)", False: "across nodes (scale-out fabric)"}
    groups = [f"{axis} {sizes[axis]} {where[in_node[axis]]}" for axis in ("tp", "cp", "pp", "ep")
              if sizes[axis] > 1]
    replicas = sizes["dp"] * sizes["cp"]
    if replicas > 1:
        label = "data-parallel dp x cp" if sizes["cp"] > 1 else "dp"
        groups.append(f"{label} {replicas} " + (where[True] if dp_nodes == 1 else
                                                 f"over {dp_nodes} nodes, {dp_in_node} a node"))
    return (f"Placement {'-'.join(order)} (innermost first; {per_node} accelerators a node): "
            + ("; ".join(groups) if groups else "every group has one rank"))


def _expert_share(model: Any) -> float:
    """Share of a MoE model's parameters in its routed experts: 1 - active/total, approximately.

    The Zoo stores total and active parameters; the routed experts hold the difference scaled
    by E/(E-k). First-order, assuming all non-expert parameters are active.
    """
    total = float(model.parameters.m_as("param"))
    active = float(model.active_parameters.m_as("param")) if model.active_parameters else total
    e, k = model.experts, model.active_experts
    expert_params = (total - active) * e / (e - k) if e > k else 0.0
    return min(1.0, expert_params / total)
