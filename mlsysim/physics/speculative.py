"""Speculative decoding: a cheap draft model proposes k tokens, the target model verifies them
in one step and keeps the longest accepted prefix plus one token of its own.

Leviathan, Kalman and Matias, "Fast Inference from Transformers via Speculative Decoding",
ICML 2023 (section 3: equation 1 and Theorem 3.8). Each draft token is accepted with
probability alpha, independently (the paper's simplifying assumption).
"""

from __future__ import annotations

from ..errors import InputError


def _check(alpha, draft_tokens):
    if not 0 <= alpha <= 1:  # NaN fails too
        raise InputError(f"acceptance rate alpha must be in [0, 1], got {alpha!r}; e.g. "
                         "alpha=0.8 means 80% of draft tokens are accepted",
                         name="alpha", value=alpha)
    if int(draft_tokens) != draft_tokens or draft_tokens < 1:
        raise InputError(f"draft_tokens k must be a whole number >= 1, got {draft_tokens!r}",
                         name="draft_tokens", value=draft_tokens)


def expected_tokens_per_step(alpha, draft_tokens):
    """Expected tokens one verification step yields: E = (1 - alpha^(k+1)) / (1 - alpha).

    Leviathan et al. 2023, equation 1: the accepted prefix is geometric, capped at k, plus
    the target's own token. alpha = 1 gives k + 1; alpha = 0 gives 1 (no speed-up).
    """
    _check(alpha, draft_tokens)
    if alpha == 1:
        return draft_tokens + 1.0
    return (1 - alpha ** (draft_tokens + 1)) / (1 - alpha)


def speedup(alpha, draft_tokens, cost_ratio):
    """Expected wall-time improvement over plain decoding: E / (k c + 1).

    Leviathan et al. 2023, Theorem 3.8: a step runs k draft passes, each costing c target
    steps (``cost_ratio``), plus one target pass, and yields E tokens (equation 1).
    """
    if not 0 <= cost_ratio:  # NaN fails too
        raise InputError(f"cost_ratio c (draft step time / target step time) must be >= 0, "
                         f"got {cost_ratio!r}; e.g. 0.05 for a draft 20x faster",
                         name="cost_ratio", value=cost_ratio)
    return expected_tokens_per_step(alpha, draft_tokens) / (draft_tokens * cost_ratio + 1)


def best_draft_tokens(alpha, cost_ratio, max_draft_tokens):
    """The k in [1, ``max_draft_tokens``] with the largest :func:`speedup` (smallest on ties)."""
    return max(range(1, int(max_draft_tokens) + 1),
               key=lambda k: (speedup(alpha, k, cost_ratio), -k))
