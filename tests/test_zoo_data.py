"""The shipped Zoo slice: spot checks against sources, and rules every number obeys."""

import pytest

import mlsysim
from mlsysim.models import transformer_parameter_count
from mlsysim.zoo.registry import Zoo

HW, MODELS = mlsysim.Hardware, mlsysim.Models

# (path, value, unit) each checked against the source its record cites.
SPOT_CHECKS = [
    ("Hardware.Cloud.H100.compute.peak.fp16.dense", 989.5, "TFLOP/s"),
    ("Hardware.Cloud.H100.compute.peak.fp16.sparse", 1979, "TFLOP/s"),
    ("Hardware.Cloud.H100.memory.bandwidth", 3.35, "TB/s"),
    ("Hardware.Cloud.H100.memory.capacity", 80, "GB"),
    ("Hardware.Cloud.H100.power.tdp", 700, "W"),
    ("Hardware.Cloud.A100.compute.peak.fp16.dense", 312, "TFLOP/s"),
    ("Hardware.Cloud.A100.memory.bandwidth", 2039, "GB/s"),
    ("Hardware.Cloud.H200.memory.capacity", 141, "GB"),
    ("Hardware.Cloud.H200.memory.bandwidth", 4.8, "TB/s"),
    ("Hardware.Cloud.MI300X.compute.peak.fp16.dense", 1307.4, "TFLOP/s"),
    ("Hardware.Cloud.MI300X.memory.bandwidth", 5.3, "TB/s"),
    ("Hardware.Cloud.MI300X.memory.capacity", 192, "GB"),
    ("Hardware.Cloud.TPUv5p.compute.peak.bf16.dense", 459, "TFLOP/s"),
    ("Hardware.Cloud.TPUv5p.memory.bandwidth", 2765, "GB/s"),
    ("Hardware.Edge.JetsonOrinNX.compute.peak.int8.sparse", 100, "TOPS"),
    ("Hardware.Tiny.ESP32_S3.memory.capacity", 512, "KiB"),
    ("Models.Language.Llama3_70B.layers", 80, None),
    ("Models.Language.Llama3_70B.kv_heads", 8, None),
    ("Models.Language.Llama3_8B.hidden_dim", 4096, None),
    ("Models.Language.Llama3_8B.vocab_size", 128256, None),
    ("Models.Language.GPT2.layers", 48, None),
    ("Models.Language.GPT2.hidden_dim", 1600, None),
    ("Models.Language.GPT3.parameters", 175e9, "param"),
    ("Models.Vision.ResNet50.parameters", 25557032, "param"),
    ("Infrastructure.Grids.US_Avg.carbon_intensity", 0.81, "lbCO2e/kWh"),
    # Added with the full Zoo; each against the document its record cites.
    ("Hardware.Cloud.MI325X.memory.capacity", 256, "GB"),           # AMD CDNA 3 white paper
    ("Hardware.Cloud.MI325X.memory.bandwidth", 6.0, "TB/s"),
    ("Hardware.Cloud.MI250X.memory.capacity", 128, "GB"),           # AMD CDNA 2 white paper
    ("Hardware.Cloud.MI250X.compute.peak.fp16.dense", 383, "TFLOP/s"),
    ("Hardware.Cloud.TPUv4.compute.peak.bf16.dense", 275, "TFLOP/s"),  # Cloud TPU v4 page
    ("Hardware.Cloud.TPUv4.memory.capacity", 32, "GiB"),
    ("Hardware.Cloud.TPUv6e.compute.peak.bf16.dense", 918, "TFLOP/s"),  # Cloud TPU v6e page
    ("Hardware.Cloud.TPUv6e.memory.bandwidth", 1638, "GB/s"),
    ("Hardware.Cloud.Trainium2.compute.peak.bf16.dense", 667, "TFLOP/s"),  # AWS Neuron docs
    ("Hardware.Cloud.Trainium2.memory.capacity", 96, "GiB"),
    ("Hardware.Cloud.Gaudi3.compute.peak.bf16.dense", 1835, "TFLOP/s"),  # Hot Chips 2024
    ("Hardware.Cloud.Gaudi3.memory.capacity", 128, "GB"),
    ("Hardware.Edge.JetsonOrinNano.memory.bandwidth", 68, "GB/s"),  # DS-11105 data sheet
    ("Models.Language.Llama2_70B.layers", 80, None),
    ("Models.Language.Llama2_70B.kv_heads", 8, None),
    ("Models.Language.Mixtral8x7B.experts", 8, None),
    ("Models.Language.Mixtral8x7B.active_experts", 2, None),
    ("Models.Language.DeepSeekV3.layers", 61, None),
    ("Models.Language.DeepSeekV3.kv_lora_rank", 512, None),
    ("Models.Language.DeepSeekV3.experts", 256, None),
    ("Models.Language.BERT_Large.layers", 24, None),
    ("Models.Language.BERT_Large.hidden_dim", 1024, None),
    ("Models.Language.GPT_J_6B.layers", 28, None),
    ("Models.Vision.ViT_B16.parameters", 86567656, "param"),      # torchvision
    ("Models.Vision.MobileNetV2.parameters", 3504872, "param"),
    ("Systems.Fabrics.InfiniBand_NDR.bandwidth", 400, "Gbit/s"),   # ConnectX-7 manual
    ("Systems.Nodes.DGX_H100.accelerators_per_node", 8, None),
    ("Infrastructure.Grids.Singapore.pue", 1.364, None),           # Microsoft Singapore page
    ("Infrastructure.Grids.Singapore.wue", 1.97, "L/kWh"),
    ("Infrastructure.Grids.Sweden.pue", 1.09, None),               # AWS eu-north-1, 2025
    ("Literature.BatchSize.Gpt3Batch175B", 3.2e6, "token"),        # GPT-3 Table 2.1
    ("Literature.BatchSize.Llama3BatchFinal", 16e6, "token"),      # Llama 3 herd, 3.4.1
    ("Literature.Training.MfuHigh", 0.462, None),                  # PaLM Table 3
]


