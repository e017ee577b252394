"""Coverage the Zoo promises its readers (issue 4's lists): named entries, counts, fields.

Each list below is a requirement, not a snapshot: removing or renaming one of these
entries breaks a chapter that cites it, so the test names what went missing.
"""

import pytest

import mlsysim
from mlsysim.units import ureg
from mlsysim.zoo.registry import Zoo

REQUIRED = {
    "Hardware.Cloud": [
        "V100", "T4", "L4", "L40S", "A100_40GB", "A100", "H100", "H100_PCIe", "H200", "B200",
        "GB200", "MI250X", "MI300X", "MI325X", "TPUv4", "TPUv5e", "TPUv5p", "TPUv6e", "Gaudi2",
        "Gaudi3", "Trainium2", "CS3",
        # issue 20 (coverage 2024-2026): sources in zoo/data/sources/coverage_2026.yaml
        "TPUv3", "TPU7x", "Trainium1", "Trainium3", "Inferentia2", "GH200",
        # issue 20, second batch: sources in zoo/data/sources/coverage_2026b.yaml
        "B300", "GB300", "P100", "K80", "MTIAv2", "MI355X", "MI350X", "Maia100",
        # issue 20, third batch: sources in zoo/data/sources/coverage_2026c.yaml
        "GroqLPU"],
    "Hardware.Workstation": ["RTX4090", "RTX3090Ti", "M2Ultra",
                             "RTX5090", "M4Max", "DGXSpark"],  # issue 20
    "Hardware.Mobile": ["AppleA17Pro", "Snapdragon8Gen3", "Snapdragon8Elite",
                        "SnapdragonXElite"],  # SnapdragonXElite: issue 20
    "Hardware.Edge": ["JetsonAGXOrin", "JetsonOrinNX", "JetsonOrinNano", "CoralEdgeTPU",
                      "JetsonOrinNanoSuper", "JetsonAGXThor"],  # issue 20
    "Hardware.Tiny": ["ESP32_S3", "STM32F411", "STM32F746", "nRF52840", "ArduinoNano33BLE",
                      # issue 20, second batch
                      "STM32L4R5", "STM32U575", "STM32H7A3"],
    "Models.Language": [
        "GPT2", "GPT3", "Llama2_7B", "Llama2_13B", "Llama2_70B", "Llama3_8B", "Llama3_70B",
        "Llama3_405B", "Mistral7B", "Mixtral8x7B", "DeepSeekV3", "BERT_Base", "BERT_Large",
        "GPT_J_6B",
        # issue 20
        "Llama3_3_70B", "DeepSeekR1", "GPT_OSS_120B", "GPT_OSS_20B", "Gemma3_27B",
        "GPT2_Small", "MPT_7B", "BLOOM_176B", "OPT_175B", "Llama4_Scout", "Llama4_Maverick",
        "PaLM_540B",
        # issue 20, second batch
        "Phi4", "Qwen3_32B", "Qwen3_235B_A22B", "Mixtral8x22B", "T5_11B", "WhisperLargeV3",
        "MTNLG_530B"],
    "Models.Vision": ["ResNet18", "ResNet50", "MobileNetV2", "EfficientNetB0", "ViT_B16", "YOLOv8n",
                      # issue 20
                      "AlexNet", "VGG16", "EfficientNetB4", "MobileNetV1"],
    "Models.Tiny": ["DS_CNN_KWS", "MobileNetV1_VWW", "FC_AutoEncoder_AD"],
    "Models.Recommendation": ["DLRM_Criteo1TB"],
    "Infrastructure.Grids": ["EU_Avg", "Iceland"],  # issue 20
    "Systems.Clusters": ["TPUv5p_Pod", "Research_10K_H100", "Research_1024_H100_RoCE_2to1",
                         # issue 20, third batch: sources in zoo/data/sources/coverage_2026c.yaml
                         "TPUv4_Pod", "Meta_Llama3_405B_16K", "Meta_Llama3_RoCE_24K"],
    "Systems.Nodes": ["DGX_B200", "DGX_B300", "HGX_B300", "TPUv4_Host"],  # B300s, TPU v4: issue 20
    "Systems.Racks": ["GB200_NVL72", "GB300_NVL72"],  # GB300_NVL72: issue 20
    "Systems.Fabrics": [
        "InfiniBand_HDR", "InfiniBand_NDR", "InfiniBand_XDR", "Ethernet_100G", "Ethernet_200G",
        "Ethernet_400G", "Ethernet_800G", "NVLink3", "NVLink4", "NVLink5"],
    "Scenarios": ["SmartDoorbell", "AutonomousVehicle", "MobileAssistant", "ChatbotServing",
                  "FrontierTraining", "KeywordSpotting"],
}

