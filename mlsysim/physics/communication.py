"""Collective communication: the alpha-beta cost model.

Time of a message of S bytes over a link: T = alpha + S / BW (Hockney 1994).
Collective costs follow Thakur, Rabenseifner and Gropp, "Optimization of
Collective Communication Operations in MPICH", IJHPCA 2005. ``bandwidth`` is
per direction: a ring sends and receives at once.
"""

from __future__ import annotations

import numpy as np


def ring_allreduce_time(message, ranks, bandwidth, latency):
    """Ring all-reduce: a reduce-scatter and an all-gather, 2(n-1) steps of S/n bytes.

    T = 2 (n-1)/n * S / BW + 2 (n-1) * alpha   (Thakur et al. 2005, section 4.4)
    """
    return 2 * (ranks - 1) / ranks * message / bandwidth + 2 * (ranks - 1) * latency


def tree_allreduce_time(message, ranks, bandwidth, latency):
    """Pipelined double binary tree all-reduce (NCCL): bandwidth term as a ring, latency log n.

    T = 2 * S / BW + 2 * log2(n) * alpha   (Sanders, Speck and Traeff, "Two-tree algorithms for
    full bandwidth broadcast, reduction and scan", Parallel Computing 2009)
    """
    return 2 * message / bandwidth + 2 * np.log2(ranks) * latency


def hierarchical_allreduce_time(message, ranks_per_node, nodes, intra_bandwidth, intra_latency,
                                inter_bandwidth, inter_latency):
    """Reduce-scatter inside each node, all-reduce of 1/g of the data across nodes, all-gather back.

    T = 2 (g-1)/g * S / BW_intra + 2 (g-1) alpha_intra + T_ring(S/g, nodes, BW_inter, alpha_inter)
    (Goyal et al., "Accurate, Large Minibatch SGD", 2017, section 4.) The g inter-node rings run
    side by side, each over one accelerator's own share of the node's scale-out ports, so
    ``inter_bandwidth`` is per accelerator, not per node.
    """
    g = ranks_per_node
    intra = (g - 1) / g * message / intra_bandwidth + (g - 1) * intra_latency
    inter = ring_allreduce_time(message / g, nodes, inter_bandwidth, inter_latency)
    return 2 * intra + inter


def zero_data_parallel_time(allreduce_time, stage):
    """Data-parallel communication of ZeRO stage 0-3, from the plain all-reduce time.

    Stages 1-2 reduce-scatter the gradients and all-gather the updated weights: the same 2 S
    volume as an all-reduce. Stage 3 also all-gathers the weights again in the backward pass:
    3 S, 1.5 x the all-reduce (Rajbhandari et al., "ZeRO", SC 2020, section 7.2.2).
    """
    return allreduce_time * (1.5 if stage >= 3 else 1.0)


def alltoall_time(message, ranks, bandwidth, latency):
    """All-to-all (expert parallelism): each rank sends (n-1)/n of its S bytes.

    T = (n-1)/n * S / BW + (n-1) * alpha   (Thakur et al. 2005, section 4.6)
    """
    return (ranks - 1) / ranks * message / bandwidth + (ranks - 1) * latency


def point_to_point_time(message, bandwidth, latency):
    """One message between neighbours (pipeline stages): T = alpha + S / BW."""
    return latency + message / bandwidth


def effective_bandwidth(bandwidth, oversubscription):
    """Bandwidth left per port when the fabric is oversubscribed: BW / ratio."""
    return bandwidth / oversubscription


def ring_exchange_time(message, ranks, bandwidth, latency):
    """Ring pass of one chunk per rank (context parallelism): n-1 steps, each rank sending S bytes
    to its neighbour while it receives S from the other side.

    T = (n-1) * (alpha + S / BW)   (Liu, Zaharia and Abbeel, "Ring Attention with Blockwise
    Transformers for Near-Infinite Context", 2023: key-value blocks travel round a ring of
    hosts, so every rank sees every other rank's block after n-1 steps)
    """
    return (ranks - 1) * point_to_point_time(message, bandwidth, latency)