@pytest.mark.parametrize("path,value,unit", SPOT_CHECKS, ids=[c[0] for c in SPOT_CHECKS])
def test_spot_check(path, value, unit):
    number, provenance = Zoo().number(path)
    magnitude = number.to(unit).magnitude if unit else number
    assert magnitude == pytest.approx(value)
    assert provenance is not None


def test_every_number_has_provenance():
    missing = [path for path, _, provenance in Zoo().numbers() if provenance is None]
    assert missing == []


#: NVIDIA rows whose source gives a sparse figure that is not twice the dense one, with the
#: ratio the source states: the HGX page's B300 column gives FP4 "144 PFLOPS | 108 PFLOPS"
#: (sparse | dense) for the 8-GPU board.
SPARSITY_RATIOS = {("Hardware.Cloud.B300", "fp4"): 144 / 108}


def test_dense_and_sparse_are_apart_and_sparse_is_double_for_nvidia():
    pairs = [(entry.path, precision, row) for entry in HW.Cloud if entry.vendor == "NVIDIA"
             for precision, row in entry.compute.peak.items() if row.sparse is not None]
    assert len(pairs) >= 10, "the check would pass vacuously"
    for path, precision, row in pairs:
        # 1.5 %: NVIDIA's L40S page prints 362.05 dense beside 733 with sparsity.
        ratio = SPARSITY_RATIOS.get((path, precision), 2)
        assert row.sparse.to(row.dense.units).magnitude == pytest.approx(
            ratio * row.dense.magnitude, rel=0.015), (path, precision)


@pytest.mark.parametrize("path", ["Models.Language.Llama3_8B", "Models.Language.Llama3_70B"])
def test_llama_parameter_count_matches_its_derivation(path):
    model = Zoo().resolve(path)
    derived = transformer_parameter_count(
        layers=model.layers, hidden_dim=model.hidden_dim, heads=model.heads,
        kv_heads=model.kv_heads, ffn_dim=model.ffn_dim, vocab_size=model.vocab_size)
    assert model.parameters.to("param").magnitude == derived
    assert model.provenance_for("parameters").kind.value == "derived"


def test_transformer_parameter_count_hand_worked():
    # d=4, 2 heads (hd=2), 1 kv head, f=8, V=10, 1 layer, gated:
    # attention 2*16 + 2*4*1*2 = 48; ffn 3*4*8 = 96; norms 2*4 = 8 -> 152 per layer;
    # embeddings 2*10*4 = 80; final norm 4 -> 236.
    assert transformer_parameter_count(layers=1, hidden_dim=4, heads=2, kv_heads=1, ffn_dim=8,
                                       vocab_size=10) == 236
    assert transformer_parameter_count(layers=1, hidden_dim=4, heads=2, kv_heads=1, ffn_dim=8,
                                       vocab_size=10, tied_embeddings=True, gated_ffn=False) == 236 - 40 - 32