MINIMUM_COUNTS = {
    "Hardware.Cloud": 35, "Models": 50, "Infrastructure.Grids": 10, "Systems.Nodes": 1,
    "Systems.Racks": 1, "Systems.Clusters": 2, "Systems.Reliability": 1,
    "Infrastructure.Capacity": 1, "Ops.Monitoring": 1,
    "ReferenceStats.MobilePower": 1, "Literature.Training": 2, "Literature.Scaling": 1,
    "Literature.Communication": 1, "Literature.BatchSize": 1, "Literature.Calibration": 1,
}


def entry_names(group: str) -> set[str]:
    """Entry names in `group` (a `Namespace.Group` path)."""
    return set(Zoo().resolve(group).keys())


@pytest.mark.parametrize("group", sorted(REQUIRED))
def test_required_entries_exist(group):
    present = entry_names("Scenarios.Examples" if group == "Scenarios" else group)
    assert sorted(set(REQUIRED[group]) - present) == [], f"{group} lost required entries"


@pytest.mark.parametrize("group,minimum", sorted(MINIMUM_COUNTS.items()))
def test_group_meets_its_minimum_count(group, minimum):
    if group == "Models":
        count = sum(len(g.keys()) for g in Zoo().namespace("Models").groups.values())
    else:
        count = len(entry_names(group))
    assert count >= minimum, f"{group} has {count} entries; the Zoo promises at least {minimum}"


def test_ten_regions_carry_carbon_intensity_pue_and_wue_each_sourced():
    zoo = Zoo()
    complete = []
    for grid in mlsysim.Infrastructure.Grids:
        if grid.pue is None or grid.wue is None:
            continue
        for field in ("carbon_intensity", "pue", "wue"):
            _, provenance = zoo.number(f"{grid.path}.{field}")
            assert provenance is not None, f"{grid.path}.{field}"
        complete.append(grid.path)
    assert len(complete) >= 10, f"only {complete} have carbon intensity, PUE and WUE"


def test_moe_and_mla_models_carry_the_fields_solvers_need():
    language = mlsysim.Models.Language
    for model in (language.Mixtral8x7B, language.DeepSeekV3, language.DeepSeekR1,
                  language.GPT_OSS_120B, language.GPT_OSS_20B, language.Llama4_Scout,
                  language.Llama4_Maverick, language.Qwen3_235B_A22B, language.Mixtral8x22B):
        assert model.experts > model.active_experts >= 1, model.path
        assert model.active_parameters < model.parameters, model.path
    assert mlsysim.Models.Language.DeepSeekV3.kv_lora_rank > 0


def test_every_fabric_says_which_way_its_bandwidth_counts():
    for fabric in mlsysim.Systems.Fabrics:
        assert fabric.direction in ("per_direction", "bidirectional_total"), fabric.path


def test_technology_classes_cover_memory_storage_interconnect_and_energy():
    dimensions = {path.split(".")[2]: ureg.Quantity(value).dimensionality
                  for path, value, _ in Zoo().numbers() if path.startswith("Hardware.Tech.")}
    bandwidth = ureg.Quantity(1, "B/s").dimensionality
    energy = ureg.Quantity(1, "J").dimensionality
    for name in ("Hbm3StackBandwidth", "Ddr5_4800ChannelBandwidth", "NvmeGen4SequentialRead",
                 "PcieGen5x16PerDirection"):
        assert dimensions[name] == bandwidth, name
    per_op = [name for name, dim in dimensions.items() if dim == energy and "Access" not in name]
    per_access = [name for name, dim in dimensions.items() if dim == energy and "Access" in name]
    assert per_op and per_access, dimensions


def test_scenarios_pair_a_workload_with_a_target_and_a_constraint():
    constraints = ("latency_sla", "required_rate", "power_budget", "energy_budget",
                   "carbon_budget", "cost_budget")
    for name in REQUIRED["Scenarios"]:
        scenario = getattr(mlsysim.Scenarios, name)
        assert scenario.workload is not None and scenario.hardware is not None, name
        assert any(getattr(scenario, c) is not None for c in constraints), name
