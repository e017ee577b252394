"""Mixture-of-experts routing: how skewed routing loads experts, what a capacity factor drops,
and what the expert all-to-alls carry per token. Closed form, on :mod:`mlsysim.physics.moe`."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from ..engine.checks import check_count, is_number, resolve_entry
from ..engine.precision import activation_bytes
from ..errors import InputError, shown
from ..formatting import number, si
from ..physics import moe
from .base import ForwardModel, Quantity, SolverResult

#: All-to-alls per MoE layer in a forward pass: dispatch tokens to experts, combine outputs
#: (Lepikhin et al., "GShard", 2021, section 2.2).
ALL_TO_ALLS_PER_LAYER = 2

#: Largest Zipf exponent accepted: past it the top expert's share is 1 to float precision.
MAX_EXPONENT = 50.0


class MoERoutingResult(SolverResult):
    """Expert load, capacity and dropped tokens under skewed routing; all-to-all bytes."""

    solver = "MoERoutingModel"

    experts: int = Field(description="Routed experts per MoE layer E.")
    top_k: int = Field(description="Experts each token is routed to k.")
    load_imbalance: float = Field(description="Most-loaded expert's load over the mean load: "
                                              "E x max p_i (1 = balanced).")
    expert_shares: tuple[float, ...] = Field(description="Share of routed slots each expert "
                                                         "receives, most loaded first.")
    capacity_per_expert: float = Field(description="Token slots one expert accepts per batch: "
                                                   "cf x T k / E.")
    dropped_fraction: float = Field(description="Share of routed token slots dropped at the "
                                                "capacity factor: sum max(0, p_i - cf/E).")
    capacity_factor_for_no_drops: float = Field(description="Smallest capacity factor that "
                                                            "drops nothing: the load "
                                                            "imbalance.")
    all_to_all_bytes_per_token: Quantity = Field(description="Bytes one token sends in one "
                                                             "all-to-all: k x hidden x bytes "
                                                             "(B).")
    all_to_all_bytes_per_token_forward: Quantity = Field(
        description="Dispatch and combine over every MoE layer of one forward pass, per token "
                    "(B).")
    all_to_all_bytes_per_batch: Quantity = Field(description="The same for the batch's T "
                                                             "tokens (B).")


class MoERoutingModel(ForwardModel):
    """Load imbalance, token dropping and all-to-all volume of mixture-of-experts routing."""

    name = "MoERoutingModel"

    def solve(self, model: Any, tokens: int, capacity_factor: float = 1.0,
              skew: float = 0.0, precision: str = "bf16",
              moe_layers: int | None = None) -> MoERoutingResult:
        """Route ``tokens`` of a batch through a model's experts, each token to its top k of E.

        Skewed routing is a Zipf law of exponent a over experts ranked by load (a = 0 is
        balanced); an expert accepts cf x T k / E slots and drops the rest (Switch
        Transformer); each MoE layer dispatches and combines every token's k copies::

            p_i       = i^-a / sum_j j^-a
            imbalance = E max_i p_i
            dropped   = sum_i max(0, p_i - cf / E)
            V_token   = k x h x b        (per all-to-all; 2 per MoE layer forward)

        Args:
            model: A mixture-of-experts language model (a ``Models`` entry or its name) that
                lists its experts and routed experts per token.
            tokens: Tokens T in the routed batch (per data-parallel rank).
            capacity_factor: Slots per expert over the balanced share (1 = exactly T k / E).
            skew: Zipf exponent a of the routing distribution, >= 0 (0 = balanced).
            precision: Precision of the activations sent (their bytes b).
            moe_layers: MoE layers; None counts every layer as one (the Zoo does not say which
                layers of a model are dense).

        Returns:
            MoERoutingResult: load imbalance, expert shares, capacity, dropped share, the
            capacity factor needing no drops, all-to-all bytes and the trace.

        Raises:
            InputError: a model without routed experts, a skew that would route a token to the
                same expert twice (p_max > 1/k), a non-positive capacity factor.
        """
        from ..units import Quantity as Q

        entry = resolve_entry(model, "Models", "model")
        experts = getattr(entry, "experts", None)
        k = getattr(entry, "active_experts", None)
        name = getattr(entry, "name", shown(model))
        if not experts or not k or experts < 2:
            raise InputError(f"MoERoutingModel needs a mixture-of-experts model; {name} lists "
                             "no routed experts. Use e.g. Mixtral8x7B", name="model",
                             value=getattr(entry, "path", model))
        t = check_count(tokens, "tokens")
        if not is_number(capacity_factor) or not 0 < capacity_factor < math.inf:
            raise InputError(f"capacity_factor must be a number > 0 (expert slots over the "
                             f"balanced share T k / E; 1.25 leaves 25% slack), got "
                             f"{shown(capacity_factor)}", name="capacity_factor",
                             value=capacity_factor)
        cf = float(capacity_factor)
        if not is_number(skew) or not 0 <= skew <= MAX_EXPONENT:
            raise InputError(f"skew must be a Zipf exponent in [0, {number(MAX_EXPONENT)}] (0 = "
                             f"balanced routing), got {shown(skew)}", name="skew", value=skew)
        layers = (check_count(moe_layers, "moe_layers") if moe_layers is not None
                  else entry.layers)
        shares = moe.zipf_shares(experts, skew)
        if shares[0] > 1 / k:
            raise InputError(f"skew={number(skew)} gives the top expert {number(shares[0])} of "
                             f"the routed slots, but with top-{k} routing a token reaches an "
                             f"expert at most once, so no expert gets more than 1/{k}; lower "
                             "the skew", name="skew", value=skew)
        imbalance = moe.load_imbalance(shares)
        capacity = moe.expert_capacity(t, k, experts, cf)
        dropped = moe.dropped_fraction(shares, cf)
        b = activation_bytes(precision)
        per_a2a = moe.all_to_all_bytes_per_token(k, entry.hidden_dim, b)
        per_forward = ALL_TO_ALLS_PER_LAYER * layers * per_a2a
        trace = [
            f"{name}: top-{k} of {experts} experts; {t} tokens -> {number(t * k)} routed slots",
            f"Routing skew a = {number(skew)} (Zipf): top expert gets {number(shares[0])} of "
            f"the slots -> load imbalance {number(imbalance)}x the mean",
            f"Capacity factor {number(cf)}: {number(capacity)} slots per expert; "
            f"{number(dropped)} of routed slots dropped"
            + (f"; a capacity factor of {number(imbalance)} drops none" if dropped > 0 else ""),
            f"All-to-all: {k} x {entry.hidden_dim} x {number(b)} B = {si(per_a2a, 'B')} per "
            f"token each way; x {ALL_TO_ALLS_PER_LAYER} x {layers} MoE layers = "
            f"{si(per_forward, 'B')} per token per forward pass"
            + ("" if moe_layers is not None else " (every layer counted as MoE)"),
        ]
        if dropped > 0:
            trace.append(f"Load-imbalance wall: {number(100 * dropped, 3)}% of routed slots "
                         "are dropped (those tokens skip the expert); raise the capacity factor "
                         "or balance the router")
        return MoERoutingResult(
            experts=experts, top_k=k, load_imbalance=imbalance, expert_shares=tuple(shares),
            capacity_per_expert=capacity, dropped_fraction=dropped,
            capacity_factor_for_no_drops=imbalance,
            all_to_all_bytes_per_token=Q(per_a2a, "B"),
            all_to_all_bytes_per_token_forward=Q(per_forward, "B"),
            all_to_all_bytes_per_batch=Q(per_forward * t, "B"), constraint_trace=tuple(trace))