def test_flops_per_token_count_the_weights_a_token_passes_through():
    # Two FLOPs per multiply-accumulate of each (active) weight; where the architecture says
    # whether the embeddings are tied, the untied input embedding is a lookup and costs none.
    for model in MODELS.Language:
        used = (model.active_parameters if model.active_parameters is not None
                else model.parameters).to("param").magnitude
        stated = model.flops_per_token.to("flop/token").magnitude
        if model.tied_embeddings is False:
            assert stated == 2 * used - 2 * model.vocab_size * model.hidden_dim, model.path
        else:  # tied (the output projection is the input table) or not stated
            assert stated == pytest.approx(2 * used), model.path
    # Llama 3 8B by hand: 2 x 8,030,261,248 - 2 x 128,256 x 4096 = 15,009,849,344.
    assert MODELS.Language.Llama3_8B.flops_per_token.to("flop/token").magnitude == 15_009_849_344


def test_resnet_flops_count_two_per_mac():
    # torchvision lists 4.09 G multiply-accumulates for ResNet-50.
    assert MODELS.Vision.ResNet50.flops_per_sample.to("GFLOP/sample").magnitude == pytest.approx(2 * 4.09)


def test_derived_inputs_resolve():
    zoo = Zoo()
    inputs = [source for _path, _, provenance in zoo.numbers() for source in provenance.inputs]
    assert len(inputs) > 100  # the check would pass vacuously without derived numbers
    for source in inputs:
        zoo.number(source)  # raises when an input does not resolve


def test_a_verified_record_without_a_url_cannot_be_loaded():
    # (It used to be checked over the shipped Zoo, where the record model makes it impossible;
    # this checks the model rule itself.)
    from pydantic import ValidationError

    from mlsysim.provenance import Provenance

    with pytest.raises(ValidationError, match="needs a url"):
        Provenance(kind="datasheet", ref="A datasheet", verified="2026-11-22")
    with pytest.raises(ValidationError, match="cannot be verified"):
        Provenance(kind="estimate", ref="A guess", notes="how", verified="2026-11-22")


@pytest.mark.parametrize("path", ["Models.Language.GPT2", "Models.Language.GPT2_Small"])
def test_gpt2_parameter_count_matches_its_block(path):
    """GPT-2's block (openai/gpt-2 src/model.py): biases everywhere, LayerNorm weight and bias,
    learned positions, tied embeddings; GPT-2 XL is 1,557,611,200 and small 124,439,808
    (the model card's '1.5 billion' and '124 million' rounded)."""
    from mlsysim.models import transformer_parameter_count

    model = Zoo().resolve(path)
    count = transformer_parameter_count(
        layers=model.layers, hidden_dim=model.hidden_dim, heads=model.heads,
        kv_heads=model.kv_heads, ffn_dim=model.ffn_dim, vocab_size=model.vocab_size,
        gated_ffn=False, tied_embeddings=True, norm_weights_per_layer=4, biases=True,
        position_embeddings=model.context_length, final_norm_weights=2)
    assert model.parameters.magnitude == count
    assert model.flops_per_token.magnitude == 2 * count
    assert count == {"Models.Language.GPT2": 1_557_611_200,
                     "Models.Language.GPT2_Small": 124_439_808}[path]


#: Memory technologies as JEDEC spells them (HBM3E, not HBM3e), so a reader can compare and
#: filter by them; a parenthesis after the name may say more ("SRAM (on-wafer, ...)").
MEMORY_TYPES = {"SRAM", "HBM", "HBM2", "HBM2E", "HBM3", "HBM3E", "HBM4", "GDDR5", "GDDR6",
                "GDDR6X", "GDDR7", "LPDDR4", "LPDDR4X", "LPDDR5", "LPDDR5X", "DDR4", "DDR5",
                "Unified"}


def test_memory_types_use_one_spelling():
    from mlsysim.hardware import HardwareNode

    types = {entry.path: entry.memory.type for entry in Zoo().namespace("Hardware")
             if isinstance(entry, HardwareNode) and entry.memory and entry.memory.type}
    assert len(types) > 50
    odd = {path: kind for path, kind in types.items() if kind.split(" ")[0] not in MEMORY_TYPES}
    assert odd == {}
