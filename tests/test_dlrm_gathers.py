"""Recommendation models in the Engine: a pass gathers the looked-up embedding rows, not whole
tables; the tables stay resident and must fit (issue 18). Other models are unchanged."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from mlsysim import Engine, Hardware, Models
from mlsysim.engine.figures import workload_figures
from mlsysim.errors import OOMError, ZooError
from mlsysim.zoo.loader import build_entry
from mlsysim.zoo.registry import Zoo

DLRMS = ["DLRM_Criteo1TB", "DLRM_DCNv2"]
#: Rows one sample looks up over the 26 tables: one-hot, and the MLPerf DLRM v2 multi-hot sizes
#: 3,2,1,2,6,1,1,1,1,7,3,8,1,6,9,5,1,1,1,12,100,27,10,3,1,1 (sum 214).
LOOKUPS = {"DLRM_Criteo1TB": 26, "DLRM_DCNv2": 214}
DIM = 128


def test_hand_worked_dlrm_criteo1tb_inference_batch_2048():
    # DLRM Criteo 1TB, fp32 (4 B), batch 2048, on H100 (3.35 TB/s, 80 GB).
    # Dense weights: 22,779,236,097 - 22,776,867,200 embedding = 2,368,897 params x 4 B
    dense = 2_368_897 * 4                               # 9,475,588 B, read whole once
    # Gathers: 26 tables x 1 row x 128 values x 4 B = 13,312 B per sample
    gathers = 26 * 128 * 4 * 2048                        # 27,262,976 B
    traffic = dense + gathers                            # 36,738,564 B (was 91.1 GB)
    assert traffic == 36_738_564
    result = Engine.solve(Models.Recommendation.DLRM_Criteo1TB, Hardware.Cloud.H100,
                          batch_size=2048, precision="fp32", efficiency=0.5,
                          memory_efficiency=1.0)
    assert result.traffic_bytes == traffic
    assert result.memory_time_s == pytest.approx(traffic / 3.35e12, rel=1e-12)   # 10.97 us
    # FLOPs unchanged: the dense part, 4,916,992 per sample
    assert result.flops_count == 4_916_992 * 2048                                 # 10.07 GFLOP
    # Every table stays resident: 22,779,236,097 x 4 B = 91.1 GB > 80 GB
    assert result.footprint_bytes == 22_779_236_097 * 4
    assert result.feasible is False
    assert ("Embedding gathers: 26 lookups x 128 x 4 B = 13.31 kB per sample x 2048 = "
            "27.26 MB per pass (the looked-up rows, not the 91.11 GB of tables); dense weights "
            "9.476 MB read whole") in result.constraint_trace


def test_hand_worked_dlrm_dcnv2_training_batch_2048():
    # DLRM v2 (DCN), fp32 training: weights 4 B, Adam state 8 B per parameter.
    # Parameters touched: 16,044,545 dense + 2048 x 214 rows x 128 = 56,098,816 gathered
    read = 16_044_545 + 2048 * 214 * 128                 # 72,143,361
    # Read in forward and backward, gradient written (3 x 4 B), optimizer read and written
    # (2 x 8 B): 28 B per parameter touched; no input activations are modelled.
    traffic = read * (3 * 4 + 2 * 8)                      # 2,020,014,108 B
    result = Engine.solve("DLRM_DCNv2", "H100", batch_size=2048, precision="fp32",
                          is_training=True)
    assert result.traffic_bytes == traffic
    # Training state of every parameter stays resident: 26,151,671,809 x (4 + 4 + 8) B
    assert result.footprint_bytes == 26_151_671_809 * 16                  # 418.4 GB
    assert any(line.startswith("Embedding gathers: 214 lookups x 128 x 4 B = 109.6 kB per "
                               "sample") and "writes their gradients" in line
               for line in result.constraint_trace)


def test_tables_too_big_for_one_device_say_shard_them_and_on_how_many():
    # 91.12 GB of fp32 weights on 80 GB: ceil(91.12 / 80) = 2 devices' memory.
    with pytest.raises(OOMError, match=r"the embedding tables \(91.11 GB\) need sharding across "
                                       r"devices \(model-parallel embeddings.*at least 2 "
                                       r"devices' memory \(91.12 GB / 80 GB per device"):
        Engine.solve("DLRM_Criteo1TB", "H100", batch_size=2048, precision="fp32",
                     raise_errors=True)
    # Training DLRM v2: 418.4 GB of state / 80 GB = 5.2, so 6 devices.
    result = Engine.solve("DLRM_DCNv2", "H100", batch_size=2048, precision="fp32",
                          is_training=True)
    assert result.reason.startswith("Memory wall: needs 418.4 GB")
    assert "need sharding across devices" in result.reason
    assert "at least 6 devices' memory" in result.reason


def test_tables_that_fit_need_no_sharding():
    # fp16: 22,779,236,097 x 2 B = 45.56 GB fits the H200's 141 GB.
    result = Engine.solve("DLRM_Criteo1TB", "H200", batch_size=2048, precision="fp16")
    assert result.feasible is True
    assert result.footprint_bytes == 22_779_236_097 * 2
    assert not any("sharding" in line for line in result.constraint_trace)


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(DLRMS), precision=st.sampled_from(["fp32", "fp16", "bf16", "fp8"]),
       b1=st.integers(1, 1 << 16), b2=st.integers(1, 1 << 16))
def test_gather_bytes_grow_linearly_in_batch(model, precision, b1, b2):
    value_b = {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1}[precision]
    one, two = (Engine.solve(model, "H100", batch_size=b, precision=precision)
                for b in (b1, b2))
    slope = LOOKUPS[model] * DIM * value_b
    assert two.traffic_bytes - one.traffic_bytes == pytest.approx((b2 - b1) * slope, abs=1e-3)
    # The tables stay resident whole whatever the batch; FLOPs stay the dense part.
    assert one.footprint_bytes == two.footprint_bytes
    w = workload_figures(getattr(Models.Recommendation, model))
    assert two.flops_count == w.flops_per_sample * b2


@settings(max_examples=20, deadline=None)
@given(model=st.sampled_from(DLRMS), b1=st.integers(1, 4096), b2=st.integers(1, 4096))
def test_training_gathers_grow_linearly_in_batch(model, b1, b2):
    one, two = (Engine.solve(model, "H100", batch_size=b, precision="bf16", is_training=True)
                for b in (b1, b2))
    # A gathered value is read twice and its gradient written (3 x 2 B), and its Adam state
    # (12 B mixed precision) read and written: 30 B per value looked up.
    slope = LOOKUPS[model] * DIM * 30
    assert two.traffic_bytes - one.traffic_bytes == pytest.approx((b2 - b1) * slope, abs=1e-3)


def test_sweep_cells_equal_solve_for_dlrm():
    swept = Engine.sweep(["DLRM_Criteo1TB", "DLRM_DCNv2"], ["H100", "H200"], [1, 64, 2048],
                         ["fp16", "fp32"])
    for i, model in enumerate(DLRMS):
        for j, chip in enumerate(["H100", "H200"]):
            for k, batch in enumerate([1, 64, 2048]):
                for p, precision in enumerate(["fp16", "fp32"]):
                    solo = Engine.solve(model, chip, batch_size=batch, precision=precision)
                    assert swept.latency_s[i, j, k, p] == solo.latency_s
                    assert swept.feasible[i, j, k, p] == solo.feasible


def test_a_recommendation_model_without_lookups_streams_every_weight():
    entry = Models.Recommendation.DLRM_Criteo1TB.model_copy(update={"lookups_per_table": None})
    result = Engine.solve(entry, "H200", batch_size=8, precision="fp16")
    # No lookups to gather by: the pass reads all 22,779,236,097 x 2 B, as before issue 18.
    assert result.traffic_bytes == 22_779_236_097 * 2
    assert not any(line.startswith("Embedding gathers") for line in result.constraint_trace)


# -- Other models: exactly as before (hand-worked, the values the Engine gave before gathers) --

def test_decoder_decode_unchanged():
    # Llama 3.1 8B, fp16, batch 8, default context 2048 on H100:
    # weights 8,030,261,248 x 2 B + KV 2 x 32 layers x 8 heads x 128 x 2 B x 2048 x 8
    traffic = 8_030_261_248 * 2 + 2 * 32 * 8 * 128 * 2 * 2048 * 8   # 18,208,006,144 B
    result = Engine.solve("Llama3_8B", "H100", batch_size=8, precision="fp16")
    assert result.traffic_bytes == traffic == 18_208_006_144
    assert result.footprint_bytes == traffic


def test_decoder_training_unchanged():
    # Llama 3.1 8B, bf16 training, batch 4 x 2048 tokens: activations 32 layers x
    # 2048 x 4 x 4096 x 34 B (FlashAttention) = 36,507,222,016 B.
    acts = 32 * 2048 * 4 * 4096 * 34
    params = 8_030_261_248
    # weights 3 x 2 B + Adam 2 x 12 B per parameter, activations written and read
    assert Engine.solve("Llama3_8B", "H100", batch_size=4, precision="bf16",
                        is_training=True).traffic_bytes == params * 30 + 2 * acts
    assert params * 30 + 2 * acts == 313_922_281_472


def test_cnn_inference_and_training_unchanged():
    params, image = 25_557_032, 3 * 224 * 224                       # ResNet-50
    inference = Engine.solve("ResNet50", "A100", batch_size=32, precision="fp16")
    # weights 2 B each + 32 images of 150,528 values x 2 B
    assert inference.traffic_bytes == params * 2 + 32 * image * 2 == 60_747_856
    assert inference.footprint_bytes == 60_747_856
    training = Engine.solve("ResNet50", "A100", batch_size=256, precision="fp16",
                            is_training=True)
    inputs = 256 * image * 2                                         # 77,070,336 B
    assert training.traffic_bytes == params * 30 + 2 * inputs == 920_851_632
    assert training.footprint_bytes == params * 16 + inputs == 485_982_848
    assert not any(line.startswith("Embedding gathers") for line in training.constraint_trace)


# -- Bad Zoo entries ------------------------------------------------------------------------

def _build(**changes):
    zoo = Zoo()
    group = next(g for g in zoo.groups() if g.spec.path == "Models.Recommendation")
    path = zoo.data_root / "Models" / "Recommendation" / "DLRM_DCNv2.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(changes)
    return build_entry(group.spec, "DLRM_DCNv2", raw, str(path), zoo.catalog)


def test_entry_as_stored_builds():
    assert sum(_build().lookups_per_table) == 214


@pytest.mark.parametrize("changes, message", [
    ({"lookups_per_table": [1] * 25},
     "lookups_per_table lists 25 tables but embedding_tables is 26; give one count per table"),
    ({"lookups_per_table": [0] + [1] * 25}, "has a count below 1"),
    ({"embedding_parameters": "30000000000 param"},
     "embedding_parameters 30000000000 parameter exceed parameters 26151671809 parameter; "
     "the tables are part of the total: give their rows x embedding_dim, at most parameters"),
])
def test_inconsistent_embedding_fields_are_refused(changes, message):
    with pytest.raises(ZooError, match=message.replace("(", r"\(")):
        _build(**changes)


def test_cli_eval_shows_the_gather_and_the_sharding_advice():
    from typer.testing import CliRunner

    from mlsysim.cli import app

    result = CliRunner().invoke(app, ["eval", "DLRM_Criteo1TB", "H100", "-b", "2048", "-p",
                                      "fp32"])
    assert result.exit_code == 2, result.output   # infeasible: does not fit
    assert "Embedding gathers: 26 lookups x 128 x 4 B = 13.31 kB per sample" in result.output
    assert "infeasible: Memory wall:" in result.output
    assert "at least 2 devices' memory" in result.output
