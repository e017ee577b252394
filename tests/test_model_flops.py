"""FLOPs per token from the architecture (issue 18): the input embedding is a lookup, an untied
output projection is a V x d matmul."""

import pytest

from mlsysim import Models
from mlsysim.engine.figures import workload_figures
from mlsysim.physics import transformer


def test_forward_flops_per_token_by_hand():
    # Llama 3.1 8B: N = 8,030,261,248, V = 128,256, d = 4096, untied:
    #   2 N - 2 V d = 16,060,522,496 - 1,050,673,152 = 15,009,849,344 FLOP per token
    assert transformer.forward_flops_per_token(8_030_261_248, 128_256, 4096, False) == \
        15_009_849_344
    # GPT-2 XL, tied (N = 1,557,611,200): the one V x d matrix serves as the output projection
    assert transformer.forward_flops_per_token(1_557_611_200, 50_257, 1600, True) == \
        2 * 1_557_611_200


@pytest.mark.parametrize("name", [m for m in Models.Language.keys()])
def test_engine_flops_follow_the_stated_embedding_tying(name):
    model = getattr(Models.Language, name)
    w = workload_figures(model)
    stated = model.flops_per_token.m_as("FLOP/token")  # the Zoo's number, on every page
    used = (model.active_parameters if model.active_parameters is not None
            else model.parameters).m_as("param")
    assert w.flops_per_token == pytest.approx(stated, rel=1e-12)  # one number everywhere
    if model.tied_embeddings is False:
        assert w.flops_per_token == pytest.approx(
            2 * used - 2 * model.vocab_size * model.hidden_dim, rel=1e-12)
    else:  # tied, or not stated: every parameter costs 2 FLOPs
        assert w.flops_per_token == pytest.approx(2 * used, rel=1e-12)
