"""Mixture-of-experts routing: load imbalance, capacity and dropped tokens, all-to-all bytes.

Expert capacity and the capacity factor follow Fedus, Zoph and Shazeer, "Switch
Transformers", JMLR 2022, section 2.2 (capacity = tokens per batch / experts x capacity
factor; tokens routed past a full expert are dropped), with GShard's top-k (Lepikhin et al.
2021) counting k routed slots per token. Routing skew is modelled as a Zipf law over the
experts ranked by load: expert i of E receives share p_i = i^(-a) / sum_j j^(-a) of the
routed slots (a = 0 is perfectly balanced). Loads are expected values (a fluid model).
"""

from __future__ import annotations


def zipf_shares(experts, exponent):
    """Share of routed slots each expert receives, most loaded first: p_i = i^-a / H(E, a)."""
    weights = [i ** -exponent for i in range(1, int(experts) + 1)]
    total = sum(weights)
    return [weight / total for weight in weights]


def load_imbalance(shares):
    """Most-loaded expert over the mean: E x max_i p_i (1 when balanced)."""
    return len(shares) * max(shares)


def expert_capacity(tokens, top_k, experts, capacity_factor):
    """Slots one expert accepts per batch: C = cf x T k / E (Switch Transformer, 2.2)."""
    return capacity_factor * tokens * top_k / experts


def dropped_fraction(shares, capacity_factor):
    """Share of routed slots dropped when each expert accepts cf / E of them:
    sum_i max(0, p_i - cf / E)."""
    cap = capacity_factor / len(shares)
    return sum(max(0.0, share - cap) for share in shares)


def all_to_all_bytes_per_token(top_k, hidden_dim, bytes_per_value):
    """Bytes one token sends in one all-to-all (dispatch or combine): k x h x b."""
    return top_k * hidden_dim * bytes_per_value
